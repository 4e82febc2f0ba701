"""Masking of personal columns as DuckDB SQL expressions, mirroring ``shequ.core.pii.mask``.

The query engine defines each dataset view with ``masked_select``: every PII column is masked
(unless the user's grant allows that column in clear), so user SQL only ever sees masked values.
The expressions follow ``pii.mask`` character for character: normalise when the value is a valid
phone, plate or ID number (half-width, separators removed, upper case), otherwise strip it; then
keep a head and a tail and star the middle, never keeping more than two thirds of a short value.

One deliberate simplification: an 18-character value shaped like an ID number is masked from
its normalised form even when its check digit or birth date is wrong (``pii`` would mask the
stripped original instead). Both keep the first 6 characters (the address code), so the two
differ at most in the width of those characters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlglot import exp

from shequ.core import pii
from shequ.core.pii import PLATE_PROVINCES

# What Python's str.strip() removes (str.isspace), for DuckDB's trim(value, characters).
_WHITESPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space -> ASCII, as pii._half_width.
_FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F)) + "\u3000"
_FULL_WIDTH_CLASS = "[\\x{ff01}-\\x{ff5e}\\x{3000}]"  # RE2: any character of _FULL_WIDTH
_HALF_WIDTH = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)) + " "
# The separators pii strips from phones and plates (Python's \s is the whitespace above).
_PHONE_SEPARATORS = "-‐‑‒–—−()."
_PLATE_SEPARATORS = "·•・･‧∙⋅-‐‑‒–—−._"
_CJK_CLASS = r"[\x{3400}-\x{9fff}\x{f900}-\x{faff}\x{20000}-\x{3134f}]"
_PLATE_RE = (
    f"[{PLATE_PROVINCES}][A-HJ-NP-Z]"
    "(?:[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳]|[A-HJK][A-HJ-NP-Z0-9]{5}|[0-9]{5}[DF])"
)
FIXED_MASK = "******"


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _class(chars: str) -> str:
    """An RE2 character class of exactly these characters."""
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"


def _strip(v: str) -> str:
    return f"trim({v}, {_lit(_WHITESPACE)})"


def _half_width(v: str) -> str:
    """Full-width ASCII as ASCII; translate() only where there is some (see
    ``ingest.cells.half_width``: it costs 10 µs a value)."""
    translated = f"translate({v}, {_lit(_FULL_WIDTH)}, {_lit(_HALF_WIDTH)})"
    return (
        f"CASE WHEN regexp_matches({v}, {_lit(_FULL_WIDTH_CLASS)}) THEN {translated} ELSE {v} END"
    )


def _without(v: str, separators: str) -> str:
    return f"regexp_replace({v}, {_lit(_class(_WHITESPACE + separators) + '+')}, '', 'g')"


def _middle(head: int, tail: int) -> Stage:
    """pii._mask_middle: keep head and tail characters, at most n - ceil(n / 3) of them."""

    def stage(c: str, s: str) -> str:
        n = f"length({s})"
        keep = f"({n} - ({n} + 2) // 3)"
        short = f"{head + tail} > {keep}"
        h = f"(CASE WHEN {short} THEN {keep} - {keep} // 2 ELSE {head} END)"
        t = f"(CASE WHEN {short} THEN {keep} // 2 ELSE {tail} END)"
        return f"left({s}, {h}) || repeat('*', {n} - {h} - {t}) || right({s}, {t})"

    return stage


def _valid_or_stripped(pattern: str) -> Stage:
    """The normalised value (previous stage) when it matches pattern, else the stripped value."""

    def stage(c: str, p: str) -> str:
        return f"CASE WHEN regexp_full_match({p}, {_lit(pattern)}) THEN {p} ELSE {_strip(c)} END"

    return stage


def _name(c: str, s: str) -> str:
    return (
        f"CASE WHEN length({s}) <= 1 THEN repeat('*', length({s})) "
        f"WHEN regexp_matches({s}, {_lit(_CJK_CLASS)}) "
        f"THEN left({s}, 1) || repeat('*', length({s}) - 1) "
        f"ELSE left({s}, 1) || '***' END"
    )


def _address(c: str, s: str) -> str:
    n = f"length({s})"
    return f"CASE WHEN {n} = 0 THEN '' ELSE left({s}, least(6, {n} - ({n} + 2) // 3)) || '****' END"


def _phone_national(c: str, d: str) -> str:
    return (
        f"CASE WHEN starts_with({d}, '+86') THEN substr({d}, 4) "
        f"WHEN starts_with({d}, '0086') THEN substr({d}, 5) "
        f"WHEN length({d}) = 13 AND starts_with({d}, '86') THEN substr({d}, 3) ELSE {d} END"
    )


# A stage is an SQL expression of the value as VARCHAR (c) and of the previous stage (p).
Stage = Callable[[str, str], str]
# Per kind, the stages from the value as VARCHAR to its masked form (for a value that is
# neither NULL nor ''). Separate stages keep each expression small: nested into one, they
# would repeat the normalisation dozens of times.
_STAGES: dict[str, tuple[Stage, ...]] = {
    "name": (lambda c, p: _strip(c), _name),
    "address": (lambda c, p: _strip(c), _address),
    "id_card": (
        lambda c, p: f"upper({_strip(_half_width(c))})",
        _valid_or_stripped("[0-9]{17}[0-9X]"),
        _middle(6, 0),
    ),
    "phone": (
        lambda c, p: _without(_half_width(c), _PHONE_SEPARATORS),
        _phone_national,
        _valid_or_stripped("1[3-9][0-9]{9}"),
        _middle(3, 4),
    ),
    "plate": (
        lambda c, p: f"upper({_without(_half_width(c), _PLATE_SEPARATORS)})",
        _valid_or_stripped(_PLATE_RE),
        _middle(2, 2),
    ),
    "birth_date": (
        lambda c, p: _strip(_half_width(c)),
        lambda c, p: (
            f"CASE WHEN regexp_full_match({p}, '(?s)[0-9]{{4}}(?:[^0-9].*|[0-9]{{4}}.*)?') "
            f"THEN left({p}, 3) || '*-**-**' ELSE {_lit(FIXED_MASK)} END"
        ),
    ),
    "face": (lambda c, p: _lit(FIXED_MASK),),
    "health": (lambda c, p: _lit(FIXED_MASK),),
}
KINDS = frozenset(_STAGES)


def masked_select(source: str, columns: list[tuple[str, str | None]]) -> str:
    """``SELECT`` the columns of relation ``source``, each ``(name, pii kind or None)``.

    A column with a kind comes out masked as ``pii.mask`` would (NULL and '' pass through,
    anything else becomes VARCHAR and is masked), under its own name; the others unchanged.
    Masking happens in nested projections; DuckDB drops the stages of columns a query does
    not use, so an unused personal column costs nothing.
    """
    for name, kind in columns:
        if kind is not None and kind not in _STAGES:
            raise ValueError(f"unknown kind of personal information for {name!r}: {kind!r}")
    # Stage names start with "__": schema field names start with a letter, so never collide.
    chains = {
        i: (name, _STAGES[kind], [f"__shequ_{i}_{k}" for k in range(len(_STAGES[kind]) + 1)])
        for i, (name, kind) in enumerate(columns)
        if kind is not None
    }
    relation = source
    depth = max((len(names) for _, _, names in chains.values()), default=0)
    for level in range(depth):
        extra = []
        for name, stages, names in chains.values():
            if level >= len(names):
                continue
            if level == 0:
                expr = f"CAST({_ident(name)} AS VARCHAR)"
            else:
                expr = stages[level - 1](_ident(names[0]), _ident(names[level - 1]))
            extra.append(f"{expr} AS {_ident(names[level])}")
        relation = f"(SELECT *, {', '.join(extra)} FROM {relation} AS _m{level})"
    outputs = []
    for i, (name, _kind) in enumerate(columns):
        if i not in chains:
            outputs.append(_ident(name))
            continue
        names = chains[i][2]
        value, masked = _ident(names[0]), _ident(names[-1])
        outputs.append(
            f"CASE WHEN {value} IS NULL OR {value} = '' THEN {value} ELSE {masked} END "
            f"AS {_ident(name)}"
        )
    return f"SELECT {', '.join(outputs)} FROM {relation} AS _masked"


# ---------------------------------------------------------------------------------------------
# SQL as the audit log records it
# ---------------------------------------------------------------------------------------------


def _context_kind(node: exp.Expression, kinds: Mapping[str, str]) -> str | None:
    """The PII kind of the column a literal is compared or combined with: the first personal
    column of the literal's nearest enclosing expression that has columns (within its own
    SELECT); "" when that expression has only other columns, None when there is none."""
    parent = node.parent
    while parent is not None and not isinstance(parent, exp.Query):
        columns = list(parent.find_all(exp.Column))
        for column in columns:
            kind = kinds.get(column.name.lower())
            if kind:
                return kind
        if columns:
            return ""
        parent = parent.parent
    return None


def audit_sql(sql: str, kinds: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """SQL with its literal values masked, for the audit log; and each clear -> masked literal.

    A literal used with a personal column (``phone = '13812345678'``, ``plate IN (…)``,
    ``starts_with(id_number, '3301')``) is masked by ``pii.mask`` as that column's kind, the
    function that masks query results; a text literal met by no column at all (guesses in a
    CTE, a CAST of a constant) keeps its first character; any other literal, identifier or
    alias that has the shape of an ID number, mobile number or plate is masked as one.
    ``kinds`` maps the column names of the datasets read to their PII kind. Comments are
    dropped (they can hold anything). SQL that does not parse is recorded with every quoted
    value reduced to its first character.
    """
    from shequ.hub.query import policy

    try:
        tree = policy.parse(sql, max_chars=len(sql) + 1)
    except Exception:  # refused, or sqlglot could not read it: mask it as free text
        return pii.mask_text(sql), {}
    replaced: dict[str, str] = {}
    for literal in list(tree.find_all(exp.Literal)):
        value = str(literal.this)
        kind = _context_kind(literal, kinds)
        if kind:
            masked = pii.mask(kind, value) or value
        elif kind is None and literal.is_string and len(value) > 1:
            # Free text met by no column (a list of guesses, a CAST): could be anything.
            masked = value[0] + "*" * (len(value) - 1)
        else:
            masked = pii.mask_text(value, quoted=False, dates=False, digits=literal.is_string)
        if masked != value:
            replaced[value] = masked
            literal.replace(exp.Literal.string(masked))
    try:
        text = tree.sql(dialect="duckdb", comments=False)
    except Exception:
        return pii.mask_text(sql), replaced
    return pii.mask_text(text, quoted=False, dates=False, digits=False), replaced


def audit_text(text: str, replaced: Mapping[str, str]) -> str:
    """An error message for the audit log: the masked forms of the SQL's literals, shapes."""
    for clear in sorted(replaced, key=len, reverse=True):
        if len(clear) > 1:
            text = text.replace(clear, replaced[clear])
    return pii.mask_text(text, quoted=False, dates=False)
