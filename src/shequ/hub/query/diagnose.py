"""What went wrong with a query, in the user's terms: where, which token, which name was meant.

The parser's and the database's errors are mapped here to the message codes of ``errors``,
with the line and column in the SQL the user wrote and the offending token as written. No
library text passes through: a parser's reason becomes a code, a database error is matched
by its kind, and what is not recognised becomes a plain "the query failed" with the database's
one-line reason, stripped of its error class. Values from the data are never repeated (a
failed conversion may be a person's ID number).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from difflib import SequenceMatcher
from typing import Any

import duckdb
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from shequ.hub.query.errors import QueryError, Suggestion

MAX_TOKEN = 40
MAX_SUGGESTIONS = 3
MAX_ALIGN = 20_000


# ---------------------------------------------------------------------------------------------
# Positions and tokens
# ---------------------------------------------------------------------------------------------


def position(sql: str, offset: int) -> tuple[int, int]:
    """Line and column (both from 1) of a character offset of sql."""
    offset = max(0, min(offset, len(sql)))
    line = sql.count("\n", 0, offset) + 1
    return line, offset - (sql.rfind("\n", 0, offset) + 1) + 1


def _tokens(sql: str) -> list[Token]:
    try:
        return list(DuckDB().tokenize(sql))
    except (TokenError, RecursionError):
        return []


def show(text: str, string: bool = False) -> str:
    """A token as the user wrote it, quoted for a sentence; never a string literal's content."""
    if string:
        return "“'…'”"
    text = " ".join(text.split())
    if len(text) > MAX_TOKEN:
        text = text[: MAX_TOKEN - 1] + "…"
    return f"“{text}”"


def locate(sql: str, name: str) -> tuple[int, int] | None:
    """Where sql first names ``name`` (an identifier, any case, quoted or not), or None."""
    wanted = name.lower()
    for token in _tokens(sql):
        if token.token_type in (TokenType.STRING, TokenType.NATIONAL_STRING):
            continue
        if token.text.lower() == wanted:
            return position(sql, token.start)
    return None


def _unclosed_quote(sql: str) -> tuple[int, str] | None:
    """The offset and character of a quote that is never closed (comments skipped)."""
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch in "'\"`":
            end = sql.find(ch, i + 1)
            while end >= 0 and sql.startswith(ch * 2, end):
                end = sql.find(ch, end + 2)
            if end < 0:
                return i, ch
            i = end + 1
        else:
            i += 1
    return None


# ---------------------------------------------------------------------------------------------
# Parser errors
# ---------------------------------------------------------------------------------------------


def _offset(text: str, line: int, col: int) -> int:
    """The character offset of a line and column (both from 1) of text."""
    start = 0
    for _ in range(line - 1):
        found = text.find("\n", start)
        if found < 0:
            break
        start = found + 1
    return start + col - 1


def _back(parsed: str, sql: str, offset: int) -> int:
    """An offset of parsed (sql with ``AS OF`` rewritten) as an offset of sql."""
    if len(sql) > MAX_ALIGN:
        return min(offset, len(sql))  # aligning long texts costs more than a column is worth
    for tag, i1, _i2, j1, j2 in SequenceMatcher(None, sql, parsed, autojunk=False).get_opcodes():
        if j1 <= offset < j2 or (offset == j2 and tag == "equal"):
            return i1 + (offset - j1 if tag == "equal" else 0)
    return min(offset, len(sql))


def parse_error(exc: ParseError | TokenError, sql: str, parsed: str | None = None) -> QueryError:
    """The parser's complaint as a message code at a line and column of sql.

    ``parsed`` is the text the parser read, when it differs from sql (``AS OF`` rewritten):
    the position is carried back to the SQL as the user wrote it.
    """
    if isinstance(exc, TokenError) or not getattr(exc, "errors", None):
        quote = _unclosed_quote(sql)
        if quote is not None:
            offset, ch = quote
            return QueryError.of("syntax_unclosed", where=position(sql, offset), quote=show(ch))
        return QueryError.of("syntax_unreadable", token=show(sql.strip()[:MAX_TOKEN]))
    error: dict[str, Any] = exc.errors[0]
    description = str(error.get("description") or "")
    highlight = str(error.get("highlight") or "")
    line, col = int(error.get("line") or 1), int(error.get("col") or 1)
    where = (line, max(1, col - len(highlight.splitlines()[-1] if highlight else "") + 1))
    if parsed is not None and parsed != sql:
        where = position(sql, _back(parsed, sql, _offset(parsed, *where)))
    token = show(highlight, string=_is_string(sql, where))
    at_end = not str(error.get("end_context") or "").strip()
    if description.startswith("Expected table name"):
        if "SENTINEL" in description:
            return QueryError.of("syntax_incomplete", where=where, token=token)
        return QueryError.of("syntax_table_expected", where=where, token=token)
    if description.startswith("Required keyword"):
        code = "syntax_incomplete" if at_end else "syntax_missing"
        return QueryError.of(code, where=where, token=token)
    expected = re.match(r"Expecting (\S+)|Expected (\S+) after", description)
    if expected:
        wanted = expected.group(1) or expected.group(2)
        return QueryError.of("syntax_expected", where=where, expected=show(wanted), token=token)
    return QueryError.of("syntax_unexpected", where=where, token=token)


