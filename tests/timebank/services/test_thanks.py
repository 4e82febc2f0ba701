"""Thank-you notes: the requester side thanks the volunteer of a served order, once (a retry
returns the first); the volunteer reads it on their page and in the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shequ.core.models import InboxMessage, Region
from shequ.timebank.models import Member, ThankYou
from shequ.timebank.services import ratings
from shequ.timebank.services.errors import Conflict, Forbidden, Invalid
from timebank.factories import NOW, post, serve


def test_the_daughter_thanks_the_neighbour_once(
    daughter: Any, father: Member, volunteer: Member, home: Region
) -> None:
    order = serve(volunteer.user, post(daughter, father))
    made = ratings.thank(daughter, order, text=" 谢谢您每天送饭！ ", now=NOW)
    assert made.text == "谢谢您每天送饭！"
    assert ratings.thank(daughter, order, text="谢谢您每天送饭！").pk == made.pk  # a retry
    with pytest.raises(Conflict) as twice:
        ratings.thank(daughter, order, text="再次感谢")
    assert twice.value.code == "thanked"
    assert InboxMessage.objects.filter(user=volunteer.user, body="谢谢您每天送饭！").count() == 1
    assert [t.pk for t in ratings.thanks_for([volunteer.pk])] == [made.pk]


def test_only_the_requester_side_thanks_a_served_order_with_words(
    daughter: Any, father: Member, volunteer: Member, volunteer2: Member
) -> None:
    from shequ.timebank.services import orders

    req = post(daughter, father)
    taken = orders.take(volunteer.user, req, now=NOW)
    with pytest.raises(Conflict):
        ratings.thank(daughter, taken, text="谢谢")  # not served yet
    order = serve(volunteer2.user, post(daughter, father))
    for who in (volunteer2.user, volunteer.user):
        with pytest.raises(Forbidden):
            ratings.thank(who, order, text="谢谢")
    for text in ("", "   ", "字" * 301):
        with pytest.raises(Invalid) as bad:
            ratings.thank(daughter, order, text=text)
        assert "text" in bad.value.fields
    assert not ThankYou.objects.exists()


def test_the_note_is_on_the_volunteers_page_and_in_the_api(
    client_for: Any, daughter: Any, father: Member, volunteer: Member, far_volunteer: Member
) -> None:
    order = serve(volunteer.user, post(daughter, father))
    her = Client()
    her.force_login(daughter)
    assert her.post(f"/timebank/orders/{order.pk}/thank/", {"text": "邻居真好"}).status_code == 302
    him = Client()
    him.force_login(volunteer.user)
    assert "邻居真好" in him.get("/timebank/hours/").content.decode()
    assert [
        t["text"] for t in client_for(volunteer.user).get("/api/v1/timebank/thanks").json()
    ] == ["邻居真好"]
    assert client_for(far_volunteer.user).get("/api/v1/timebank/thanks").json() == []
    api = client_for(daughter)
    bad = api.post(
        f"/api/v1/timebank/orders/{order.pk}/thanks",
        '{"text": ""}',
        content_type="application/json",
    )
    assert bad.status_code == 422 and "text" in bad.content.decode()
    far = client_for(far_volunteer.user).post(
        f"/api/v1/timebank/orders/{order.pk}/thanks",
        '{"text": "x"}',
        content_type="application/json",
    )
    assert far.status_code == 404
    again = api.post(
        f"/api/v1/timebank/orders/{order.pk}/thanks",
        '{"text": "邻居真好"}',
        content_type="application/json",
    )
    assert again.status_code == 201 and ThankYou.objects.count() == 1
