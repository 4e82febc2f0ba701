"""Flowback (回流): communities and apps publish their own datasets; departments subscribe.

- ``publish_dataset`` / ``publish_file``: a community's staff (``Perm.PUBLISH_HUB`` in the
  region) or platform code (actor ``None``) create a dataset of their own and load versions
  into it through the ordinary ingestion pipeline. Upstream datasets cannot be overwritten
  this way.
- ``subscribe``: anyone with access to a dataset follows it, for themselves or a department
  they belong to, through a notification channel of their regions or their inbox.
- Every committed version is announced once per subscription (``VersionNotice`` is unique per
  subscription and version): right after the commit by a worker task, and by a periodic sweep
  that catches whatever the task missed. The notice links the ``changes`` API, through which
  the subscriber pulls only the rows that changed, with their own access.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.models import Channel, Department, InboxMessage, Region, RegionLevel
from shequ.core.permissions import Perm, can, visible_regions
from shequ.core.services import notify
from shequ.core.services.audit import record
from shequ.core.transports.base import Message
from shequ.core.types import User
from shequ.hub.access import access_for
from shequ.hub.models import Dataset, DatasetVersion, IngestRun, Origin, Subscription, Tier
from shequ.hub.models import VersionNotice as Notice
from shequ.hub.services import catalog, runs

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------------------------


def can_publish(user: User, dataset: Dataset) -> bool:
    """Staff who publish in the dataset's region, for datasets that flowed back (not upstream)."""
    if dataset.origin == Origin.UPSTREAM or dataset.region is None:
        return False
    return can(user, Perm.PUBLISH_HUB, dataset.region)


def publish_dataset(
    actor: User | None,
    *,
    region: Region,
    key: str,
    category: str,
    schema: dict[str, Any],
    **meta: Any,
) -> Dataset:
    """Create or update a dataset owned by ``region``; ``actor=None`` is a platform app."""
    if actor is not None and not can(actor, Perm.PUBLISH_HUB, region):
        raise PermissionDenied(_("You cannot publish datasets for this region."))
    existing = Dataset.objects.filter(key=key).select_related("region").first()
    if existing is not None and existing.origin == Origin.UPSTREAM:
        raise ValidationError(
            {"key": [_("%(key)s is an upstream dataset and cannot be republished.") % {"key": key}]}
        )
    if existing is not None and existing.region_id != region.pk:
        raise ValidationError(
            {"key": [_("%(key)s is already published by another region.") % {"key": key}]}
        )
    meta.setdefault("tier", Tier.COMMUNITY if region.level in COMMUNITY_LEVELS else Tier.STREET)
    meta.setdefault("owner", region.name)
    meta["origin"] = Origin.COMMUNITY if actor is not None else Origin.APP
    return catalog.write_dataset(
        actor, key=key, category=category, schema=schema, region=region, **meta
    )


COMMUNITY_LEVELS = (RegionLevel.COMMUNITY, RegionLevel.VILLAGE)


def publish_file(
    actor: User | None,
    dataset: Dataset,
    path: Path,
    *,
    mode: str = "replace",
    sheet: str = "",
    notes: list[str] | None = None,
) -> IngestRun:
    """Load a file as the dataset's next version, through validation and quarantine.

    *sheet*: a spreadsheet's sheet, or "*" for all sheets with the same header."""
    if actor is not None and not can_publish(actor, dataset):
        raise PermissionDenied(_("You cannot publish to this dataset."))
    if actor is None and dataset.origin == Origin.UPSTREAM:
        raise PermissionDenied(_("Platform apps publish only their own datasets."))
    spec = runs.InputSpec(sheet=sheet or None)
    return runs.ingest_file(dataset, path, mode=mode, user=actor, spec=spec, notes=notes)


def publish_rows(
    dataset: Dataset, rows: Iterable[dict[str, Any]], *, mode: str = "replace"
) -> int | None:
    """Load an app's rows (dicts by field name) as the dataset's next version; its version.

    The rows go through the same validation and quarantine as any file. With ``replace``,
    rows identical to the last published ones make no new version (and so no notice to
    subscribers). A run that does not succeed raises: an app never publishes half its rows.
    """
    names = [f["name"] for f in dataset.schema["fields"]]
    with tempfile.TemporaryDirectory(prefix="shequ-flowback-") as tmp:
        path = Path(tmp) / f"{dataset.key}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=names, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        if mode == "replace":
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            last = (
                IngestRun.objects.filter(dataset=dataset, status="succeeded", version__isnull=False)
                .order_by("-pk")
                .first()
            )
            if last is not None and last.file_hash == digest and dataset.version == last.version:
                return dataset.version
        run = publish_file(None, dataset, path, mode=mode)
    if run.status != "succeeded":
        raise RuntimeError(f"publishing {dataset.key} failed: {run.error}")
    return Dataset.objects.get(pk=dataset.pk).version


