"""Forms of the request, decision, revocation and SQL console pages.

They check types and presence; the rules (columns in the schema, periods, who decides) are the
service's, whose errors the views put next to these fields.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEFAULT_PERIOD_DAYS = 90


class RequestForm(forms.Form):
    columns = forms.MultipleChoiceField(
        label=_("Columns"),
        error_messages={"required": _("Choose the columns you need.")},
    )
    clear_columns = forms.MultipleChoiceField(label=_("Personal columns in clear"), required=False)
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the data is for, and why these columns are needed."),
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        max_length=200,
        help_text=_("The law, regulation or agreement that allows this use."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 《个人信息保护法》第十三条")}),
    )
    period_from = forms.DateField(label=_("From"), widget=DATE)
    period_until = forms.DateField(
        label=_("Until"), widget=DATE, help_text=_("The last day, inclusive.")
    )
    department = forms.ChoiceField(label=_("On behalf of"), required=False)

    def __init__(
        self,
        *args: Any,
        columns: list[str],
        pii: list[str],
        departments: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        today = timezone.localdate()
        kwargs.setdefault(
            "initial",
            {
                "period_from": today,
                "period_until": today + timedelta(days=DEFAULT_PERIOD_DAYS),
                "columns": [c for c in columns if c not in pii],
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = [(c, c) for c in columns]  # type: ignore[attr-defined]
        self.fields["clear_columns"].choices = [(c, c) for c in pii]  # type: ignore[attr-defined]
        self.fields["department"].choices = [  # type: ignore[attr-defined]
            ("", _("Myself")),
            *[(str(pk), name) for pk, name in departments],
        ]


class ApproveForm(forms.Form):
    clear_columns = forms.MultipleChoiceField(label=_("Columns in clear"), required=False)
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DATE,
        help_text=_("Empty: to the end of the requested period."),
    )
    row_scope = forms.MultipleChoiceField(
        label=_("Also the rows of"),
        required=False,
        help_text=_("By default the grantee reads the rows of their own regions."),
    )

    def __init__(
        self,
        *args: Any,
        clear: list[tuple[str, str]],
        regions: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"clear_columns": [name for name, _label in clear]})
        super().__init__(*args, **kwargs)
        self.fields["clear_columns"].choices = clear  # type: ignore[attr-defined]
        self.fields["row_scope"].choices = regions  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give a reason.")},
    )


class QueryForm(forms.Form):
    sql = forms.CharField(
        label=_("SQL"),
        max_length=100_000,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "spellcheck": "false",
                "autocapitalize": "off",
                "autocomplete": "off",
                "placeholder": "SELECT gender, count(*) FROM people GROUP BY gender",
            }
        ),
    )
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
