"""JSON (an array of objects), JSON Lines and Parquet as DuckDB staged inputs."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from .readers_text import TextFile, stage_text
from .readers_util import (
    ROW,
    duckdb_message,
    hash_file,
    select_list,
    sql_ident,
    sql_string,
    unique_names,
)
from .staging import IngestError, StagedInput

MAX_OBJECT_SIZE = 64 * 1024 * 1024  # one JSON object (one row) may be this long
_PYTHON_PARSE_LIMIT = 64 * 1024 * 1024  # re-parse files up to this size to locate errors
_KINDS = {
    "ARRAY": "an array",
    "VARCHAR": "a string",
    "BOOLEAN": "a boolean",
    "NULL": "null",
    "None": "null",
    **{t: "a number" for t in ("BIGINT", "UBIGINT", "DOUBLE", "HUGEINT")},
}


def _pointer(key: str) -> str:
    """A JSON Pointer for a top-level key (safe for any key: ~ and / are escaped)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _single_object_error(text: TextFile) -> IngestError:
    hint = ""
    if text.bytes_read <= _PYTHON_PARSE_LIMIT:
        try:
            value = json.loads(text.path.read_text(encoding="utf-8-sig"))
        except ValueError:
            value = None
        if isinstance(value, dict):
            arrays = [k for k, v in value.items() if isinstance(v, list)]
            hint = f" (keys: {', '.join(list(value)[:10])})"
            if arrays:
                hint += f"; the rows may be the array under {arrays[0]!r}"
    return IngestError(
        f"the JSON file holds a single object{hint}, not an array of objects or JSON Lines"
    )


def _looks_like_json_lines(head: str) -> bool:
    """Several lines, the first two of which each hold a whole JSON object."""
    lines = [line for line in head.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[1].lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except ValueError:
        return False


def _jsonl_line(path: Path, index: int) -> int:
    """The line number of the *index*-th (1-based) non-blank line."""
    with path.open(encoding="utf-8-sig", errors="replace") as f:
        seen = 0
        for number, line in enumerate(f, 1):
            seen += bool(line.strip())
            if seen == index:
                return number
    return index


def _json_error(exc: duckdb.Error, text: TextFile, array: bool) -> IngestError:
    """Where the JSON is malformed, using Python's parser for line numbers if possible."""
    if array and text.bytes_read <= _PYTHON_PARSE_LIMIT:
        try:
            json.loads(text.path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as err:
            return IngestError(
                f"malformed JSON at line {err.lineno}, column {err.colno}: {err.msg}"
            )
    if not array:
        with text.path.open(encoding="utf-8-sig", errors="replace") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    json.loads(line)
                except json.JSONDecodeError as err:
                    return IngestError(f"malformed JSON on line {number}: {err.msg}")
    return IngestError(f"malformed JSON: {duckdb_message(exc)}")


def stage_json(path: Path, workdir: Path, *, fmt: str, encoding: str | None) -> StagedInput:
    """Stage a JSON array of objects (``fmt="json"``) or JSON Lines (``fmt="jsonl"``).

    Every top-level key found in any object becomes a column (in order of first
    appearance); values are text: strings as they are, numbers and booleans as written,
    nested objects and arrays as JSON text, null as NULL. ``_row`` is the 1-based index
    of the object (for JSON Lines: of the non-blank line). A top-level value other than
    an array, or an array element that is not an object, raises IngestError.
    """
    text = stage_text(path, workdir, encoding)
    notes = list(text.notes)
    first = text.head.lstrip()[:1]
    if not first:
        raise IngestError("the file is empty (it holds only blank space)")
    if first == "[":
        if fmt == "jsonl":
            notes.append("the file holds a JSON array, not JSON Lines: read as an array")
        fmt = "json"
    elif first == "{":
        if fmt == "json" and not _looks_like_json_lines(text.head):
            raise _single_object_error(text)
        fmt = "jsonl"
    else:
        raise IngestError(f"the file is not JSON: it starts with {first!r}, not [ or {{")
    array = fmt == "json"
    source = (
        f"read_json_objects({sql_string(str(text.path))}, "
        f"format='{'array' if array else 'newline_delimited'}', "
        f"maximum_object_size={MAX_OBJECT_SIZE})"
    )
    numbered = f"SELECT json, row_number() OVER () AS rn FROM {source}"
    try:
        with duckdb.connect() as con:
            bad = con.sql(
                f"SELECT rn, json_type(json) FROM ({numbered}) "
                "WHERE json_type(json) IS DISTINCT FROM 'OBJECT' ORDER BY rn LIMIT 1"
            ).fetchall()
            keys = con.sql(
                f"WITH k AS (SELECT rn, unnest(json_keys(json)) AS key, "
                f"generate_subscripts(json_keys(json), 1) AS pos FROM ({numbered})) "
                "SELECT key FROM k GROUP BY key ORDER BY min([rn, pos])"
            ).fetchall()
    except duckdb.Error as exc:
        raise _json_error(exc, text, array) from None
    if bad:
        index, kind = bad[0]
        where = (
            f"element {index} of the array" if array else f"line {_jsonl_line(text.path, index)}"
        )
        raise IngestError(f"{where} is {_KINDS.get(str(kind), 'not an object')}, not a JSON object")
    raw = [str(k) for (k,) in keys]
    names, renames = unique_names(raw)
    notes += renames
    columns = select_list(
        (f"json_extract_string(json, {sql_string(_pointer(key))})", name)
        for key, name in zip(raw, names, strict=True)
    )
    select_sql = (
        f"SELECT {columns + ', ' if columns else ''}row_number() OVER () AS {ROW} FROM {source}"
    )
    return StagedInput(
        select_sql=select_sql,
        columns=names,
        format=fmt,
        encoding=text.encoding,
        bytes_read=text.bytes_read,
        sha256=text.sha256,
        notes=notes,
    )


def _as_text(column: str, type_name: str) -> str:
    """A SQL expression turning a Parquet column into VARCHAR."""
    col = sql_ident(column)
    upper = type_name.upper()
    if upper == "VARCHAR":
        return col
    if upper in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        # in UTC, independent of the session's TimeZone setting
        return f"CAST(make_timestamp(epoch_us({col})) AS VARCHAR) || '+00:00'"
    if upper.endswith("]") or upper.startswith(("STRUCT", "MAP", "UNION")):
        return f"CAST(to_json({col}) AS VARCHAR)"
    return f"CAST({col} AS VARCHAR)"


def stage_parquet(path: Path) -> StagedInput:
    """Stage a Parquet file: every column as text (timestamps as ISO text, timestamps
    with a time zone in UTC with "+00:00", nested values as JSON). ``_row`` follows the
    file's row order."""
    size, sha = hash_file(path)
    source = f"read_parquet({sql_string(str(path))})"
    try:
        with duckdb.connect() as con:
            described = con.sql(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        raise IngestError(
            f"the Parquet file is damaged or truncated: {duckdb_message(exc)}"
        ) from None
    raw = [str(row[0]) for row in described]
    names, renames = unique_names(raw, clean=False)
    columns = select_list(
        (_as_text(col, str(row[1])), name)
        for col, row, name in zip(raw, described, names, strict=True)
    )
    return StagedInput(
        select_sql=f"SELECT {columns}, row_number() OVER () AS {ROW} FROM {source}",
        columns=names,
        format="parquet",
        bytes_read=size,
        sha256=sha,
        notes=renames,
    )
