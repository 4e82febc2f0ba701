"""The duty roster: shifts per region and tier, and who on duty is told of an alert.

An alert is told to the region's channels (``core`` notifications) and, in person (their
inbox and the channels each chose: e-mail, webhook, DingTalk or WeCom robot), to those on
duty at its tier over the point's region whose ``min_level`` it reaches.
An alert still firing unacknowledged passes on to the next tier that has someone on duty
(``sweeps.remind``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shequ.core.models import Channel, InboxMessage, Region
from shequ.core.models.regions import covering_codes
from shequ.core.permissions import Perm, can, scope
from shequ.core.services.audit import record
from shequ.core.services.notify import channel_target, notify_people_later, set_personal_channel
from shequ.core.transports.base import Message
from shequ.core.types import Requester, User
from shequ.flood.models import DutyShift, MonitoringPoint, Rule, Silence, Tier
from shequ.flood.services.access import require_point


def add_shift(
    actor: User,
    region: Region,
    user: User,
    starts_at: datetime,
    ends_at: datetime,
    *,
    tier: int = Tier.FIRST,
    min_level: int = 1,
) -> DutyShift:
    require_point(actor, MonitoringPoint(region=region))
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": [_("A shift ends after it starts.")]})
    shift = DutyShift.objects.create(
        region=region, user=user, tier=tier, starts_at=starts_at, ends_at=ends_at,
        min_level=min_level,
    )  # fmt: skip
    record("flood.shift.add", actor=actor, obj=shift, region_code=region.code, tier=tier)
    return shift


# Within ``batch()``: what the roster lookups read, kept for the rest of the batch.
_memo: ContextVar[dict[Any, Any] | None] = ContextVar("flood_roster_memo", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """Within it, the shifts, silences and people's channels are read once and answered from
    memory after (the alerts of one ingesting transaction: a hundred gauges crossing together
    asked the same three questions a hundred times). What was read holds every row that can
    answer a later time, so the answers are those of a fresh query at that time, as the
    batch's transaction sees the database."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _remembered(key: tuple[Any, ...], at: datetime, load: Callable[[], Any]) -> Any:
    """``load()`` (rows for any time from ``at`` on), read once in a ``batch()``; None outside
    one, or for a time before the one it was read for."""
    memo = _memo.get()
    if memo is None:
        return None
    hit = memo.get(key)
    if hit is None or at < hit[0]:
        hit = memo[key] = (at, load())
    return hit[1]


def on_duty(point: MonitoringPoint, tier: int, level: int, at: datetime) -> list[User]:
    """Who is on duty at ``tier`` over the point's region at ``at`` and told of ``level``."""
    codes = covering_codes(point.region.code)
    shifts: list[DutyShift] | None = _remembered(
        ("shifts", point.region.code, tier),
        at,
        lambda: list(
            DutyShift.objects.filter(
                region__code__in=codes, tier=tier, ends_at__gt=at, user__is_active=True
            ).select_related("user")
        ),
    )
    if shifts is None:
        shifts = list(
            DutyShift.objects.filter(
                region__code__in=codes,
                tier=tier,
                starts_at__lte=at,
                ends_at__gt=at,
                min_level__lte=level,
                user__is_active=True,
            ).select_related("user")
        )
    else:
        shifts = [s for s in shifts if s.starts_at <= at < s.ends_at and s.min_level <= level]
    return list({s.user_id: s.user for s in shifts}.values())


def next_tier(point: MonitoringPoint, after: int, level: int, at: datetime) -> int | None:
    """The next tier above ``after`` with someone on duty for this alert, if any."""
    for tier in range(after + 1, max(Tier.values) + 1):
        if on_duty(point, tier, level, at):
            return tier
    return None


def tell(point: MonitoringPoint, tier: int, level: int, at: datetime, message: Message) -> int:
    """Tell each person on duty at ``tier``: their inbox, and the channels they chose
    (``choose_channel``, delivered by the worker after the commit); people told."""
    people = on_duty(point, tier, level, at)
    ids = sorted({u.pk for u in people})
    chose = _remembered(
        ("channels", *ids),
        at,
        lambda: Channel.objects.filter(owner_id__in=ids, enabled=True).exists(),
    )
    if chose is not False:  # in a batch, nobody of them chose a channel: nothing to queue
        notify_people_later(ids, message)
    return to_inbox(people, message)


def to_inbox(people: list[User], message: Message) -> int:
    """Put the message in each person's inbox; people told."""
    InboxMessage.objects.bulk_create(
        InboxMessage(
            user=u, title=message.title[:200], body=message.body, url=message.url,
            level=message.level,
        )
        for u in people
    )  # fmt: skip
    return len(people)


