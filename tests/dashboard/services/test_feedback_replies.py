"""A reply tells the resident (inbox, their own channels) with a link and without the text;
the same reply sent twice tells them once. And the input fixes: object_ref, the inbox filter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from dashboard.factories import HOME, STREET
from shequ.core.errors import Invalid
from shequ.core.models import InboxMessage, Region, Role
from shequ.core.services.notify import notify_people, set_personal_channel
from shequ.core.signals import people_message_queued
from shequ.core.transports.base import Message
from shequ.dashboard.models import Feedback
from shequ.dashboard.services import feedback, feedback_staff

pytestmark = pytest.mark.django_db

COMMENT = "门禁坏了，我的电话13812345678"
REPLY = "已联系物业，明天修好"


@pytest.fixture
def queued() -> Iterator[list[tuple[list[int], Message]]]:
    """Messages queued for people's own channels once their transaction commits."""
    sent: list[tuple[list[int], Message]] = []

    def catch(sender: Any, user_ids: list[int], message: Message, **kwargs: Any) -> None:
        sent.append((user_ids, message))

    people_message_queued.connect(catch, dispatch_uid="dashboard-test-catch")
    yield sent
    people_message_queued.disconnect(dispatch_uid="dashboard-test-catch")


def test_a_reply_tells_the_author_with_a_link_and_no_text(
    make_user: Any,
    regions: dict[str, Region],
    queued: list[tuple[list[int], Message]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    resident, staff = make_user(Role.RESIDENT, HOME), make_user(Role.COMMUNITY_STAFF, HOME)
    set_personal_channel(resident, regions[HOME], "email", {"to": "resident@example.org"})
    made = feedback.submit(resident, service="access", rating=2, comment=COMMENT)
    with django_capture_on_commit_callbacks(execute=True):
        feedback_staff.reply(staff, made.pk, REPLY)
    inbox = InboxMessage.objects.get(user=resident)
    assert inbox.url == f"/dashboard/feedback/mine/#feedback-{made.pk}"
    [(ids, message)] = queued
    assert ids == [resident.pk] and message.url == inbox.url
    assert message.event_id.startswith("dashboard-feedback-reply-")
    # Deliver it as the worker would: the e-mail leaves the platform without either text.
    [delivery] = notify_people(ids, message)
    assert delivery.status == "sent"
    [email] = mail.outbox
    for text in (email.subject, email.body, inbox.title, inbox.body):
        for secret in (COMMENT, REPLY, "13812345678", "门禁坏了", "物业"):
            assert secret not in text


def test_the_same_reply_twice_tells_once_and_a_new_reply_tells_again(
    make_user: Any, queued: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    resident, staff = make_user(Role.RESIDENT, HOME), make_user(Role.COMMUNITY_STAFF, HOME)
    made = feedback.submit(resident, service="parking", rating=4)
    with django_capture_on_commit_callbacks(execute=True):
        feedback_staff.reply(staff, made.pk, REPLY)
        feedback_staff.reply(staff, made.pk, f"  {REPLY} ")  # a retry of the same reply
    assert InboxMessage.objects.filter(user=resident).count() == 1
    first = Feedback.objects.get(pk=made.pk).first_replied_at
    feedback_staff.reply(make_user(Role.STREET_STAFF, STREET), made.pk, "物业已修好")
    titles = list(InboxMessage.objects.filter(user=resident).order_by("id").values_list("title"))
    assert len(titles) == 2 and "修改" in titles[1][0]  # in the platform's language
    assert Feedback.objects.get(pk=made.pk).first_replied_at == first
    assert queued == []  # the resident chose no channel of their own: nothing to queue


def test_a_long_object_ref_is_refused_naming_the_field_not_cut_short(make_user: Any) -> None:
    resident = make_user(Role.RESIDENT, HOME)
    with pytest.raises(Invalid) as refused:
        feedback.submit(resident, service="parking", rating=3, object_ref="pass:" + "9" * 60)
    assert list(refused.value.fields) == ["object_ref"]
    assert refused.value.status == 422
    assert not Feedback.objects.exists()
    made = feedback.submit(resident, service="parking", rating=3, object_ref="p" * 64)
    assert made.object_ref == "p" * 64


def test_the_form_page_answers_a_long_object_ref_with_a_4xx_naming_it(make_user: Any) -> None:
    client = Client()
    client.force_login(make_user(Role.RESIDENT, HOME))
    data = {"service": "parking", "rating": "3", "object_ref": "x" * 65}
    answer = client.post("/dashboard/feedback/give/", data)
    assert answer.status_code == 422
    assert "评价对象的标识最多 64 个字符" in answer.content.decode()  # zh-hans, the default
    assert not Feedback.objects.exists()


def test_an_unknown_service_filter_is_a_422_naming_the_field(make_user: Any) -> None:
    staff = make_user(Role.COMMUNITY_STAFF, HOME)
    with pytest.raises(Invalid) as refused:
        feedback_staff.inbox(staff, feedback_staff.InboxFilter(service="tax"))
    assert (refused.value.status, list(refused.value.fields)) == (422, ["service"])
    client = Client()
    client.force_login(staff)
    answer = client.get("/api/v1/dashboard/feedback/inbox", {"service": "tax"})
    assert answer.status_code == 422
    assert list(answer.json()["error"]["fields"]) == ["service"]
    assert client.get("/api/v1/dashboard/feedback/inbox", {"service": "access"}).status_code == 200
    assert client.get("/dashboard/feedback/inbox/", {"service": "tax"}).status_code == 422
