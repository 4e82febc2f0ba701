"""Forms of the time bank pages: short, with defaults, for phones and older eyes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.timebank.models import Category, HelpRequest, Member

DURATIONS = [(30, _("Half an hour")), (60, _("1 hour")), (120, _("2 hours")), (180, _("3 hours"))]
REPEAT = [
    (1, _("Just once")),
    (7, _("Every day for a week")),
    (14, _("Every day for two weeks")),
]
WHEN = [
    ("soon", _("As soon as possible")),
    ("tonight", _("This evening (18:00)")),
    ("tomorrow", _("Tomorrow morning (09:00)")),
    ("at", _("At a time I choose")),
]


def next_hour(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


class RequestForm(forms.Form):
    """Post a help request in under a minute: who, what, when; the rest has defaults."""

    beneficiary = forms.TypedChoiceField(label=_("Who needs help"), coerce=int)
    category = forms.ChoiceField(
        label=_("What help"), choices=Category.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("Say a little more"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    when = forms.ChoiceField(
        label=_("When"), choices=WHEN, initial="soon", widget=forms.RadioSelect
    )
    at = forms.DateTimeField(
        label=_("Or pick the time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    minutes = forms.TypedChoiceField(label=_("How long"), choices=DURATIONS, coerce=int, initial=60)
    address = forms.CharField(
        label=_("Address (shown only to the volunteer who comes)"), max_length=200, required=False
    )
    urgent = forms.BooleanField(label=_("Urgent"), required=False)
    repeat = forms.TypedChoiceField(
        label=_("How often (continuing care)"),
        choices=REPEAT,
        coerce=int,
        initial=1,
        required=False,
        empty_value=None,
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, members: list[Member], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["beneficiary"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(m.pk, m.name) for m in members]
        self.fields["key"].initial = uuid.uuid4().hex

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The time window the answer to "when" means, from ``now``."""
        data = self.cleaned_data
        local = timezone.localtime(now)
        when = data["when"]
        if when == "tonight":
            start = local.replace(hour=18, minute=0, second=0, microsecond=0)
            start = start if start > local else local
        elif when == "tomorrow":
            start = (local + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        elif when == "at" and data.get("at"):
            start = data["at"]
        else:
            start = local
        return start, start + timedelta(minutes=max(int(data["minutes"]), 60) + 60)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == "at" and not data.get("at"):
            self.add_error("at", _("Choose the time."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class CheckOutForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Minutes served"), min_value=1, max_value=720, required=False
    )


class ConfirmForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Minutes (staff may settle other minutes)"),
        min_value=1,
        max_value=720,
        required=False,
    )


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How was it"),
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(label=_("A few words (optional)"), max_length=500, required=False)


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", _("All")), *HelpRequest.Status.choices], required=False
    )
