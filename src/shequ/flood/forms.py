"""Forms of the flood pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.flood.models import DeviceKind, Level, PointKind, ResponseLevel, TaskKind, Tier


class AcknowledgeForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. patrol on the way")}),
    )


class TaskCreateForm(forms.Form):
    """The second tap: the kind's button posts it (the key makes a double tap one task)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices)
    note = forms.CharField(label=_("What to do"), max_length=300, required=False)
    key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        label=_("Assign to"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, people: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Nobody"))] + [
            (p.pk, p.get_full_name() or p.get_username()) for p in people
        ]


class FinishForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("e.g. road closed at both ends")}),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class CancelForm(forms.Form):
    note = forms.CharField(label=_("Why cancel"), max_length=500)


class ResponseLevelForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"))
    level = forms.TypedChoiceField(
        label=_("Emergency response level"), coerce=int, choices=ResponseLevel.choices
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. typhoon red warning from the county")}
        ),
    )

    def __init__(self, *args: Any, regions: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(r.code, r.name) for r in regions]


DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RuleForm(forms.Form):
    """A rule's figures; the service checks them together (thresholds rising with the level)."""

    blue = forms.FloatField(label=_("Blue from"), required=False)
    yellow = forms.FloatField(label=_("Yellow from"), required=False)
    orange = forms.FloatField(label=_("Orange from"), required=False)
    red = forms.FloatField(label=_("Red from"), required=False)
    window_minutes = forms.IntegerField(label=_("Window (min)"), min_value=0, max_value=10080)
    pending_seconds = forms.IntegerField(
        label=_("Pending period (s)"), min_value=0, max_value=604800
    )
    clear_margin = forms.FloatField(label=_("Hysteresis margin"), min_value=0, max_value=1e6)
    clear_seconds = forms.IntegerField(label=_("Clear after (s)"), min_value=0, max_value=604800)
    enabled = forms.BooleanField(label=_("Enabled"), required=False)


class ShiftForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"))
    person = forms.CharField(label=_("User name"), max_length=150)
    tier = forms.TypedChoiceField(label=_("Tier"), coerce=int, choices=Tier.choices)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=DATETIME)
    min_level = forms.TypedChoiceField(
        label=_("Told from level"), coerce=int, choices=Level.choices[1:]
    )

    def __init__(self, *args: Any, regions: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(r.code, r.name) for r in regions]


class SilenceForm(forms.Form):
    point = forms.ChoiceField(label=_("Monitoring point"))
    until = forms.DateTimeField(label=_("Until"), widget=DATETIME)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, points: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        field = self.fields["point"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(p.code, p.name) for p in points]


class PointForm(forms.Form):
    """A monitoring point: where it is (WGS-84, picked on the map or typed), what it watches."""

    code = forms.SlugField(label=_("Code"), max_length=32, help_text=_("e.g. culvert-2"))
    name = forms.CharField(label=pgettext_lazy("flood point", "Name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=PointKind.choices)
    region = forms.ChoiceField(label=_("Region"))
    lat = forms.FloatField(
        label=_("Latitude (WGS-84)"), min_value=-90, max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )  # fmt: skip
    lon = forms.FloatField(
        label=_("Longitude (WGS-84)"), min_value=-180, max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )  # fmt: skip
    responsible = forms.CharField(
        label=_("Responsible people"), required=False, max_length=500,
        help_text=_("User names, separated by commas; each must watch the region."),
    )  # fmt: skip
    blue = forms.FloatField(label=_("Blue from"), required=False)
    yellow = forms.FloatField(label=_("Yellow from"), required=False)
    orange = forms.FloatField(label=_("Orange from"), required=False)
    red = forms.FloatField(label=_("Red from"), required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, regions: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(r.code, r.name) for r in regions]


class DeviceForm(forms.Form):
    """A gauge or camera at a point; its id is the one of its MQTT topic."""

    code = forms.SlugField(label=_("Device id"), max_length=40, help_text=_("e.g. W07"))
    kind = forms.ChoiceField(label=_("Kind"), choices=DeviceKind.choices)
    point = forms.ChoiceField(label=_("Monitoring point"))
    interval_seconds = forms.IntegerField(
        label=_("Reporting interval (s)"), min_value=10, max_value=86400, initial=600
    )
    blue = forms.FloatField(label=_("Blue from"), required=False)
    yellow = forms.FloatField(label=_("Yellow from"), required=False)
    orange = forms.FloatField(label=_("Orange from"), required=False)
    red = forms.FloatField(label=_("Red from"), required=False)

    def __init__(self, *args: Any, points: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        field = self.fields["point"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(p.code, p.name) for p in points]


class IntervalForm(forms.Form):
    """A device's reporting interval, sent down to it (``services/downlink.py``)."""

    interval_seconds = forms.IntegerField(
        label=_("Reporting interval (s)"), min_value=10, max_value=86_400
    )


class ReachForm(forms.Form):
    """How the person is told of alerts besides the inbox (``roster.choose_channel``)."""

    kind = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            ("email", _("E-mail")), ("dingtalk", _("DingTalk group robot")),
            ("wecom", _("WeCom group robot")), ("webhook", _("Webhook")),
        ],
    )  # fmt: skip
    address = forms.CharField(
        label=_("Address"), max_length=500, help_text=_("An e-mail address or the robot's URL")
    )
    secret = forms.CharField(
        label=_("Signing secret"), max_length=200, required=False, widget=forms.PasswordInput
    )
