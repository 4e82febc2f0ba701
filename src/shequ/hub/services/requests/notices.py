"""Inbox messages to approvers, requesters and grantees, and the daily reminders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shequ.core.models import InboxMessage
from shequ.core.services.audit import record
from shequ.core.types import User
from shequ.hub.models import DataRequest, Grant
from shequ.hub.services.requests.rules import audit_region, start_of, to_notify

# --------------------------------------------------------------------------------------------
# Messages and reminders
# --------------------------------------------------------------------------------------------


def _send(users: Iterable[Any], title: str, body: str, url: str, level: str = "info") -> int:
    made = InboxMessage.objects.bulk_create(
        InboxMessage(user=u, title=title[:200], body=body, url=url, level=level) for u in users
    )
    return len(made)


def _request_url(req: DataRequest) -> str:
    return reverse("hub:request", args=[req.pk])


def tell_approvers(req: DataRequest, *, reminder: bool) -> int:
    users = to_notify(req.dataset, exclude=req.requester)
    due = timezone.localtime(req.due_at).strftime("%Y-%m-%d %H:%M") if req.due_at else ""
    with translation.override(settings.LANGUAGE_CODE):
        values = {"title": req.dataset.title, "who": _person(req.requester), "due": due}
        if reminder:
            title = _("Overdue data request: %(title)s") % values
            body = _("%(who)s is still waiting for a decision, due %(due)s.") % values
        else:
            title = _("Data request awaiting your approval: %(title)s") % values
            body = _("%(who)s requests this dataset. Please decide by %(due)s.") % values
        return _send(users, title, body, _request_url(req), "warning" if reminder else "info")


def tell_requester(req: DataRequest, reason: str = "") -> None:
    with translation.override(settings.LANGUAGE_CODE):
        if req.status == DataRequest.Status.APPROVED:
            title = _("Your data request was approved: %(title)s")
        else:
            title = _("Your data request was refused: %(title)s")
        _send([req.requester], title % {"title": req.dataset.title}, reason, _request_url(req))


def tell_grantee(grant: Grant, reason: str) -> None:
    users = [grant.grantee] if grant.grantee else []
    if grant.request is not None and grant.request.requester not in users:
        users.append(grant.request.requester)
    url = reverse("hub:grants", args=[grant.dataset.key])
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Your grant was revoked: %(title)s") % {"title": grant.dataset.title}
        _send(users, title, reason, url, "warning")


def _person(user: User) -> str:
    return str(user.get_full_name() or user.get_username())


def send_overdue_reminders(now: datetime | None = None) -> int:
    """Remind the approvers of each overdue pending request, at most once a (local) day.

    Claims each request by moving ``reminded_at`` with a conditional update, so two workers
    ticking at once send one reminder, not two. Returns the number of requests reminded.
    """
    now = now or timezone.now()
    today = start_of(timezone.localtime(now).date())
    due = (
        DataRequest.objects.filter(status=DataRequest.Status.PENDING, due_at__lt=now)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=today))
        .select_related("dataset", "dataset__region", "requester")
    )
    reminded = 0
    for req in due:
        with transaction.atomic():
            claimed = DataRequest.objects.filter(
                pk=req.pk, status=DataRequest.Status.PENDING, reminded_at=req.reminded_at
            ).update(reminded_at=now)
            if not claimed:
                continue
            sent = tell_approvers(req, reminder=True)
            record(
                "hub.request.remind",
                obj=req,
                region_code=audit_region(req.dataset, req.requester),
                approvers=sent,
            )
            reminded += 1
    return reminded
