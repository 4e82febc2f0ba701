"""Forms of the flowback pages: publish a community dataset from a file, subscribe."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.hub.forms.catalog import SHEET_FIELD
from shequ.hub.models import Category, Sharing


class PublishForm(forms.Form):
    region = forms.ChoiceField(label=_("Published by"))
    key = forms.RegexField(
        label=_("Key"),
        regex=r"^[a-z][a-z0-9_]{1,63}$",
        max_length=64,
        help_text=_("Lower-case letters, digits and _; e.g. elder_visits."),
        error_messages={
            "invalid": _("Use lower-case letters, digits and _, starting with a letter.")
        },
        widget=forms.TextInput(attrs={"autocapitalize": "off", "spellcheck": "false"}),
    )
    title = forms.CharField(label=_("Title (Chinese)"), max_length=120)
    title_en = forms.CharField(label=_("Title (English)"), max_length=160, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ChoiceField(label=_("Category"))
    sharing = forms.ChoiceField(label=_("Sharing"), choices=Sharing.choices)
    frequency = forms.CharField(label=_("Update frequency"), max_length=40, required=False)
    file = forms.FileField(
        label=_("File"),
        help_text=_("The first version. Columns and their types are read from it."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.tsv,.txt,.xlsx,.xlsm,.xls,.json,.jsonl,.ndjson,.parquet"}
        ),
    )
    sheet = SHEET_FIELD

    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = regions  # type: ignore[attr-defined]
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            (c.key, c.name) for c in Category.objects.all()
        ]
        self.fields["sharing"].initial = Sharing.CONDITIONAL
