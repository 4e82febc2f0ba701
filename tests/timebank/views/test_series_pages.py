"""Recurring requests on the pages: the daughter asks for a week of dinners, a volunteer takes
the whole series from its page, both see it (my orders, the request's page); she cancels."""

from __future__ import annotations

from typing import Any

from django.test import Client

from shequ.timebank.models import HelpRequest, Member, Order, Series


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_week_of_dinners_taken_whole_and_cancelled(
    daughter: Any, father: Member, volunteer: Member
) -> None:
    her, him = as_user(daughter), as_user(volunteer.user)
    form = {
        "beneficiary": father.pk,
        "category": "meals",
        "description": "父亲独居，每天晚上送一份热饭。",
        "when": "tomorrow",
        "minutes": 60,
        "repeat": 7,
        "key": "series-form-1",
    }
    posted = her.post("/timebank/ask/", form)
    made = Series.objects.get()
    assert posted.status_code == 302 and posted["Location"] == f"/timebank/series/{made.pk}/"
    assert her.post("/timebank/ask/", form).status_code == 302  # a double tap posts once
    assert Series.objects.count() == 1 and HelpRequest.objects.count() == 7
    page = him.get(f"/timebank/series/{made.pk}/").content.decode()
    assert 'data-testid="tb-take-series"' in page and page.count('data-testid="tb-occurrence"') == 7
    assert him.post(f"/timebank/series/{made.pk}/take/").status_code == 302
    assert Order.objects.filter(volunteer=volunteer, status="taken").count() == 7
    assert "/timebank/series/" in him.get("/timebank/hall/orders/").content.decode()
    first = HelpRequest.objects.order_by("starts_at").first()
    assert first is not None
    detail = her.get(f"/timebank/requests/{first.pk}/").content.decode()
    assert f"/timebank/series/{made.pk}/" in detail
    assert (
        'data-testid="tb-cancel-series"' in her.get(f"/timebank/series/{made.pk}/").content.decode()
    )
    assert him.post(f"/timebank/series/{made.pk}/cancel/").status_code == 302  # refused, said
    assert Series.objects.get().status == "active"
    her.post(f"/timebank/series/{made.pk}/cancel/", {"reason": "住院了"})
    assert Series.objects.get().status == "cancelled"
    assert set(HelpRequest.objects.values_list("status", flat=True)) == {"cancelled"}


def test_another_communitys_volunteer_does_not_find_the_series(
    daughter: Any, father: Member, far_volunteer: Member
) -> None:
    from shequ.timebank.services import series
    from timebank.factories import NOW, START

    made = series.post(
        daughter,
        father,
        category="meals",
        description="送饭",
        first_starts_at=START,
        window_minutes=60,
        count=2,
        estimated_minutes=30,
        now=NOW,
    )
    far = as_user(far_volunteer.user)
    assert far.get(f"/timebank/series/{made.pk}/").status_code == 404
    assert far.post(f"/timebank/series/{made.pk}/take/").status_code == 404
    assert not Order.objects.exists()
