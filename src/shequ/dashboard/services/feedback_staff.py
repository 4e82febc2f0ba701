"""Residents' feedback, the staff's side: the inbox, replies, moderation, reports and tasks.

Staff (platform admins, street and community staff) see the feedback of the regions their
memberships cover; anything else is a 404. Comments are shown with phone and ID numbers and
plates masked by pattern; the clear text needs ``Perm.REVEAL_PII`` and is audited. Every
moderation step is audited too, without the comment's text.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core.errors import Conflict, Forbidden, Invalid, NotFound
from shequ.core.models import Role
from shequ.core.permissions import Perm, can, has_global, prefixes_for, scope
from shequ.core.pii import mask_text
from shequ.core.services.audit import record
from shequ.core.types import Requester, User
from shequ.dashboard.models import Feedback, ServiceKind, StaffTask, TaskStatus
from shequ.dashboard.models.feedback import REPLY_MAX
from shequ.dashboard.services.feedback_notify import tell_author

STAFF_ROLES = (Role.PLATFORM_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF)
REASON_MAX = 200


def masked(text: str) -> str:
    """A comment as staff lists show it: phone, ID numbers, plates, long digit runs and dates
    masked. Dates too: a masked ID number beside its holder's clear birth date ("生日
    1990-03-07") is the ID number, since the masked digits are that date."""
    return mask_text(text, quoted=False)


@dataclass(frozen=True)
class InboxFilter:
    service: str = ""
    unanswered: bool = False
    reported: bool = False
    hidden: bool | None = None  # None: both


def is_staff(user: Requester) -> bool:
    return has_global(user, Perm.DASHBOARD, STAFF_ROLES) or bool(
        prefixes_for(user, Perm.DASHBOARD, STAFF_ROLES)
    )


def visible(user: Requester) -> QuerySet[Feedback]:
    """The feedback of the regions where the user is staff."""
    if not is_staff(user):
        raise Forbidden(_("The feedback inbox is for the staff of a street or community."))
    return scope(Feedback.objects.all(), user, Perm.DASHBOARD, roles=STAFF_ROLES)


def inbox(user: Requester, which: InboxFilter = InboxFilter()) -> QuerySet[Feedback]:
    """The feedback of the user's regions, filtered; an unknown service is refused (422), not
    ignored: ignoring it would answer every service's feedback as if filtered."""
    if which.service and which.service not in ServiceKind.values:
        message = _("Unknown service %(service)s: choose one of %(known)s.") % {
            "service": which.service[:32],
            "known": ", ".join(ServiceKind.values),
        }
        raise Invalid(message, fields={"service": [message]})
    found = visible(user).select_related("region", "author", "task", "task__assignee")
    if which.service:
        found = found.filter(service=which.service)
    if which.unanswered:
        found = found.filter(first_replied_at__isnull=True)
    if which.reported:
        found = found.filter(reported=True)
    if which.hidden is not None:
        found = found.filter(hidden=which.hidden)
    return found


def get(user: Requester, feedback_id: int) -> Feedback:
    found = visible(user).filter(pk=feedback_id).select_related("region").first()
    if found is None:
        raise NotFound(_("No such feedback among your regions."))
    return found


def _reason(text: str, field: str) -> str:
    text = text.strip()
    if not text:
        raise Invalid(_("Say why."), fields={field: [_("Say why.")]})
    if len(text) > REASON_MAX:
        message = _("Keep it to %(max)d characters.") % {"max": REASON_MAX}
        raise Invalid(message, fields={field: [message]})
    return text


