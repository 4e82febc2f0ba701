"""Residents' feedback: giving it, the rate limit, replies, moderation, tasks and masking."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dashboard.factories import HOME, NEXT_DOOR, STREET
from shequ.core.errors import Conflict, Forbidden, Invalid, NotFound, Throttled
from shequ.core.models import AuditEvent, Role
from shequ.dashboard.models import Feedback, TaskStatus
from shequ.dashboard.services import feedback, feedback_staff

pytestmark = pytest.mark.django_db


def give(user: Any, **extra: Any) -> Feedback:
    args = {"service": "parking", "rating": 4, "comment": "车位很方便"} | extra
    return feedback.submit(user, **args)


def test_a_resident_rates_a_service_in_their_community(make_user: Any) -> None:
    resident = make_user(Role.RESIDENT, HOME)
    made = give(resident, object_ref="12")
    got = (made.region.code, made.service, made.rating, made.object_ref)
    assert got == (HOME, "parking", 4, "12")
    assert feedback.mine(resident) == [made]


def test_a_region_not_of_the_residents_own_falls_back_to_their_community(
    make_user: Any,
) -> None:
    made = give(make_user(Role.RESIDENT, HOME), region_code=NEXT_DOOR)
    assert made.region.code == HOME


@pytest.mark.parametrize("role", [None, Role.COMMUNITY_STAFF, Role.GARAGE_OPERATOR])
def test_only_residents_and_volunteers_give_feedback(make_user: Any, role: str | None) -> None:
    with pytest.raises(Forbidden):
        give(make_user(role, HOME))


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"service": "tax"}, "service"),
        ({"comment": "长" * 501}, "comment"),
    ],
)
def test_it_rejects_bad_input_naming_the_field(make_user: Any, extra: Any, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        give(make_user(Role.RESIDENT, HOME), **extra)
    assert field in refused.value.fields


def test_it_throttles_a_resident_past_the_hourly_limit(make_user: Any) -> None:
    resident = make_user(Role.RESIDENT, HOME)
    now = timezone.now()
    for i in range(feedback.PER_HOUR):
        give(resident, now=now + timedelta(minutes=i))
    with pytest.raises(Throttled) as refused:
        give(resident, now=now + timedelta(minutes=10))
    assert refused.value.status == 429
    assert "last hour" in refused.value.message
    give(resident, now=now + timedelta(minutes=61))  # the first one has left the hour
    give(make_user(Role.RESIDENT, HOME), now=now)  # the limit is per resident


def test_staff_reply_and_the_resident_sees_it(make_user: Any) -> None:
    resident, staff = make_user(Role.RESIDENT, HOME), make_user(Role.COMMUNITY_STAFF, HOME)
    made = give(resident)
    assert list(feedback_staff.inbox(staff, feedback_staff.InboxFilter(unanswered=True))) == [made]
    feedback_staff.reply(staff, made.pk, "已安排物业跟进")
    first = Feedback.objects.get(pk=made.pk).first_replied_at
    feedback_staff.reply(staff, made.pk, "已处理完毕")
    mine = feedback.mine(resident)[0]
    assert (mine.reply, mine.first_replied_at) == ("已处理完毕", first)
    assert not feedback_staff.inbox(staff, feedback_staff.InboxFilter(unanswered=True)).exists()
    assert AuditEvent.objects.filter(action="dashboard.feedback.reply").count() == 2


def test_moderation_hides_and_reports_are_audited_without_the_text(make_user: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, HOME)
    made = give(make_user(Role.RESIDENT, HOME), comment="骂人的话")
    with pytest.raises(Invalid):
        feedback_staff.hide(staff, made.pk, "  ")
    feedback_staff.hide(staff, made.pk, "辱骂")
    feedback_staff.report(staff, made.pk, "威胁")
    got = Feedback.objects.get(pk=made.pk)
    assert got.hidden and got.reported
    which = feedback_staff.InboxFilter(reported=True)
    assert list(feedback_staff.inbox(staff, which)) == [got]
    events = AuditEvent.objects.filter(action__startswith="dashboard.feedback.")
    assert {e.action for e in events} == {"dashboard.feedback.hide", "dashboard.feedback.report"}
    assert all("骂人" not in str(e.details) + e.object_repr for e in events)
    feedback_staff.hide(staff, made.pk, "", hidden=False)
    assert not Feedback.objects.get(pk=made.pk).hidden


def test_a_comment_becomes_a_task_for_staff_of_its_region(make_user: Any) -> None:
    staff, colleague = make_user(Role.COMMUNITY_STAFF, HOME), make_user(Role.STREET_STAFF, STREET)
    made = give(make_user(Role.RESIDENT, HOME))
    with pytest.raises(Invalid):
        feedback_staff.make_task(
            staff, made.pk, "修门禁", make_user(Role.COMMUNITY_STAFF, NEXT_DOOR).pk
        )
    task = feedback_staff.make_task(staff, made.pk, "修门禁", colleague.pk)
    assert (task.assignee, task.region.code, task.status) == (colleague, HOME, TaskStatus.OPEN)
    with pytest.raises(Conflict):
        feedback_staff.make_task(staff, made.pk, "again")
    feedback_staff.set_task_status(colleague, task.pk, TaskStatus.DONE)
    assert feedback_staff.tasks(staff).get().status == TaskStatus.DONE


def test_staff_lists_mask_phone_and_id_numbers_and_revealing_is_audited(make_user: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, HOME)
    text = "请回电13812345678，身份证110101199003071234"
    made = give(make_user(Role.RESIDENT, HOME), comment=text)
    shown = feedback_staff.masked(made.comment)
    assert "13812345678" not in shown and "110101199003071234" not in shown
    # The ID's masked digits are a birth date: one written beside it is masked as well.
    dated = feedback_staff.masked("身份证110101199003071234，生日1990-03-07")
    assert "0307" not in dated and "03-07" not in dated, dated
    assert feedback_staff.reveal(staff, made.pk) == text
    assert AuditEvent.objects.filter(action="dashboard.feedback.reveal").count() == 1
    analyst = make_user(Role.DEPARTMENT_ANALYST, STREET)
    with pytest.raises(Forbidden):
        feedback_staff.reveal(analyst, made.pk)


# role, where the membership is, whose community the feedback is in -> sees it
MATRIX = [
    (Role.PLATFORM_ADMIN, "990000000000", HOME, True),
    (Role.STREET_STAFF, STREET, HOME, True),
    (Role.STREET_STAFF, "990102002000", HOME, False),
    (Role.COMMUNITY_STAFF, HOME, HOME, True),
    (Role.COMMUNITY_STAFF, NEXT_DOOR, HOME, False),
    (Role.DEPARTMENT_ANALYST, STREET, HOME, None),
    (Role.DUTY_OFFICER, STREET, HOME, None),
    (Role.RESIDENT, HOME, HOME, None),
    (Role.VOLUNTEER, HOME, HOME, None),
    (Role.GARAGE_OPERATOR, HOME, HOME, None),
]


@pytest.mark.parametrize(("role", "member_at", "filed_in", "sees"), MATRIX)
def test_the_inbox_follows_the_staffs_regions(
    make_user: Any, role: str, member_at: str, filed_in: str, sees: bool | None
) -> None:
    made = give(make_user(Role.RESIDENT, filed_in))
    user = make_user(role, member_at)
    if sees is None:  # not staff: no inbox at all
        with pytest.raises(Forbidden):
            feedback_staff.inbox(user)
        with pytest.raises(Forbidden):
            feedback_staff.reply(user, made.pk, "x")
        return
    assert feedback_staff.inbox(user).filter(pk=made.pk).exists() is sees
    if sees:
        feedback_staff.reply(user, made.pk, "收到")
        feedback_staff.hide(user, made.pk, "测试")
        feedback_staff.make_task(user, made.pk, "跟进")
    else:
        for act in (
            lambda: feedback_staff.reply(user, made.pk, "收到"),
            lambda: feedback_staff.hide(user, made.pk, "测试"),
            lambda: feedback_staff.report(user, made.pk, "测试"),
            lambda: feedback_staff.make_task(user, made.pk, "跟进"),
        ):
            with pytest.raises(NotFound):
                act()