def publish_from_file(
    actor: User, *, region: Region, key: str, path: Path, sheet: str = "", **meta: Any
) -> tuple[Dataset, IngestRun]:
    """Publish a new dataset whose schema is inferred from the file, and load the file.

    If the file cannot be loaded, the dataset is not kept: nothing half-published remains.
    """
    if Dataset.objects.filter(key=key).exists():
        raise ValidationError({"key": [_("A dataset with this key exists already.")]})
    inferred = catalog.infer_file(path, runs.InputSpec(sheet=sheet or None))
    dataset = publish_dataset(
        actor, region=region, key=key, schema=inferred.schema.to_dict(), **meta
    )
    run = publish_file(actor, dataset, path, sheet=sheet, notes=inferred.notes)
    if run.status != IngestRun.Status.SUCCEEDED:
        dataset.runs.all().delete()
        dataset.delete()
        raise ValidationError({"file": [run.error or _("The file could not be loaded.")]})
    dataset.refresh_from_db()
    return dataset, run


# ---------------------------------------------------------------------------------------------
# Subscriptions
# ---------------------------------------------------------------------------------------------


def subscribe(
    user: User,
    dataset: Dataset,
    *,
    department: Department | None = None,
    channel: Channel | None = None,
) -> Subscription:
    """Follow a dataset (again: the active subscription is updated, not doubled)."""
    if access_for(user, dataset) is None:
        raise PermissionDenied(
            _("You have no access to this dataset; request it before subscribing.")
        )
    if department is not None and not user.memberships.filter(department=department).exists():
        raise ValidationError({"department": [_("You are not a member of this department.")]})
    if channel is not None and not visible_regions(user).filter(pk=channel.region_id).exists():
        raise ValidationError({"channel": [_("This channel belongs to a region not yours.")]})
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update()
            .filter(dataset=dataset, subscriber=user, active=True)
            .first()
        )
        created = sub is None
        if sub is None:
            sub = Subscription(
                dataset=dataset, subscriber=user, last_notified_version=dataset.version
            )
        sub.department, sub.channel = department, channel
        try:
            with transaction.atomic():
                sub.save()
        except IntegrityError:  # a concurrent subscribe won the race: use theirs
            sub = Subscription.objects.get(dataset=dataset, subscriber=user, active=True)
            created = False
        record(
            "hub.subscribe" if created else "hub.subscribe.update",
            actor=user,
            obj=dataset,
            subscription=sub.pk,
            department=department.pk if department else None,
            channel=channel.pk if channel else None,
        )
    return sub


def unsubscribe(user: User, subscription: Subscription) -> Subscription:
    if subscription.subscriber_id != user.pk:
        raise PermissionDenied(_("This is not your subscription."))
    if subscription.active:
        subscription.active = False
        subscription.cancelled_at = timezone.now()
        subscription.save(update_fields=["active", "cancelled_at"])
        record(
            "hub.unsubscribe", actor=user, obj=subscription.dataset, subscription=subscription.pk
        )
    return subscription


def subscriptions_of(user: User) -> QuerySet[Subscription]:
    return Subscription.objects.filter(subscriber=user, active=True).select_related(
        "dataset", "department", "channel"
    )


def record_pull(user: User, dataset: Dataset, until: int) -> None:
    """Count a subscriber's pull of changes (a delivery by pull)."""
    subs = Subscription.objects.filter(dataset=dataset, subscriber=user, active=True)
    subs.update(pulls=F("pulls") + 1)
    subs.filter(Q(last_pulled_version__isnull=True) | Q(last_pulled_version__lt=until)).update(
        last_pulled_version=until
    )


@dataclass(frozen=True)
class Counters:
    subscribers: int
    deliveries: int  # notices sent
    last_delivered_version: int | None
    pulls: int


