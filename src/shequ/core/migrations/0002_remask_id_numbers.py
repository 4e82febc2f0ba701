"""Stored masked ID numbers keep the address code only, as ``pii.mask_id_number`` now masks.

The old mask kept the last four characters too: with a birth date, that left one candidate
(docs/privacy.md). The masked value already holds the first six characters, so no key is
needed to rewrite it.
"""

from django.db import migrations


def remask(apps, schema_editor):  # type: ignore[no-untyped-def]
    Person = apps.get_model("core", "Person")
    for person in Person.objects.exclude(id_number_masked="").only("pk", "id_number_masked"):
        old = person.id_number_masked
        new = old[:6] + "*" * (len(old) - 6)
        if new != old:
            Person.objects.filter(pk=person.pk).update(id_number_masked=new)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(remask, migrations.RunPython.noop)]
