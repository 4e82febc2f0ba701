"""Adding a source."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.hub.forms.catalog import MODE_HELP
from shequ.hub.models import Connector, Mode


class SourceForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("source", "Name"), max_length=120)
    dataset = forms.ChoiceField(label=_("Dataset"))
    connector = forms.ChoiceField(label=_("Connector"), choices=Connector.choices)
    config = forms.CharField(
        label=_("Configuration (JSON)"),
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "spellcheck": "false",
                "autocapitalize": "off",
                "placeholder": '{"url": "https://…", "items_path": "data.records"}',
            }
        ),
        help_text=_("Passwords, keys and headers are stored encrypted."),
    )
    mode = forms.ChoiceField(
        label=_("Mode"), choices=Mode.choices, initial=Mode.APPEND, help_text=MODE_HELP
    )
    schedule = forms.CharField(
        label=_("Schedule (cron)"),
        required=False,
        max_length=100,
        help_text=_("For example 30 2 * * * for 02:30 every day; empty: run by hand only."),
    )
    max_reject_rate = forms.FloatField(
        label=_("Maximum reject rate"),
        min_value=0,
        max_value=1,
        initial=0.05,
        help_text=_("0.05 = 5%: a run rejecting more rows than that commits nothing."),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, datasets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = datasets  # type: ignore[attr-defined]

    def clean_config(self) -> dict[str, Any]:
        text = self.cleaned_data["config"]
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("Not valid JSON: %(error)s (line %(line)s, column %(column)s).")
                % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
            ) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The configuration must be a JSON object: {…}."))
        return value
