"""Table Schema (after frictionless Table Schema) with grades and PII kinds.

A dataset's schema lists its fields: name, type, title, description, constraints,
a data-security grade (GB/T 43697: core / important / general) and a PII kind.
It is stored as JSON on the dataset and turned into Arrow and DuckDB types here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
from django.utils.translation import pgettext_lazy

TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "time")
GRADES = ("core", "important", "general")
# The personal-information kinds a field may have, with what the pages call them.
PII_LABELS = {
    "name": pgettext_lazy("personal information", "Name"),
    "id_card": pgettext_lazy("personal information", "ID number"),
    "phone": pgettext_lazy("personal information", "Phone"),
    "plate": pgettext_lazy("personal information", "Plate"),
    "address": pgettext_lazy("personal information", "Address"),
    "birth_date": pgettext_lazy("personal information", "Birth date"),
    "face": pgettext_lazy("personal information", "Face image"),
    "health": pgettext_lazy("personal information", "Health"),
}
PII_KINDS = ("none", *PII_LABELS)
CONSTRAINT_KEYS = ("required", "unique", "enum", "pattern", "minimum", "maximum", "maxLength")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
    # Delta Lake has no time-of-day type: times are stored as text, 'HH:MM:SS'.
    "time": pa.string(),
}
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMPTZ",
    "time": "VARCHAR",
}


class SchemaError(ValueError):
    """A schema definition is malformed; the message names the field."""


@dataclass
class Field:
    name: str
    type: str = "string"
    title: str = ""
    title_en: str = ""
    description: str = ""
    constraints: dict[str, Any] = field(default_factory=dict)
    grade: str = "general"
    pii: str = "none"
    # Personal columns this one is part of or derivable from (a birth date is the middle of the
    # ID number of the same person): it is readable in clear only with all of them in clear.
    part_of: list[str] = field(default_factory=list)

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))

    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.type]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: v for k, v in data.items() if v not in ("", {}, [], None) or k == "name"}


@dataclass
class TableSchema:
    fields: list[Field]
    primary_key: list[str] = field(default_factory=list)
    region_field: str = ""  # column holding a 12-digit region code, for row-level scope

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableSchema:
        if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
            raise SchemaError("a schema needs a list of fields")
        fields = [_field_from_dict(i, f) for i, f in enumerate(data["fields"])]
        pk = data.get("primaryKey", [])
        schema = cls(
            fields, [pk] if isinstance(pk, str) else list(pk), str(data.get("regionField", ""))
        )
        schema.check()
        return schema

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"fields": [f.to_dict() for f in self.fields]}
        if self.primary_key:
            data["primaryKey"] = self.primary_key
        if self.region_field:
            data["regionField"] = self.region_field
        return data

    def check(self) -> None:
        names = [f.name for f in self.fields]
        if not names:
            raise SchemaError("a schema needs at least one field")
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise SchemaError(f"duplicate field names: {', '.join(sorted(duplicates))}")
        for key in (*self.primary_key, *([self.region_field] if self.region_field else [])):
            if key not in names:
                raise SchemaError(f"{key!r} is not a field of this schema")
        pii = self.pii_fields()
        for f in self.fields:
            for whole in f.part_of:
                if whole not in pii or f.name not in pii:
                    raise SchemaError(
                        f"field {f.name!r}: part_of names {whole!r}, which is not a personal "
                        "field of this schema (both must have a pii kind)"
                    )

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [
                pa.field(
                    f.name, f.arrow_type(), nullable=not (f.required or f.name in self.primary_key)
                )
                for f in self.fields
            ]
        )

    def pii_fields(self) -> dict[str, str]:
        return {f.name: f.pii for f in self.fields if f.pii != "none"}

    def clear_allowed(self, clear: set[str] | frozenset[str]) -> frozenset[str]:
        """The columns of ``clear`` that may be read in clear together: personal columns whose
        ``part_of`` columns are all in clear too (a clear birth date beside a masked ID number
        would give the number back)."""
        pii = self.pii_fields()
        return frozenset(
            f.name
            for f in self.fields
            if f.name in clear and f.name in pii and set(f.part_of) <= set(clear)
        )


def _field_from_dict(index: int, data: Any) -> Field:
    where = f"field {index + 1}"
    if not isinstance(data, dict):
        raise SchemaError(f"{where}: must be an object")
    name = str(data.get("name", ""))
    where = f"field {name!r}" if name else where
    if not NAME_RE.match(name):
        raise SchemaError(
            f"{where}: a name is lower-case letters, digits and _, starting with a letter"
        )
    ftype = data.get("type", "string")
    if ftype not in TYPES:
        raise SchemaError(f"{where}: type must be one of {', '.join(TYPES)}")
    grade = data.get("grade", "general")
    if grade not in GRADES:
        raise SchemaError(f"{where}: grade must be one of {', '.join(GRADES)}")
    pii = data.get("pii", "none")
    if pii not in PII_KINDS:
        raise SchemaError(f"{where}: pii must be one of {', '.join(PII_KINDS)}")
    constraints = dict(data.get("constraints") or {})
    unknown = set(constraints) - set(CONSTRAINT_KEYS)
    if unknown:
        raise SchemaError(f"{where}: unknown constraint(s) {', '.join(sorted(unknown))}")
    if "pattern" in constraints:
        try:
            re.compile(constraints["pattern"])
        except re.error as exc:
            raise SchemaError(f"{where}: pattern is not a regular expression: {exc}") from exc
    if "enum" in constraints and not isinstance(constraints["enum"], list):
        raise SchemaError(f"{where}: enum must be a list")
    part_of = data.get("part_of") or []
    part_of = [part_of] if isinstance(part_of, str) else part_of
    if not isinstance(part_of, list) or not all(isinstance(p, str) for p in part_of):
        raise SchemaError(f"{where}: part_of must be a field name or a list of them")
    return Field(
        name=name,
        type=ftype,
        title=str(data.get("title", "")),
        title_en=str(data.get("title_en", "")),
        description=str(data.get("description", "")),
        constraints=constraints,
        grade=grade,
        pii=pii,
        part_of=list(part_of),
    )
