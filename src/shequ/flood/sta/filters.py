"""``$filter``: comparisons of a property with a literal, joined by ``and``, ``or``, ``not``.

A tokenizer and a recursive-descent parser build a small tree, which ``to_q`` turns into a
Django ``Q`` for the properties an entity set allows (``entities.Field``). Everything else
of OData's grammar (functions such as ``substringof``, arithmetic such as ``add``, ``in``,
``has``, one property against another, intervals) is refused with a 400 naming it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from shequ.flood.sta.errors import BadRequest

COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
FLIPPED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
UNSUPPORTED_OPERATORS = ("add", "sub", "mul", "div", "mod", "has", "in")
LOOKUPS = {"eq": "exact", "gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?
        (?:/\S*)?)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z@$_][\w@.$]*(?:/[A-Za-z@$_][\w@.$]*)*)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # string, time, number, name, punct, end
    text: str
    at: int


@dataclass(frozen=True)
class Prop:
    path: str


@dataclass(frozen=True)
class Literal:
    value: str | float | int | datetime | bool | None
    text: str


@dataclass(frozen=True)
class Compare:
    prop: Prop
    op: str
    literal: Literal


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Junction:
    op: str  # and, or
    left: Node
    right: Node


Node = Compare | Not | Junction


def _bad(message: str) -> BadRequest:
    return BadRequest(message, fields={"$filter": [message]})


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if found is None:
            raise _bad(
                _("$filter: unexpected %(text)s at position %(at)s.")
                % {"text": repr(text[pos : pos + 10]), "at": pos}
            )
        kind = found.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, found.group(), pos))
        pos = found.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _literal(token: Token) -> Literal:
    if token.kind == "string":
        return Literal(token.text[1:-1].replace("''", "'"), token.text)
    if token.kind == "number":
        number = float(token.text)
        if not math.isfinite(number):
            raise _bad(_("$filter: %(text)s is not a finite number.") % {"text": token.text})
        if re.fullmatch(r"-?\d+", token.text):
            return Literal(int(token.text), token.text)
        return Literal(number, token.text)
    if token.kind == "time":
        if "/" in token.text:
            raise _bad(_("$filter: time intervals (%(text)s) are not supported.") % token.__dict__)
        try:
            value = datetime.fromisoformat(token.text.replace("Z", "+00:00"))
        except ValueError:
            raise _bad(_("$filter: %(text)s is not a valid time.") % token.__dict__) from None
        if value.tzinfo is None:
            raise _bad(
                _("$filter: the time %(text)s needs an offset (Z or +08:00).") % token.__dict__
            )
        return Literal(value.astimezone(UTC), token.text)
    if token.kind == "date":
        raise _bad(_("$filter: the time %(text)s needs an offset (Z or +08:00).") % token.__dict__)
    if token.kind == "name" and token.text in ("true", "false"):
        return Literal(token.text == "true", token.text)
    if token.kind == "name" and token.text == "null":
        return Literal(None, token.text)
    raise AssertionError(token)


def _is_literal(token: Token) -> bool:
    return token.kind in ("string", "number", "time", "date") or (
        token.kind == "name" and token.text in ("true", "false", "null")
    )


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def word(self, *words: str) -> bool:
        return self.token.kind == "name" and self.token.text in words

    def expected(self, what: str) -> BadRequest:
        got = self.token.text or _("the end")
        return _bad(
            _("$filter: expected %(what)s at position %(at)s, found %(got)s.")
            % {"what": what, "at": self.token.at, "got": got}
        )

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise _bad(_("$filter: the condition is empty."))
        node = self.or_()
        if self.token.kind != "end":
            if self.word(*UNSUPPORTED_OPERATORS):
                raise self.unsupported_operator()
            raise self.expected("and, or")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.word("or"):
            self.take()
            node = Junction("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.unary()
        while self.word("and"):
            self.take()
            node = Junction("and", node, self.unary())
        return node

    def unary(self) -> Node:
        if self.word("not"):
            self.take()
            return Not(self.unary())
        if self.token.text == "(":
            self.take()
            node = self.or_()
            if self.token.text != ")":
                raise self.expected(")")
            self.take()
            return node
        return self.comparison()

    def unsupported_operator(self) -> BadRequest:
        return _bad(
            _("$filter: the operator %(op)s is not supported (only eq ne gt ge lt le, and or not).")
            % {"op": self.token.text}
        )

    def operand(self) -> Prop | Literal:
        token = self.token
        if _is_literal(token):
            self.take()
            return _literal(token)
        if token.kind == "name" and token.text not in ("and", "or", "not", *COMPARISONS):
            self.take()
            if self.token.text == "(":
                raise _bad(
                    _("$filter: the function %(name)s() is not supported.") % {"name": token.text}
                )
            return Prop(token.text)
        raise self.expected(_("a property or a value"))

    def comparison(self) -> Node:
        left = self.operand()
        if self.word(*UNSUPPORTED_OPERATORS):
            raise self.unsupported_operator()
        if not self.word(*COMPARISONS):
            raise self.expected("eq, ne, gt, ge, lt, le")
        op = self.take().text
        right = self.operand()
        if self.word(*UNSUPPORTED_OPERATORS):
            raise self.unsupported_operator()
        if isinstance(left, Prop) and isinstance(right, Literal):
            return Compare(left, op, right)
        if isinstance(left, Literal) and isinstance(right, Prop):
            return Compare(right, FLIPPED[op], left)
        raise _bad(_("$filter: compare a property with a value (not two of either)."))


def parse(text: str) -> Node:
    """The tree of a ``$filter`` expression; a ``BadRequest`` naming what is not supported."""
    return _Parser(text).parse()


@dataclass(frozen=True)
class Field:
    """A property that ``$filter`` and ``$orderby`` may use: its column and its kind of value."""

    column: str
    kind: type  # float, int, str, datetime


def _value(field: Field, compare: Compare) -> Any:
    value, text = compare.literal.value, compare.literal.text
    path = compare.prop.path
    ok = (
        (field.kind is float and isinstance(value, int | float) and not isinstance(value, bool))
        or (field.kind is int and isinstance(value, int) and not isinstance(value, bool))
        or (field.kind is str and isinstance(value, str))
        or (field.kind is datetime and isinstance(value, datetime))
    )
    if not ok:
        raise _bad(
            _("$filter: %(property)s cannot be compared with %(value)s.")
            % {"property": path, "value": text}
        )
    return value


def to_q(node: Node, fields: Mapping[str, Field], entity_set: str) -> Q:
    """The node as a ``Q`` over the entity set's model; properties outside ``fields`` refused."""
    if isinstance(node, Junction):
        left, right = to_q(node.left, fields, entity_set), to_q(node.right, fields, entity_set)
        return left & right if node.op == "and" else left | right
    if isinstance(node, Not):
        return ~to_q(node.operand, fields, entity_set)
    field = fields.get(node.prop.path)
    if field is None:
        allowed = ", ".join(fields) or "-"
        raise _bad(
            _("$filter: %(property)s is not supported on %(set)s (only %(allowed)s).")
            % {"property": node.prop.path, "set": entity_set, "allowed": allowed}
        )
    value = _value(field, node)
    if node.op == "ne":
        return ~Q(**{field.column: value})
    return Q(**{f"{field.column}__{LOOKUPS[node.op]}": value})
