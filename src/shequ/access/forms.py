"""Forms of the access pages (one class per feature's form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.access.models import AccessPoint, Consent, Device, WelfareCheck
from shequ.access.services.passes import MAX_USES


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class PointForm(forms.Form):
    estate = forms.CharField(label=_("Estate"), max_length=100)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=AccessPoint.Kind.choices)


class DeviceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
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

    def __init__(self, *args: object, estates: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["estate"].choices = [(e, e) for e in estates]  # type: ignore[attr-defined]


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(label=_("I withdraw my consent to face recognition"))


CHANNELS = Consent.Channel.choices


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in WelfareCheck.Outcome.choices if c[0] != WelfareCheck.Outcome.OPEN],
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
