"""Residents' feedback under /api/v1/dashboard/feedback: give, read mine, the staff's inbox."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Schema

from shequ.core.inputs import Id
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of
from shequ.dashboard.api.common import router
from shequ.dashboard.models import Feedback, StaffTask
from shequ.dashboard.models.feedback import COMMENT_MAX, OBJECT_REF_MAX, REPLY_MAX
from shequ.dashboard.services import feedback, feedback_staff
from shequ.dashboard.services.feedback_staff import InboxFilter, masked

ServiceField = Field(..., description="parking, timebank, access or flood")


class FeedbackIn(Schema):
    service: str = ServiceField
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=COMMENT_MAX)
    object_ref: str = Field(
        "", max_length=OBJECT_REF_MAX, description="what was rated, e.g. pass:12"
    )
    region: str = Field("", max_length=12, description="one of your communities (default: first)")


class MyFeedbackOut(Schema):
    id: int
    service: str
    object_ref: str
    rating: int
    comment: str
    created_at: datetime
    reply: str
    replied_at: datetime | None
    hidden: bool


class InboxFeedbackOut(Schema):
    id: int
    region_code: str
    service: str
    object_ref: str
    rating: int
    comment: str  # phone and ID numbers masked
    created_at: datetime
    reply: str
    replied_at: datetime | None
    hidden: bool
    reported: bool
    task_id: int | None


class FeedbackInboxQuery(Schema):
    service: str = Field("", description="parking, timebank, access or flood")
    unanswered: bool = False
    reported: bool = False


class FeedbackReplyIn(Schema):
    text: str = Field(..., min_length=1, max_length=REPLY_MAX)


class FeedbackReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=feedback_staff.REASON_MAX)


class FeedbackTaskIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    assignee_id: Id | None = None


class FeedbackTaskOut(Schema):
    id: int
    feedback_id: Id
    title: str
    assignee_id: int | None
    status: str
    created_at: datetime


class FeedbackRevealOut(Schema):
    id: int
    comment: str


def _mine(f: Feedback) -> dict[str, Any]:
    return {
        "id": f.pk,
        "service": f.service,
        "object_ref": f.object_ref,
        "rating": f.rating,
        "comment": f.comment,
        "created_at": f.created_at,
        "reply": f.reply,
        "replied_at": f.first_replied_at,
        "hidden": f.hidden,
    }


def _inbox(f: Feedback) -> dict[str, Any]:
    task = getattr(f, "task", None) if hasattr(f, "task") else None
    return {
        **_mine(f),
        "region_code": f.region.code,
        "comment": masked(f.comment),
        "reported": f.reported,
        "task_id": task.pk if task is not None else None,
    }


def _task(t: StaffTask) -> dict[str, Any]:
    return {
        "id": t.pk,
        "feedback_id": t.feedback_id,
        "title": t.title,
        "assignee_id": t.assignee_id,
        "status": t.status,
        "created_at": t.created_at,
    }


@router.post(
    "/feedback",
    response={201: MyFeedbackOut, **errors(WRITE, 429)},
    summary="Rate a service and comment on it (residents; 429 past the hourly limit)",
)
def give_feedback(request: HttpRequest, payload: FeedbackIn) -> Any:
    made = feedback.submit(
        user_of(request),
        service=payload.service,
        rating=payload.rating,
        comment=payload.comment,
        object_ref=payload.object_ref,
        region_code=payload.region,
    )
    return 201, _mine(made)


@router.get(
    "/feedback/mine", response={200: list[MyFeedbackOut], **errors(READ)}, summary="My feedback"
)
def my_feedback(request: HttpRequest) -> Any:
    return [_mine(f) for f in feedback.mine(user_of(request))]


@router.get(
    "/feedback/inbox",
    response={200: list[InboxFeedbackOut], **errors(READ)},
    summary="The feedback of your regions (staff), comments masked",
)
def feedback_inbox(request: HttpRequest, q: Query[FeedbackInboxQuery]) -> Any:
    which = InboxFilter(service=q.service, unanswered=q.unanswered, reported=q.reported)
    return [_inbox(f) for f in feedback_staff.inbox(user_of(request), which)[:500]]


@router.post(
    "/feedback/{feedback_id}/reply",
    response={200: InboxFeedbackOut, **errors(WRITE)},
    summary="Reply to a comment (staff)",
)
def reply_to_feedback(request: HttpRequest, feedback_id: Id, payload: FeedbackReplyIn) -> Any:
    return _inbox(feedback_staff.reply(user_of(request), feedback_id, payload.text))


@router.post(
    "/feedback/{feedback_id}/hide",
    response={200: InboxFeedbackOut, **errors(WRITE)},
    summary="Hide an abusive comment (staff moderation, audited)",
)
def hide_feedback(request: HttpRequest, feedback_id: Id, payload: FeedbackReasonIn) -> Any:
    return _inbox(feedback_staff.hide(user_of(request), feedback_id, payload.reason))


@router.post(
    "/feedback/{feedback_id}/report",
    response={200: InboxFeedbackOut, **errors(WRITE)},
    summary="Report a comment to the street (staff flag, audited)",
)
def report_feedback(request: HttpRequest, feedback_id: Id, payload: FeedbackReasonIn) -> Any:
    return _inbox(feedback_staff.report(user_of(request), feedback_id, payload.reason))


@router.post(
    "/feedback/{feedback_id}/reveal",
    response={200: FeedbackRevealOut, **errors(WRITE)},
    summary="The comment in clear (staff allowed to see personal data; audited)",
)
def reveal_feedback(request: HttpRequest, feedback_id: Id) -> Any:
    return {"id": feedback_id, "comment": feedback_staff.reveal(user_of(request), feedback_id)}


@router.post(
    "/feedback/{feedback_id}/task",
    response={201: FeedbackTaskOut, **errors(WRITE)},
    summary="Turn a comment into a task for staff",
)
def feedback_to_task(request: HttpRequest, feedback_id: Id, payload: FeedbackTaskIn) -> Any:
    made = feedback_staff.make_task(
        user_of(request), feedback_id, payload.title, payload.assignee_id
    )
    return 201, _task(made)
