"""The query options of a request, or of one ``$expand`` (``Datastreams($top=3;$skip=3)``).

Parsed once into ``Options``; the raw text of each is kept so a next link repeats them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from shequ.flood.sta import filters
from shequ.flood.sta.errors import BadRequest

DEFAULT_TOP = 100
MAX_TOP = 1000
MAX_EXPAND_DEPTH = 3
KNOWN = ("$top", "$skip", "$count", "$orderby", "$select", "$filter", "$expand")


@dataclass(frozen=True)
class Order:
    prop: str
    descending: bool


@dataclass
class Expand:
    nav: str
    options: Options


@dataclass
class Options:
    top: int = DEFAULT_TOP
    skip: int = 0
    count: bool = False
    orderby: list[Order] = field(default_factory=list)
    select: list[str] | None = None
    filter: filters.Node | None = None
    expand: list[Expand] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)


def _bad(option: str, message: str) -> BadRequest:
    return BadRequest(message, fields={option: [message]})


def _count(text: str, option: str) -> int:
    if not text.isdigit():
        raise _bad(
            option,
            _("%(option)s must be a whole number of 0 or more, not %(text)s.")
            % {"option": option, "text": repr(text)},
        )
    return int(text)


def split_top_level(text: str, separator: str) -> list[str]:
    """``text`` cut at ``separator`` outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise _bad("$expand", _("Unbalanced parentheses in %(text)s.") % {"text": text})
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth or quoted:
        raise _bad("$expand", _("Unbalanced parentheses in %(text)s.") % {"text": text})
    parts.append(text[start:])
    return [p.strip() for p in parts]


def parse(pairs: Iterable[tuple[str, str]], depth: int = 0) -> Options:
    """Options from ``(name, value)`` pairs (a query string, or a nested ``a=1;b=2``)."""
    opts = Options()
    for name, value in pairs:
        if not name.startswith("$"):
            continue  # not a query option (a cache buster): ignored, as OData does
        if name not in KNOWN:
            raise _bad(name, _("The query option %(option)s is not supported.") % {"option": name})
        if name in opts.raw:
            raise _bad(name, _("%(option)s is given twice.") % {"option": name})
        opts.raw[name] = value
        if name == "$top":
            opts.top = min(_count(value, name), MAX_TOP)
        elif name == "$skip":
            opts.skip = _count(value, name)
        elif name == "$count":
            if value not in ("true", "false"):
                raise _bad(name, _("$count is true or false."))
            opts.count = value == "true"
        elif name == "$orderby":
            opts.orderby = _orderby(value)
        elif name == "$select":
            opts.select = [p.strip() for p in value.split(",")]
            if not all(opts.select):
                raise _bad(name, _("$select lists properties separated by commas."))
        elif name == "$filter":
            opts.filter = filters.parse(value)
        else:
            opts.expand = _expand(value, depth)
    return opts


def _orderby(text: str) -> list[Order]:
    out = []
    for part in text.split(","):
        words = part.split()
        if len(words) == 2:
            words[1] = words[1].lower()  # clients send ASC and DESC too
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise _bad(
                "$orderby",
                _("$orderby: %(part)s is not a property with asc or desc.") % {"part": repr(part)},
            )
        out.append(Order(words[0], len(words) == 2 and words[1] == "desc"))
    return out


def _nested(text: str, depth: int) -> Options:
    pairs = []
    for item in split_top_level(text, ";"):
        name, eq, value = item.partition("=")
        if not eq or not name.strip().startswith("$"):
            raise _bad(
                "$expand",
                _("$expand: %(item)s is not an option such as $top=3.") % {"item": repr(item)},
            )
        pairs.append((name.strip(), value.strip()))
    return parse(pairs, depth)


def _expand(text: str, depth: int) -> list[Expand]:
    if depth >= MAX_EXPAND_DEPTH:
        raise _bad(
            "$expand", _("$expand goes at most %(n)s levels deep.") % {"n": MAX_EXPAND_DEPTH}
        )
    out: list[Expand] = []
    for item in split_top_level(text, ","):
        segments = split_top_level(item, "/")
        chain: list[Expand] = []
        for level, segment in enumerate(segments):
            name, paren, rest = segment.partition("(")
            if paren and not rest.endswith(")"):
                raise _bad("$expand", _("Unbalanced parentheses in %(text)s.") % {"text": item})
            if not name.strip():
                raise _bad("$expand", _("$expand names navigation properties such as Datastreams."))
            if level + depth >= MAX_EXPAND_DEPTH:
                raise _bad(
                    "$expand",
                    _("$expand goes at most %(n)s levels deep.") % {"n": MAX_EXPAND_DEPTH},
                )
            options = _nested(rest[:-1], depth + level + 1) if paren else Options()
            chain.append(Expand(name.strip(), options))
        for parent, child in itertools.pairwise(chain):
            _merge(parent.options.expand, child)
        _merge(out, chain[0])
    return out


def _merge(into: list[Expand], item: Expand) -> None:
    """``Datastreams,Datastreams/Observations``: one expansion of Datastreams, with both."""
    for existing in into:
        if existing.nav == item.nav:
            if item.options.raw and existing.options.raw:
                raise _bad("$expand", _("$expand: %(nav)s is expanded twice.") % {"nav": item.nav})
            if item.options.raw:
                item.options.expand.extend(existing.options.expand)
                into[into.index(existing)] = item
            else:
                for child in item.options.expand:
                    _merge(existing.options.expand, child)
            return
    into.append(item)


def encode_nested(opts: Options) -> str:
    """Options back as a query string's pairs (for a next link), top and skip excluded."""
    return "&".join(f"{k}={v}" for k, v in opts.raw.items() if k not in ("$top", "$skip"))
