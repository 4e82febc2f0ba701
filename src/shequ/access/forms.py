"""Forms of the access pages (one class per feature's form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.access.models import AccessPoint, Consent, Credential, Device, WelfareCheck
from shequ.access.services.credentials import PURPOSE_MAX, REF_MAX
from shequ.access.services.passes import MAX_USES


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class PointForm(forms.Form):
    estate = forms.CharField(label=_("Estate"), max_length=100)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=AccessPoint.Kind.choices)


class DeviceForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("device", "Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Device.Kind.choices)


def _local_input() -> forms.DateTimeInput:
    """A phone's date-time picker; it shows a value only in this exact form."""
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PassForm(forms.Form):
    estate = forms.ChoiceField(label=_("Estate"))
    visitor = forms.CharField(label=_("Visitor (optional)"), max_length=50, required=False)
    valid_from = forms.DateTimeField(label=_("Valid from"), widget=_local_input())
    valid_until = forms.DateTimeField(label=_("Valid until"), widget=_local_input())
    max_uses = forms.IntegerField(label=_("Uses allowed"), min_value=1, max_value=MAX_USES)

    def __init__(self, *args: object, estates: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["estate"].choices = estates  # type: ignore[attr-defined]


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(label=_("I withdraw my consent to face recognition"))


CHANNELS = Consent.Channel.choices


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in WelfareCheck.Outcome.choices if c[0] != WelfareCheck.Outcome.OPEN],
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class EnrolForm(forms.Form):
    """Staff enrol a resident: found by ID number (matched by its HMAC, never shown clear)."""

    region = forms.ChoiceField(label=_("Community"))
    id_number = forms.CharField(label=_("Resident's ID number"), max_length=18)
    kind = forms.ChoiceField(label=_("Kind"), choices=Credential.Kind.choices)
    ref = forms.CharField(
        label=_("Vendor person reference or card number"), max_length=REF_MAX, strip=True
    )
    consent_given = forms.BooleanField(
        label=_("The resident consented to face recognition (required for a face)"),
        required=False,
    )
    purpose = forms.CharField(
        label=_("Purpose of the consent"), max_length=PURPOSE_MAX, required=False
    )
    given_on = forms.DateField(
        label=_("Consent given on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(label=_("Consent channel"), choices=Consent.Channel.choices)
    username = forms.CharField(
        label=_("Resident's account (optional)"), max_length=150, required=False
    )

    def __init__(self, *args: object, regions: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["region"].choices = regions  # type: ignore[attr-defined]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("kind") == Credential.Kind.FACE:
            if not data.get("consent_given"):
                self.add_error("consent_given", _("Face data needs the resident's consent first."))
            if not data.get("purpose"):
                self.add_error("purpose", _("Face data needs a stated purpose."))
            if not data.get("given_on"):
                self.add_error("given_on", _("Face data needs the day consent was given."))
        return data


class LogFilterForm(forms.Form):
    """The staff log page's filters (all optional)."""

    point = forms.TypedChoiceField(label=_("Door"), coerce=int, required=False, empty_value=None)
    since = forms.DateTimeField(label=_("From"), required=False, widget=_local_input())
    until = forms.DateTimeField(label=_("Until"), required=False, widget=_local_input())
    decision = forms.ChoiceField(
        label=_("Result"),
        required=False,
        choices=[("", _("All")), ("allowed", _("Allowed")), ("refused", _("Refused"))],
    )

    def __init__(self, *args: object, points: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["point"].choices = [("", _("All doors")), *points]  # type: ignore[attr-defined]


class OptOutForm(forms.Form):
    """Staff record a resident's opt-out on their behalf (found by ID number's HMAC)."""

    region = forms.ChoiceField(label=_("Community"))
    id_number = forms.CharField(label=_("Resident's ID number"), max_length=18)
    confirm = forms.BooleanField(label=_("The resident asked not to be watched for absence"))

    def __init__(self, *args: object, regions: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["region"].choices = regions  # type: ignore[attr-defined]
