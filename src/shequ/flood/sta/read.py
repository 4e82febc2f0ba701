"""Answering a GET: an entity, a collection page with its next link, or one property."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from shequ.core.types import Requester
from shequ.flood.sta import filters
from shequ.flood.sta.entities import SETS, EntitySet, Kinds, Source
from shequ.flood.sta.errors import BadRequest
from shequ.flood.sta.options import Options
from shequ.flood.sta.paths import Target

LINK_SAFE = "$(),/:;'"
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/create-entity",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
]


@dataclass(frozen=True)
class Context:
    base: str  # the absolute URL of /sta/v1.1, without a trailing slash
    user: Requester

    def link(self, eset: EntitySet, entity_id: int) -> str:
        return f"{self.base}/{eset.name}({entity_id})"


def root(ctx: Context) -> dict[str, Any]:
    return {
        "value": [{"name": name, "url": f"{ctx.base}/{name}"} for name in SETS],
        "serverSettings": {"conformance": CONFORMANCE},
    }


def answer(ctx: Context, target: Target, opts: Options, url: str) -> Any:
    """The body of a GET on ``target``; ``url`` is the request's own (for next links)."""
    if target.prop is not None:
        value = target.set.render(target.obj)[target.prop]
        return value if target.raw_value else {target.prop: value}
    if target.single:
        return entity(ctx, target.set, target.obj, opts)
    assert target.source is not None
    return collection(ctx, target.set, target.source, opts, url)


def _check_select(eset: EntitySet, opts: Options) -> set[str] | None:
    if opts.select is None:
        return None
    known = {"@iot.id", "id", "@iot.selfLink", *eset.properties, *eset.navs}
    for name in opts.select:
        if name not in known:
            raise BadRequest(
                _("$select: %(entity)s has no property %(name)s.")
                % {"entity": eset.singular, "name": name},
                fields={"$select": [name]},
            )
    return set(opts.select)


def _check_expand(eset: EntitySet, opts: Options) -> None:
    for item in opts.expand:
        if item.nav not in eset.navs:
            raise BadRequest(
                _("$expand: %(entity)s has no navigation property %(name)s.")
                % {"entity": eset.singular, "name": item.nav},
                fields={"$expand": [item.nav]},
            )


def entity(ctx: Context, eset: EntitySet, obj: Any, opts: Options) -> dict[str, Any]:
    selected = _check_select(eset, opts)
    _check_expand(eset, opts)
    entity_id = eset.id_of(obj)
    self_link = ctx.link(eset, entity_id)
    full: dict[str, Any] = {"@iot.id": entity_id, "@iot.selfLink": self_link}
    full.update(eset.render(obj))
    for name in eset.navs:
        full[f"{name}@iot.navigationLink"] = f"{self_link}/{name}"
    if selected is not None:
        if "id" in selected:
            selected.add("@iot.id")
        keep = {k for k in full if k in selected or (k.split("@")[0] in selected and "@" in k)}
        full = {k: v for k, v in full.items() if k in keep}
    for item in opts.expand:
        nav = eset.navs[item.nav]
        target, reached = SETS[nav.target], nav.of(obj, ctx.user)
        if nav.many:
            page = collection(ctx, target, reached, item.options, f"{self_link}/{item.nav}")
            for key in ("@iot.count", "@iot.nextLink"):
                if key in page:
                    full[f"{item.nav}{key}"] = page[key]
            full[item.nav] = page["value"]
        else:
            one = _first(reached)
            full[item.nav] = None if one is None else entity(ctx, target, one, item.options)
    return full


def _first(source: Source) -> Any:
    if isinstance(source, Kinds):
        return source.kinds[0] if source.kinds else None
    return source.first()


def _order(eset: EntitySet, opts: Options) -> list[str]:
    columns = []
    for order in opts.orderby:
        field = eset.fields.get(order.prop)
        if field is None:
            allowed = ", ".join(eset.fields) or "-"
            raise BadRequest(
                _("$orderby: %(property)s is not supported on %(set)s (only %(allowed)s).")
                % {"property": order.prop, "set": eset.name, "allowed": allowed},
                fields={"$orderby": [order.prop]},
            )
        columns.append(f"-{field.column}" if order.descending else field.column)
    return [*columns, "pk"]


def collection(
    ctx: Context, eset: EntitySet, source: Source, opts: Options, url: str
) -> dict[str, Any]:
    """One page: ``@iot.count`` (asked for), ``@iot.nextLink`` (when more follow), ``value``."""
    _check_select(eset, opts)
    _check_expand(eset, opts)
    columns = _order(eset, opts)
    total: int | None = None
    if isinstance(source, Kinds):
        if opts.filter is not None:
            filters.to_q(opts.filter, eset.fields, eset.name)  # refuses, naming the property
        rows: list[Any] = list(source.kinds)
        total = len(rows)
        rows = rows[opts.skip : opts.skip + opts.top + 1]
    else:
        qs = source
        if opts.filter is not None:
            qs = qs.filter(filters.to_q(opts.filter, eset.fields, eset.name))
        qs = qs.order_by(*columns)
        if opts.count:
            total = qs.count()
        rows = list(qs[opts.skip : opts.skip + opts.top + 1])
    more = len(rows) > opts.top > 0
    body: dict[str, Any] = {}
    if opts.count:
        body["@iot.count"] = total
    if more:
        body["@iot.nextLink"] = next_link(url, opts)
    body["value"] = [entity(ctx, eset, row, opts) for row in rows[: opts.top]]
    return body


def next_link(url: str, opts: Options) -> str:
    pairs = {k: v for k, v in opts.raw.items() if k not in ("$top", "$skip")}
    pairs["$top"] = str(opts.top)
    pairs["$skip"] = str(opts.skip + opts.top)
    return f"{url}?{urlencode(pairs, safe=LINK_SAFE)}"