def reply(user: Requester, feedback_id: int, text: str) -> Feedback:
    """Answer a comment; the author sees the reply on "my feedback" and is told (their inbox,
    and the channels they chose). A second reply replaces the first (the time of the first one
    stays: it is what the indicator measures). Sending the same reply again (a retry, a double
    click) changes nothing and tells nobody twice."""
    text = text.strip()
    if not text or len(text) > REPLY_MAX:
        message = _("Write a reply of 1 to %(max)d characters.") % {"max": REPLY_MAX}
        raise Invalid(message, fields={"text": [message]})
    with transaction.atomic():
        feedback = get(user, feedback_id)
        feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
        if feedback.reply == text:
            return feedback
        assert isinstance(user, User)
        first = feedback.first_replied_at is None
        feedback.reply = text
        feedback.replied_by = user
        if first:
            feedback.first_replied_at = timezone.now()
        feedback.save(update_fields=["reply", "replied_by", "first_replied_at"])
        event = record("dashboard.feedback.reply", actor=user, obj=feedback, first=first)
        tell_author(feedback, f"dashboard-feedback-reply-{event.pk}", first=first)
    return feedback


def hide(user: Requester, feedback_id: int, reason: str, *, hidden: bool = True) -> Feedback:
    """Moderation: hide an abusive comment from the lists (or show it again); audited."""
    why = _reason(reason, "reason") if hidden else ""
    feedback = get(user, feedback_id)
    feedback.hidden = hidden
    feedback.hidden_reason = why
    feedback.save(update_fields=["hidden", "hidden_reason"])
    action = "dashboard.feedback.hide" if hidden else "dashboard.feedback.unhide"
    record(action, actor=user, obj=feedback)
    return feedback


def report(user: Requester, feedback_id: int, reason: str) -> Feedback:
    """Flag a comment for the street's attention (abuse, a threat, a matter for police)."""
    why = _reason(reason, "reason")
    feedback = get(user, feedback_id)
    feedback.reported = True
    feedback.report_reason = why
    feedback.save(update_fields=["reported", "report_reason"])
    record("dashboard.feedback.report", actor=user, obj=feedback)
    return feedback


def reveal(user: Requester, feedback_id: int) -> str:
    """The comment in clear, for staff who may see personal data there; audited."""
    feedback = get(user, feedback_id)
    if not can(user, Perm.REVEAL_PII, feedback.region):
        raise Forbidden(_("You may not see personal data in this region."))
    record("dashboard.feedback.reveal", actor=user, obj=feedback)
    return feedback.comment


def assignable(user: Requester, feedback: Feedback) -> bool:
    return has_global(user, Perm.DASHBOARD, STAFF_ROLES) or any(
        feedback.region.code.startswith(p) for p in prefixes_for(user, Perm.DASHBOARD, STAFF_ROLES)
    )


def make_task(
    user: Requester, feedback_id: int, title: str, assignee_id: int | None = None
) -> StaffTask:
    """Turn a comment into a task for a member of staff of its region."""
    title = title.strip()
    if not title or len(title) > 200:
        message = _("Name the task in 1 to 200 characters.")
        raise Invalid(message, fields={"title": [message]})
    feedback = get(user, feedback_id)
    assignee = None
    if assignee_id is not None:
        assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None or not assignable(assignee, feedback):
            message = _("The assignee must be staff of the comment's region.")
            raise Invalid(message, fields={"assignee": [message]})
    if StaffTask.objects.filter(feedback=feedback).exists():
        raise Conflict(_("This comment is already a task."))
    now = timezone.now()
    assert isinstance(user, User)
    task = StaffTask.objects.create(
        feedback=feedback,
        region=feedback.region,
        title=title,
        assignee=assignee,
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    record("dashboard.feedback.task", actor=user, obj=feedback, task=task.pk)
    return task


def tasks(user: Requester) -> QuerySet[StaffTask]:
    if not is_staff(user):
        raise Forbidden(_("Tasks are for the staff of a street or community."))
    found = scope(StaffTask.objects.all(), user, Perm.DASHBOARD, roles=STAFF_ROLES)
    return found.select_related("region", "assignee", "feedback")


def set_task_status(user: Requester, task_id: int, status: str) -> StaffTask:
    if status not in TaskStatus.values:
        raise Invalid(_("Unknown status."), fields={"status": [_("Unknown status.")]})
    task = tasks(user).filter(pk=task_id).first()
    if task is None:
        raise NotFound(_("No such task among your regions."))
    task.status = status
    task.updated_at = timezone.now()
    task.save(update_fields=["status", "updated_at"])
    record("dashboard.task.status", actor=user, obj=task, status=status)
    return task