def on_roster(point: MonitoringPoint, at: datetime) -> list[User]:
    """Who has a shift over the point's region now or later, and watches the region: those a
    task of the point may be assigned to."""
    shifts = (
        DutyShift.objects.filter(
            region__code__in=covering_codes(point.region.code), ends_at__gt=at,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("starts_at", "tier")
    )  # fmt: skip
    people = {s.user_id: s.user for s in shifts}
    return [u for u in people.values() if can(u, Perm.FLOOD, point.region.code)]


def silence(
    actor: User, point: MonitoringPoint, until: datetime, reason: str, rule: Rule | None = None
) -> Silence:
    """Maintenance: nobody is told of the point's (or the rule's) alerts until ``until``."""
    from django.utils import timezone

    require_point(actor, point)
    now = timezone.now()
    if until <= now:
        raise ValidationError({"until": [_("A silence ends in the future.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the point is silenced.")]})
    if rule is not None and rule.point_id != point.pk:
        raise ValidationError({"rule": [_("That rule is another point's.")]})
    made = Silence.objects.create(
        point=point, rule=rule, starts_at=now, until=until, reason=reason.strip()[:200],
        created_by=actor,
    )  # fmt: skip
    record("flood.silence.add", actor=actor, obj=point, region_code=point.region.code)
    return made


def silenced(point: MonitoringPoint, rule: Rule, at: datetime) -> bool:
    every: list[tuple[int, int | None, datetime, datetime]] | None = _remembered(
        ("silences",),
        at,
        lambda: list(
            Silence.objects.filter(until__gt=at).values_list(
                "point_id", "rule_id", "starts_at", "until"
            )
        ),
    )
    if every is not None:
        return any(
            p == point.pk and r in (None, rule.pk) and start <= at < until
            for p, r, start, until in every
        )
    return (
        Silence.objects.filter(point=point, starts_at__lte=at, until__gt=at)
        .filter(models.Q(rule__isnull=True) | models.Q(rule=rule))
        .exists()
    )


def shifts_for(user: Requester, at: datetime) -> QuerySet[DutyShift]:
    """Shifts not yet over in the regions where the user holds the flood permission."""
    qs = DutyShift.objects.filter(ends_at__gt=at).select_related("region", "user")
    return scope(qs, user, Perm.FLOOD).order_by("starts_at", "tier")


def end_shift(actor: User, shift: DutyShift, at: datetime) -> DutyShift:
    """End a shift now (someone sent home); one already over stays as it was."""
    require_point(actor, MonitoringPoint(region=shift.region))
    if shift.ends_at <= at:
        return shift
    shift.ends_at = max(at, shift.starts_at + timedelta(seconds=1))
    shift.save(update_fields=["ends_at"])
    record("flood.shift.end", actor=actor, obj=shift, region_code=shift.region.code)
    return shift


def silences_for(user: Requester, at: datetime) -> QuerySet[Silence]:
    qs = Silence.objects.filter(until__gt=at).select_related("point", "point__region", "rule")
    return scope(qs, user, Perm.FLOOD, region_field="point__region").order_by("until")


def end_silence(actor: User, made: Silence, at: datetime) -> Silence:
    """End a silence now (maintenance over); one already over stays as it was."""
    require_point(actor, made.point)
    if made.until <= at:
        return made
    made.until = max(at, made.starts_at)
    made.save(update_fields=["until"])
    record("flood.silence.end", actor=actor, obj=made.point, region_code=made.point.region.code)
    return made


def watcher_named(username: str, region: Region) -> User:
    """The active user of that user name who watches ``region`` (who may be put on its roster)."""
    person = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if person is None or not can(person, Perm.FLOOD, region.code):
        raise ValidationError({"person": [_("Nobody of that user name watches this region.")]})
    return person


# --- how each person is reached -----------------------------------------------------------------


def choose_channel(actor: User, person: User, kind: str, config: dict[str, Any]) -> Channel:
    """How ``person`` is told of alerts besides the inbox (one channel per kind, replaced by a
    new choice). A person chooses their own, staff of a region for its people on duty; either
    way the person must watch a region, whose channel it becomes."""
    region = _watched_region(person)
    if actor.pk != person.pk:
        require_point(actor, MonitoringPoint(region=region))
    channel = set_personal_channel(person, region, kind, config)
    record("flood.roster.channel", actor=actor, obj=channel, region_code=region.code, kind=kind)
    return channel


def channel_config(kind: str, address: str, secret: str = "") -> dict[str, Any]:
    """A page's two fields as the config of a core channel of ``kind``."""
    key = {"email": "to", "webhook": "url"}.get(kind, "webhook")
    config: dict[str, Any] = {key: address.strip()}
    if secret.strip():
        config["secret"] = secret.strip()
    return config


def channels_of(person: User) -> list[Channel]:
    return list(Channel.objects.filter(owner=person).order_by("kind"))


def drop_channel(actor: User, channel: Channel) -> None:
    """Stop reaching the person through this channel (the inbox stays); its deliveries are
    kept, the channel disabled."""
    if channel.owner_id != actor.pk:
        require_point(actor, MonitoringPoint(region=channel.region))
    Channel.objects.filter(pk=channel.pk).update(enabled=False, disabled_reason="dropped")
    record("flood.roster.channel_drop", actor=actor, obj=channel, region_code=channel.region.code)


def reach(channel: Channel) -> str:
    """Where the channel reaches, masked for a page (``a***@example.org``, a robot's host)."""
    value = str(channel_target(channel))
    if "@" in value:
        local, _at, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    host = value.split("//", 1)[-1].split("/", 1)[0]
    return f"{host}/…" if host else "…"


def _watched_region(person: User) -> Region:
    shift = (
        DutyShift.objects.filter(user=person).select_related("region").order_by("-ends_at").first()
    )
    if shift is not None and can(person, Perm.FLOOD, shift.region.code):
        return shift.region
    for membership in person.memberships.select_related("region").order_by("region__code"):
        if can(person, Perm.FLOOD, membership.region.code):
            return membership.region
    raise ValidationError({"person": [_("Nobody of that user name watches this region.")]})
