"""Dashboard forms: an indicator's target for a region."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.dashboard.models import TargetDirection


class TargetForm(forms.Form):
    """The target and direction of one indicator; the service checks the value's range."""

    indicator = forms.CharField(widget=forms.HiddenInput, max_length=64)
    target = forms.CharField(label=_("Target"), max_length=32)
    direction = forms.ChoiceField(label=_("Direction"), choices=TargetDirection.choices)