def counters(dataset: Dataset) -> Counters:
    subs = Subscription.objects.filter(dataset=dataset).aggregate(
        active=Count("pk", filter=Q(active=True)),
    )
    sent = Notice.objects.filter(
        subscription__dataset=dataset, status=Notice.Status.SENT
    ).aggregate(n=Count("pk"), last=Max("version"))
    pulls = sum(Subscription.objects.filter(dataset=dataset).values_list("pulls", flat=True))
    return Counters(
        subscribers=subs["active"],
        deliveries=sent["n"],
        last_delivered_version=sent["last"],
        pulls=pulls,
    )


# ---------------------------------------------------------------------------------------------
# Announcing versions
# ---------------------------------------------------------------------------------------------


def announce(dataset: Dataset, version: int) -> int:
    """Announce one version to every active subscription that has not had it; notices sent."""
    sent = 0
    subs = Subscription.objects.filter(dataset=dataset, active=True).select_related(
        "subscriber", "channel", "channel__region"
    )
    for sub in subs:
        if sub.last_notified_version is not None and sub.last_notified_version >= version:
            continue
        sent += _announce_to(sub, dataset, version)
    return sent


def sweep() -> int:
    """Announce every version that a subscription has not had yet (the worker's safety net)."""
    sent = 0
    pending = Subscription.objects.filter(active=True, dataset__version__isnull=False).filter(
        Q(last_notified_version__isnull=True) | Q(last_notified_version__lt=F("dataset__version"))
    )
    for sub in pending.select_related("dataset", "subscriber", "channel", "channel__region"):
        since = -1 if sub.last_notified_version is None else sub.last_notified_version
        versions = DatasetVersion.objects.filter(dataset=sub.dataset, version__gt=since).exclude(
            operation="compact"  # the same rows in fewer files: nothing to announce
        )
        for version in sorted(versions.values_list("version", flat=True)):
            sent += _announce_to(sub, sub.dataset, version)
    return sent


def _announce_to(sub: Subscription, dataset: Dataset, version: int) -> int:
    """Send one notice unless one exists for (subscription, version); 1 when sent."""
    with transaction.atomic():
        notice, created = Notice.objects.get_or_create(
            subscription=sub,
            version=version,
            defaults={"status": Notice.Status.FAILED, "error": "pending"},
        )
        if not created and notice.status != Notice.Status.FAILED:
            _advance(sub, version)
            return 0
    if not sub.subscriber.is_active or access_for(sub.subscriber, dataset) is None:
        # Lost access (grant expired or revoked): not even the version's existence is sent.
        notice.status, notice.error = Notice.Status.NO_ACCESS, ""
        notice.save(update_fields=["status", "error"])
        _advance(sub, version)
        return 0
    message = _message(dataset, version)
    if sub.channel is not None and sub.channel.enabled:
        delivery = notify.deliver(sub.channel, message)
        ok, error = delivery.status == delivery.Status.SENT, delivery.error
    else:
        InboxMessage.objects.create(
            user=sub.subscriber, title=message.title[:200], body=message.body, url=message.url
        )
        ok, error = True, ""
    notice.status = Notice.Status.SENT if ok else Notice.Status.FAILED
    notice.error = error[:300]
    notice.save(update_fields=["status", "error"])
    if ok:
        _advance(sub, version)
    return int(ok)


def _advance(sub: Subscription, version: int) -> None:
    Subscription.objects.filter(pk=sub.pk).filter(
        Q(last_notified_version__isnull=True) | Q(last_notified_version__lt=version)
    ).update(last_notified_version=version)
    sub.last_notified_version = max(sub.last_notified_version or version, version)


def _message(dataset: Dataset, version: int) -> Message:
    v = DatasetVersion.objects.filter(dataset=dataset, version=version).first()
    previous = v.previous if v is not None and v.previous is not None else version - 1
    title = _("New version %(version)s of %(title)s") % {
        "version": version,
        "title": dataset.title,
    }
    lines = [
        _("Dataset: %(key)s") % {"key": dataset.key},
        _("Rows: %(rows)s") % {"rows": v.row_count if v is not None else dataset.row_count},
    ]
    url = reverse("hub:dataset", args=[dataset.key])
    if previous >= 0:
        api = reverse("api-1:hub_changes", args=[dataset.key])
        lines.append(
            _("Changed rows: %(url)s") % {"url": f"{api}?since={previous}&until={version}"}
        )
    return Message(
        title=title,
        body="\n".join(lines),
        url=url,
        region_code=dataset.region.code if dataset.region else "",
        event_id=f"hub:{dataset.key}:v{version}",
    )
