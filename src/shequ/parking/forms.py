"""Forms of the parking pages: types and presence only; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core.models import Region
from shequ.parking.models import PriorityGroup, ProductKind
from shequ.parking.models.places import NormalRule, RefundRule
from shequ.parking.services import hours_form

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def region_choices(regions: QuerySet[Region]) -> list[tuple[str, str]]:
    """A region field's choices: code, and name with code."""
    return [(r.code, f"{r.name} ({r.code})") for r in regions]


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "139 0000 0000"}
        ),
    )


class CodeForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput, max_length=20)
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )


class ApplyForm(forms.Form):
    plate1 = forms.CharField(
        label=_("Licence plate"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "浙A12345", "autocapitalize": "characters"}),
    )
    plate2 = forms.CharField(
        label=_("Second plate (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters"}),
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=50, required=False)
    id_number = forms.CharField(
        label=_("ID card number (optional)"),
        max_length=20,
        required=False,
        help_text=_("Helps the data check when your phone is not on record."),
    )
    priority_group = forms.ChoiceField(
        label=_("Your situation"), choices=PriorityGroup.choices, initial=PriorityGroup.NO_SPACE
    )
    preferences = forms.TypedMultipleChoiceField(
        label=_("Garages you would use"), coerce=int, required=False
    )

    def __init__(self, *args: Any, garages: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["preferences"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = garages

    def plates(self) -> list[str]:
        data = self.cleaned_data
        return [p for p in (data["plate1"], data.get("plate2", "")) if p.strip()]


class ProofForm(forms.Form):
    note = forms.CharField(
        label=_("Your proof"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. lease of 3-2-501 until 2026, vehicle licence in my spouse's name."),
    )
    reference = forms.CharField(
        label=_("Document number (optional)"), max_length=200, required=False
    )


class BuyForm(forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput)


class WaitForm(forms.Form):
    garage = forms.IntegerField(widget=forms.HiddenInput)
    plan_code = forms.SlugField(widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


# Operators ----------------------------------------------------------------------------------


WEEKDAY_CHOICES = [
    ("0", pgettext_lazy("weekday", "Mon")),
    ("1", pgettext_lazy("weekday", "Tue")),
    ("2", pgettext_lazy("weekday", "Wed")),
    ("3", pgettext_lazy("weekday", "Thu")),
    ("4", pgettext_lazy("weekday", "Fri")),
    ("5", pgettext_lazy("weekday", "Sat")),
    ("6", pgettext_lazy("weekday", "Sun")),
]
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PlanForm(forms.Form):
    """A sharing plan: the hours as days and times, or in OSM syntax (advanced)."""

    code = forms.SlugField(label=_("Plan code"), max_length=32, initial="night")
    name = forms.CharField(label=_("Plan name"), max_length=100)
    capacity = forms.IntegerField(label=_("Shared spaces"), min_value=0)
    span_days = forms.MultipleChoiceField(
        label=_("Shared at set times on"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    start = forms.TimeField(label=_("Start time"), required=False, widget=TIME)
    end = forms.TimeField(
        label=_("End time"),
        required=False,
        widget=TIME,
        help_text=_("A time not after the start is the next morning (18:30 until 08:00)."),
    )
    full_days = forms.MultipleChoiceField(
        label=_("Shared all day on"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    holidays = forms.ChoiceField(
        label=_("Public holidays"),
        choices=[
            (hours_form.HOLIDAYS_ALL_DAY, _("Shared all day")),
            (hours_form.HOLIDAYS_CLOSED, _("Not shared")),
            (hours_form.HOLIDAYS_AS_WEEKDAY, _("As on their weekday")),
        ],
        initial=hours_form.HOLIDAYS_ALL_DAY,
        required=False,
        widget=forms.RadioSelect,
    )
    hours = forms.CharField(
        label=_("Sharing hours in OpenStreetMap syntax (advanced)"),
        max_length=300,
        required=False,
        help_text=_(
            "Replaces the days and times above when filled in, e.g. "
            "Mo-Fr 18:30-08:00; Sa,Su,PH 00:00-24:00"
        ),
    )
    valid_from = forms.DateField(
        label=_("Valid from"),
        required=False,
        widget=DATE,
        help_text=_("Empty: the earliest allowed day. Sold passes keep their terms."),
    )

    @staticmethod
    def initial_for_plan(plan: Any) -> dict[str, Any]:
        """The form filled with a plan in force, to change it."""
        return {"name": plan.name, "capacity": plan.capacity} | PlanForm.initial_for(plan.hours)

    @staticmethod
    def initial_for(hours: str) -> dict[str, Any]:
        """The form's values for stored hours: days and times, or the advanced text."""
        simple = hours_form.decompose(hours)
        if simple is None:
            return {"hours": hours}
        return {
            "span_days": [str(d) for d in sorted(simple.span_days)],
            "start": simple.start,
            "end": simple.end,
            "full_days": [str(d) for d in sorted(simple.full_days)],
            "holidays": simple.holidays,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("hours") or "").strip():
            return data
        simple = hours_form.SimpleHours(
            span_days=frozenset(int(d) for d in data.get("span_days") or ()),
            start=f"{data['start']:%H:%M}" if data.get("start") else "",
            end=f"{data['end']:%H:%M}" if data.get("end") else "",
            full_days=frozenset(int(d) for d in data.get("full_days") or ()),
            holidays=data.get("holidays") or hours_form.HOLIDAYS_AS_WEEKDAY,
        )
        try:
            data["hours"] = hours_form.compose(simple)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field, errors)
        return data


class ProductForm(forms.Form):
    plan_code = forms.SlugField(label=_("Plan code"), max_length=32)
    kind = forms.ChoiceField(label=_("Pass"), choices=ProductKind.choices)
    price_yuan = forms.DecimalField(
        label=_("Price (yuan)"), min_value=0, max_digits=9, decimal_places=2
    )
    active = forms.BooleanField(label=_("On sale"), required=False, initial=True)

    def price_fen(self) -> int:
        return int(self.cleaned_data["price_yuan"] * 100)


class CountForm(forms.Form):
    occupied = forms.IntegerField(label=_("Cars inside now"), min_value=0)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class DeviceForm(forms.Form):
    gate = forms.CharField(label=_("Gate"), max_length=40)


class TenantForm(forms.Form):
    plate = forms.CharField(
        label=_("Licence plate"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "浙A12345", "autocapitalize": "characters"}),
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


# Staff --------------------------------------------------------------------------------------


class DecideForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the resident"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ConfirmForm(forms.Form):
    reference = forms.CharField(label=_("Receipt or transfer reference"), max_length=64)
    amount_yuan = forms.DecimalField(
        label=_("Amount received (yuan)"), min_value=0, max_digits=9, decimal_places=2
    )

    def amount_fen(self) -> int:
        return int(self.cleaned_data["amount_yuan"] * 100)


class RankForm(forms.Form):
    rank = forms.IntegerField(label=_("Rank"), min_value=1)


class RefundDoneForm(forms.Form):
    reference = forms.CharField(label=_("Transfer reference"), max_length=64)


class StaffRefundForm(forms.Form):
    amount_yuan = forms.DecimalField(
        label=_("Amount to refund (yuan)"), min_value=0.01, max_digits=9, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def amount_fen(self) -> int:
        return int(self.cleaned_data["amount_yuan"] * 100)


class _PlaceForm(forms.Form):
    """A place on the map in a region; editing it (``regions=None``) keeps region and code."""

    region = forms.ChoiceField(label=_("Region"))
    lat = forms.FloatField(
        label=_("Latitude (WGS-84)"), widget=forms.NumberInput(attrs={"step": "any"})
    )
    lon = forms.FloatField(
        label=_("Longitude (WGS-84)"), widget=forms.NumberInput(attrs={"step": "any"})
    )

    def __init__(self, *args: Any, regions: list[tuple[str, str]] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if regions is None:
            del self.fields["region"]
            del self.fields["code"]
        else:
            self.fields["region"].choices = regions  # type: ignore[attr-defined]


class EstateForm(_PlaceForm):
    """Create an estate (with region and code) or edit it (without them: hub data keys on code)."""

    field_order = ["region", "code", "name", "slug", "lat", "lon", "shortfall"]
    code = forms.CharField(
        label=_("Estate code"),
        max_length=32,
        help_text=_("As the housing register has it, e.g. E001."),
    )
    name = forms.CharField(label=_("Estate name"), max_length=100)
    slug = forms.CharField(
        label=_("QR code slug"),
        max_length=40,
        required=False,
        help_text=_("Letters, digits and hyphens in the QR link; empty: from the code."),
    )
    shortfall = forms.IntegerField(
        label=_("Parking shortfall (spaces)"), min_value=0, initial=0, required=False
    )

    def clean_shortfall(self) -> int:
        return self.cleaned_data.get("shortfall") or 0


class HolidayForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=DATE)
    name = forms.CharField(label=_("Holiday name"), max_length=50, required=False)
    region = forms.ChoiceField(label=_("Where it holds"))

    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = regions  # type: ignore[attr-defined]

    def clean_day(self) -> Any:
        from shequ.parking.services import periods

        day = self.cleaned_data["day"]
        if day < periods.today():
            raise forms.ValidationError(_("This day has passed: give today or a later day."))
        return day


class GarageForm(_PlaceForm):
    """Register a garage (with region and code) or change its settings (without them)."""

    field_order = ["region", "code", "name", "address", "lat", "lon"]
    code = forms.CharField(
        label=_("Garage code"),
        max_length=32,
        help_text=_("As the city's car park register has it, e.g. G06."),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    total_spaces = forms.IntegerField(label=_("Total spaces"), min_value=1)
    entrances = forms.CharField(
        label=_("Entrances and gates"),
        max_length=300,
        required=False,
        help_text=_("Comma-separated, e.g. north entrance, south exit."),
    )
    normal_rule = forms.ChoiceField(
        label=_("Cars without a shared pass"), choices=NormalRule.choices
    )
    refund_rule = forms.ChoiceField(
        label=_("Refund when a pass is cancelled"), choices=RefundRule.choices
    )
    grace_minutes = forms.IntegerField(label=_("Grace after shared hours (minutes)"), min_value=0)
    escalate_minutes = forms.IntegerField(label=_("Tell the operator after (minutes)"), min_value=0)
    suspend_after = forms.IntegerField(label=_("Suspend a pass after overstays"), min_value=1)
    suspend_window_days = forms.IntegerField(label=_("Overstays counted over (days)"), min_value=1)

    def clean_entrances(self) -> list[str]:
        text = self.cleaned_data.get("entrances") or ""
        return [e.strip() for e in text.replace("，", ",").split(",") if e.strip()]
