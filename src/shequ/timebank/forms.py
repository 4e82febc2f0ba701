"""Forms of the time bank pages: short, with defaults, for phones and older eyes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from shequ.timebank.models import Category, HelpRequest, Member, Reach, Skill
from shequ.timebank.services import members as member_service
from shequ.timebank.services.errors import ServiceError

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


class NumberInput(forms.TextInput):
    """A number staff type to find a person: never written back into the page."""

    def format_value(self, value: Any) -> str | None:
        return None


def _split(text: str) -> list[str]:
    return [x.strip() for x in text.replace("，", ",").replace("、", ",").split(",") if x.strip()]


class MemberForm(forms.Form):
    """Register a member (find the person by ID number or phone) or edit one's profile."""

    region = forms.ChoiceField(label=_("Community"))
    who = forms.CharField(
        label=_("ID number or mobile phone of the person"),
        help_text=_("Used only to find the person on the register; not shown again."),
        max_length=30,
        required=False,
        widget=NumberInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    person = forms.CharField(widget=forms.HiddenInput, required=False)
    volunteer = forms.BooleanField(label=_("Volunteer"), required=False)
    requester = forms.BooleanField(label=_("May ask for help"), required=False, initial=True)
    skills = forms.MultipleChoiceField(
        label=_("Skills"),
        choices=Skill.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.CharField(
        label=_("Languages and dialects"),
        help_text=_("Separated by commas, e.g. 普通话, 上海话"),
        max_length=300,
        required=False,
    )
    estate = forms.CharField(label=_("Estate"), max_length=100, required=False)
    building = forms.CharField(label=_("Building"), max_length=50, required=False)
    reach = forms.ChoiceField(
        label=_("How far they will go"),
        choices=Reach.choices,
        initial=Reach.COMMUNITY,
        widget=forms.RadioSelect,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        regions: list[tuple[str, str]] | None = None,
        member: Member | None = None,
        **kwargs: Any,
    ) -> None:
        if member is not None:
            kwargs.setdefault("initial", initial_of(member))
        super().__init__(*args, **kwargs)
        self.member = member
        if member is None:
            region = self.fields["region"]
            assert isinstance(region, forms.ChoiceField)
            region.choices = regions or []
            del self.fields["active"]
        else:
            del self.fields["region"], self.fields["who"], self.fields["person"]
        for day, name in WEEKDAYS.items():
            self.fields[f"day{day}"] = forms.CharField(label=name, max_length=100, required=False)

    def days(self) -> list[forms.BoundField]:
        return [self[f"day{day}"] for day in range(7)]

    def clean_skills(self) -> list[str]:
        return self._checked("skills", member_service.clean_skills, self.cleaned_data["skills"])

    def clean_languages(self) -> list[str]:
        text = self.cleaned_data["languages"]
        return self._checked("languages", member_service.clean_languages, _split(text))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        availability = {}
        for day in range(7):
            ranges = _split(data.get(f"day{day}") or "")
            try:
                availability.update(member_service.clean_availability({str(day): ranges}))
            except ServiceError as exc:
                self.add_error(f"day{day}", exc.fields.get("availability") or exc.text)
        data["availability"] = {d: r for d, r in availability.items() if r}
        if not (data.get("volunteer") or data.get("requester")):
            self.add_error("volunteer", _("A member is a volunteer, a requester or both."))
        return data

    def _checked(self, name: str, check: Any, value: Any) -> Any:
        try:
            return check(value)
        except ServiceError as exc:
            raise forms.ValidationError(exc.fields.get(name) or [exc.text]) from None


def initial_of(member: Member) -> dict[str, Any]:
    days = {f"day{d}": ", ".join(member.availability.get(str(d), [])) for d in range(7)}
    return {
        "volunteer": member.is_volunteer,
        "requester": member.is_requester,
        "skills": member.skills,
        "languages": ", ".join(member.languages),
        "estate": member.estate,
        "building": member.building,
        "reach": member.reach,
        "active": member.active,
        **days,
    }
