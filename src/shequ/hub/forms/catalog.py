"""Forms of the catalog and dataset pages: search, upload."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.hub.models import Mode

DELIMITERS = [
    ("", _("Detect")),
    (",", _("Comma ,")),
    (";", _("Semicolon ;")),
    ("\t", _("Tab")),
    ("|", _("Vertical bar |")),
]


ENCODINGS = [
    ("", _("Detect")),
    ("utf-8", "UTF-8"),
    ("gb18030", "GB18030 / GBK"),
    ("big5", "Big5"),
    ("utf-16", "UTF-16"),
]


# Upload and source forms share the modes; the catalog's help says what each does.
MODE_HELP = _(
    "Append adds the rows; replace swaps the whole table; upsert updates rows with the same "
    "primary key and adds the others."
)

# The upload and publish forms read spreadsheets the same way (readers_sheet.stage_sheet).
SHEET_FIELD = forms.CharField(
    label=_("Sheet"),
    required=False,
    max_length=100,
    help_text=_(
        "Spreadsheets only: a sheet name, or * for all sheets with the same header. "
        "Default: the first sheet holding a table (notes sheets are passed over)."
    ),
)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("e.g. 车辆, parking, plate"),
                "enterkeyhint": "search",
            }
        ),
    )
    category = forms.CharField(required=False, widget=forms.HiddenInput)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV, Excel (.xlsx, .xls), JSON, JSON Lines or Parquet."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.tsv,.txt,.xlsx,.xlsm,.xls,.json,.jsonl,.ndjson,.parquet"}
        ),
    )
    mode = forms.ChoiceField(
        label=_("Mode"), choices=Mode.choices, initial=Mode.APPEND, help_text=MODE_HELP
    )
    sheet = SHEET_FIELD
    delimiter = forms.ChoiceField(label=_("Delimiter"), choices=DELIMITERS, required=False)
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODINGS, required=False)