_NEAR = re.compile(r'at or near "((?:[^"]|"")*)"')
_STRINGS = (TokenType.STRING, TokenType.NATIONAL_STRING)
_LITERALS = (*_STRINGS, TokenType.NUMBER)
_SELECT_FOLLOWERS = {TokenType.FROM, TokenType.WHERE, TokenType.GROUP_BY, TokenType.ORDER_BY}


def duckdb_parse_error(found: dict[str, Any], sql: str, parsed: str | None = None) -> QueryError:
    """DuckDB's parser error (``json_serialize_sql``'s answer) at a line and column of sql.

    Its position is a byte offset of the text parsed; the token there is named as the user
    wrote it, and a token with nothing after it is "something is missing after …".
    """
    text = parsed if parsed is not None else sql
    message = str(found.get("error_message") or "")
    if "without selection list" in message:
        return _no_columns(sql)
    if "unterminated" in message and (quote := _unclosed_quote(sql)) is not None:
        offset, ch = quote
        return QueryError.of("syntax_unclosed", where=position(sql, offset), quote=show(ch))
    if not str(found.get("position") or "").isdigit():
        return QueryError.of("syntax_unreadable", token=show(sql.strip()[:MAX_TOKEN]))
    offset = len(text.encode("utf-8")[: int(found["position"])].decode("utf-8", "ignore"))
    if text != sql:
        offset = _back(text, sql, offset)
    tokens = _tokens(sql)
    here = next((t for t in tokens if t.start <= offset <= t.end), None)
    if here is None:
        near = _NEAR.search(message)
        word = near.group(1).replace('""', '"') if near else sql[offset:].split(" ", 1)[0]
        token = show(word, string=word.startswith(("'", "$")))  # a literal is not repeated
        return QueryError.of("syntax_unexpected", where=position(sql, offset), token=token)
    where = position(sql, here.start)
    token = show(sql[here.start : here.end + 1], string=here.token_type in _STRINGS)
    # DuckDB names the last token when the SQL ends too soon; a literal there is one too many.
    last = not any(t.start > here.end for t in tokens)
    code = "syntax_incomplete" if last and here.token_type not in _LITERALS else "syntax_unexpected"
    return QueryError.of(code, where=where, token=token)


def at_token(sql: str, parsed: str, offset: int, code: str, **params: Any) -> QueryError:
    """The error ``code`` about the token at a character offset of parsed, named as in sql."""
    if parsed != sql:
        offset = _back(parsed, sql, offset)
    here = next((t for t in _tokens(sql) if t.start <= offset <= t.end), None)
    if here is None:
        return QueryError.of(code, where=position(sql, offset), token=show("…"), **params)
    token = show(sql[here.start : here.end + 1], string=here.token_type in _STRINGS)
    return QueryError.of(code, where=position(sql, here.start), token=token, **params)


def _no_columns(sql: str) -> QueryError:
    """``SELECT FROM t``: where the list of columns is missing (after the first bare SELECT)."""
    tokens = _tokens(sql)
    for i, select in enumerate(tokens):
        if select.token_type != TokenType.SELECT:
            continue
        rest = tokens[i + 1 :]
        while rest and rest[0].text.upper() in ("DISTINCT", "ALL"):
            rest = rest[1:]
        if not rest:
            return QueryError.of("syntax_no_columns", where=position(sql, tokens[-1].end + 1))
        if rest[0].token_type in _SELECT_FOLLOWERS:
            return QueryError.of("syntax_no_columns", where=position(sql, rest[0].start))
    return QueryError.of("syntax_no_columns")


def _is_string(sql: str, where: tuple[int, int]) -> bool:
    for token in _tokens(sql):
        if position(sql, token.start) == where:
            return token.token_type in (TokenType.STRING, TokenType.NATIONAL_STRING)
    return False


# ---------------------------------------------------------------------------------------------
# Database errors
# ---------------------------------------------------------------------------------------------

_COLUMN = re.compile(r'Referenced column "((?:[^"]|"")+)" not found')
_COLUMN_IN = re.compile(
    r'(?:Table|Values list) "((?:[^"]|"")+)" does not have a column named "((?:[^"]|"")+)"'
)
_TABLE = re.compile(r'Referenced table "((?:[^"]|"")+)" not found')
_CANDIDATE_TABLES = re.compile(r"Candidate tables: (.*)")
_AMBIGUOUS = re.compile(r'Ambiguous reference to column name "((?:[^"]|"")+)" \(use: (.*)\)')
_GROUP_BY = re.compile(r'column "((?:[^"]|"")+)" must appear in the GROUP BY clause')
_NO_FUNCTION = re.compile(r"argument types '([^']*)'")
_BEST_CANDIDATE = re.compile(r'for the function call "([^"]*)"')
_ORDER_RANGE = re.compile(r"ORDER term out of range - should be between 1 and (\d+)")
_TO_TYPE = re.compile(r"\bto ([A-Z][A-Z0-9_]*)")
_DESTINATION = re.compile(r"destination type ([A-Z][A-Z0-9_]*)")
_SYNTAX = re.compile(r'syntax error at or near "((?:[^"]|"")*)"')
_PREFIX = re.compile(r"^[A-Za-z ]*Error: ")
_TYPES = {"INT8": "TINYINT", "INT16": "SMALLINT", "INT32": "INTEGER", "INT64": "BIGINT"}


