from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PersonForm(forms.Form):
    region = forms.ChoiceField(label=_("Region"))
    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(label=_("ID number"), max_length=20, required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args: object, regions: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["region"].choices = regions  # type: ignore[attr-defined]


class RevealForm(forms.Form):
    """Why a user needs a personal value in clear (the reason goes into the audit log)."""

    reason = forms.CharField(label=_("Reason"), min_length=2, max_length=300)

    def __init__(self, *args: Any, label: str = "", placeholder: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        if label:
            field.label = label
        if placeholder:
            field.widget.attrs["placeholder"] = placeholder


class TokenForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("token", "Name"), max_length=100)
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("Leave empty for a token that does not expire."),
    )


class AuditSearchForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("User"), required=False)
    region_code = forms.RegexField(label=_("Region code"), regex=r"^\d{12}$", required=False)
