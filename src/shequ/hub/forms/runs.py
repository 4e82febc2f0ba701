"""The run list's filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class RunFilterForm(forms.Form):
    dataset = forms.ChoiceField(label=_("Dataset"), required=False)

    def __init__(self, *args: Any, datasets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [("", _("All datasets")), *datasets]  # type: ignore[attr-defined]