def database_error(
    exc: duckdb.Error, sql: str, fields: Iterable[Suggestion], tables: Iterable[str] = ()
) -> QueryError:
    """A database error as a message code; sql is the user's, fields the readable columns."""
    first = str(exc).split("\n\nLINE ", 1)[0].strip()
    line = first.splitlines()[0] if first else ""
    if isinstance(exc, duckdb.ConversionException):
        bare = re.sub(r"'[^']*'", "", line)
        found = _DESTINATION.search(bare) or _TO_TYPE.search(bare)
        if found is None:
            return QueryError.of("bad_value")
        return QueryError.of("conversion", type=_TYPES.get(found.group(1), found.group(1)))
    if isinstance(exc, duckdb.InvalidInputException | duckdb.OutOfRangeException):
        return QueryError.of("bad_value")
    if isinstance(exc, duckdb.ParserException) and (m := _SYNTAX.search(line)):
        token = m.group(1).replace('""', '"')
        where = locate(sql, token)
        code = "syntax_unexpected" if where else "syntax_unreadable"
        return QueryError.of(code, where=where, token=show(token))
    if m := _COLUMN.search(line):
        name = m.group(1).replace('""', '"')
        return QueryError.of(
            "unknown_column", where=locate(sql, name), suggestions=suggest(name, fields), name=name
        )
    if m := _COLUMN_IN.search(line):
        table, name = (g.replace('""', '"') for g in m.groups())
        return QueryError.of(
            "unknown_column_in",
            where=locate(sql, name),
            suggestions=suggest(name, fields),
            table=table,
            name=name,
        )
    if m := _TABLE.search(line):
        name = m.group(1).replace('""', '"')
        listed = _CANDIDATE_TABLES.search(first)
        known = re.findall(r'"((?:[^"]|"")+)"', listed.group(1)) if listed else list(tables)
        return QueryError.of(
            "unknown_table",
            where=locate(sql, name),
            suggestions=suggest(name, [Suggestion(t) for t in known]),
            name=name,
        )
    if m := _AMBIGUOUS.search(line):
        name = m.group(1).replace('""', '"')
        options = [o.replace('"', "") for o in re.findall(r"'([^']*)'", m.group(2))]
        return QueryError.of(
            "ambiguous_column", where=locate(sql, name), name=name, candidates=_or(options)
        )
    if m := _GROUP_BY.search(line):
        name = m.group(1).replace('""', '"')
        return QueryError.of("group_by", where=locate(sql, name), name=name)
    if m := _NO_FUNCTION.search(line) or _BEST_CANDIDATE.search(line):
        return QueryError.of("argument_types", call=m.group(1))
    if m := _ORDER_RANGE.search(line):
        return QueryError.of("order_range", count=int(m.group(1)))
    if "Set operations can only apply to expressions with the same number" in line:
        return QueryError.of("set_columns")
    detail = _PREFIX.sub("", line).strip()
    if isinstance(exc, duckdb.BinderException | duckdb.CatalogException) and detail:
        return QueryError.of("failed", detail=re.sub(r"'[^']*'", "'…'", detail)[:300])
    return QueryError.of("failed_plain")


def _or(options: list[str]) -> str:
    return " / ".join(options)


# ---------------------------------------------------------------------------------------------
# Did you mean …?
# ---------------------------------------------------------------------------------------------


def distance(a: str, b: str) -> int:
    """Edit distance: insertions, deletions, substitutions and swaps of neighbours each count 1."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, rows[i - 2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]


def _closeness(name: str, candidate: str) -> int | None:
    """How far name is from candidate (lower is closer), or None when too far to suggest."""
    a, b = name.lower(), candidate.lower()
    if not a or not b:
        return None
    if a == b:
        return 0
    if len(a) >= 2 and (a in b or b in a):
        return 1
    d = distance(a, b)
    return d if d <= max(1, min(len(a), len(b)) // 3) else None


def suggest(name: str, candidates: Iterable[Suggestion]) -> list[Suggestion]:
    """The candidates closest to name, by key or title; the closest first, at most three."""
    scored = []
    for c in candidates:
        scores = [
            s for t in (c.name, c.title, c.title_en) if (s := _closeness(name, t)) is not None
        ]
        if scores:
            scored.append((min(scores), c.name, c))
    scored.sort(key=lambda item: (item[0], item[1]))
    found: list[Suggestion] = []
    for _score, _name, c in scored:
        if c.name.lower() != name.lower() and c not in found:
            found.append(c)
    return found[:MAX_SUGGESTIONS]
