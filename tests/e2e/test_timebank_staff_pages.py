"""The time bank's newer pages in Chromium, at phone and desktop size, in both languages:
staff register and edit a member (errors next to their fields), a week of dinners taken as a
whole series, a thank-you note reaching the volunteer, and the report of requests nobody
matches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from browser_support import assert_fits, log_in
from django.utils import timezone
from playwright.sync_api import Page, expect

from shequ.core import pii
from shequ.core.models import Role
from shequ.timebank.models import HelpRequest, Member, Order, ThankYou
from shequ.timebank.services import orders, requests
from timebank.factories import HOME, add_member, add_person, seed

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

NewPage = Callable[[str], Page]
Snap = Callable[[Page, str], Any]
ID_NUMBER = pii.make_id_number("990102", date(1948, 3, 9), 17)


@pytest.fixture
def cast(regions: dict[str, Any], make_user: Any) -> dict[str, Any]:
    home = regions[HOME]
    staff = make_user(Role.COMMUNITY_STAFF, HOME, username="tbstaff")
    daughter = make_user(Role.RESIDENT, HOME, username="daughter")
    neighbour = make_user(Role.VOLUNTEER, HOME, username="neighbour")
    father = add_member(staff, home, name="张建国", estate="锦绣花园", building="3幢")
    father.carers.add(daughter)
    volunteer = add_member(
        staff, home, user=neighbour, volunteer=True, estate="锦绣花园", building="3幢"
    )
    seed(home, 600)
    return {"home": home, "staff": staff, "daughter": daughter, "father": father, "v": volunteer}


def test_staff_register_a_member_then_edit_them(
    new_page: NewPage, snap: Snap, cast: dict[str, Any]
) -> None:
    person = add_person(cast["home"], "李淑芬", phone="13912345678")
    person.id_number_hash = pii.lookup_hash("id_card", ID_NUMBER)
    person.save(update_fields=["id_number_hash"])

    page = new_page("phone")
    log_in(page, "tbstaff")
    page.goto("/timebank/staff/members/")
    page.get_by_test_id("tb-member-new").click()
    page.locator("input[name=who]").fill(ID_NUMBER)
    page.get_by_label("探访陪伴").check()
    page.locator("input[name=languages]").fill("普通话，杭州话")
    page.locator("input[name=day0]").fill("8点到12点")
    assert_fits(page)
    snap(page, "timebank-member-new-phone-zh")
    page.get_by_test_id("tb-member-save").click()
    expect(page.get_by_test_id("error-day0")).to_contain_text("08:00-12:00")
    expect(page.get_by_test_id("tb-member-person")).to_contain_text(person.name_masked)
    expect(page.locator("input[name=who]")).to_have_value("")  # the number is not shown back
    assert ID_NUMBER not in page.content()
    assert_fits(page)
    snap(page, "timebank-member-error-phone-zh")
    page.locator("input[name=day0]").fill("08:00-12:00, 18:00-20:00")
    page.get_by_test_id("tb-member-save").click()
    expect(page.get_by_test_id("tb-members")).to_contain_text(person.name_masked)
    member = Member.objects.get(person=person)
    assert member.availability == {"0": ["08:00-12:00", "18:00-20:00"]}

    desk = new_page("desktop")
    log_in(desk, "tbstaff", lang="en")
    desk.goto("/timebank/staff/members/")
    desk.get_by_role("link", name=person.name_masked).click()
    desk.locator("input[name=volunteer]").check()
    desk.get_by_label("Small repairs").check()
    desk.get_by_label("My estate").check()
    desk.locator("input[name=day5]").fill("09:00-17:00")
    desk.locator("input[name=languages]").fill(", ".join(f"lang{n}" for n in range(9)))
    desk.get_by_test_id("tb-member-save").click()
    expect(desk.get_by_test_id("error-languages")).to_contain_text("At most 8")
    assert_fits(desk)
    snap(desk, "timebank-member-edit-desktop-en")
    desk.locator("input[name=languages]").fill("普通话")
    desk.get_by_test_id("tb-member-save").click()
    expect(desk.get_by_test_id("tb-members")).to_be_visible()
    member.refresh_from_db()
    assert member.is_volunteer and "repairs" in member.skills and member.reach == "estate"


def test_a_week_of_dinners_is_taken_as_a_series(
    new_page: NewPage, snap: Snap, cast: dict[str, Any]
) -> None:
    her = new_page("phone")
    log_in(her, "daughter")
    her.goto("/timebank/ask/")
    her.get_by_label("助餐").check()
    her.locator("textarea[name=description]").fill("父亲独居，这周每天晚上送一份热饭。")
    her.get_by_label("明天上午").check()
    her.locator("select[name=repeat]").select_option("7")
    her.get_by_test_id("tb-post").click()
    expect(her.get_by_test_id("tb-occurrence")).to_have_count(7)
    assert_fits(her)
    snap(her, "timebank-series-phone-zh")

    him = new_page("desktop")
    log_in(him, "neighbour", lang="en")
    him.goto(urlsplit(her.url).path)
    him.get_by_test_id("tb-take-series").click()
    expect(him.get_by_test_id("tb-occurrences")).to_contain_text("Taken")
    assert_fits(him)
    snap(him, "timebank-series-desktop-en")
    assert Order.objects.filter(volunteer=cast["v"], status="taken").count() == 7


def test_a_thank_you_note_reaches_the_volunteer(
    new_page: NewPage, snap: Snap, cast: dict[str, Any]
) -> None:
    now = timezone.now()
    req = requests.post(
        cast["daughter"],
        cast["father"],
        category="meals",
        description="父亲独居，今晚想请人送一份热饭。",
        starts_at=now + timedelta(minutes=30),
        ends_at=now + timedelta(hours=3),
        estimated_minutes=60,
    )
    neighbour = cast["v"].user
    order = orders.check_in(neighbour, orders.take(neighbour, req))
    orders.check_out(neighbour, order, minutes=50)

    her = new_page("phone")
    log_in(her, "daughter", lang="en")
    her.goto(f"/timebank/requests/{req.pk}/")
    her.get_by_test_id("tb-thank").locator("input[name=text]").fill("The soup was still hot!")
    her.get_by_test_id("tb-thank").get_by_role("button").click()
    expect(her.get_by_text("You thanked the volunteer.")).to_be_visible()
    assert_fits(her)
    snap(her, "timebank-thanked-phone-en")
    assert ThankYou.objects.get().text == "The soup was still hot!"

    him = new_page("desktop")
    log_in(him, "neighbour")
    him.goto("/timebank/hours/")
    expect(him.get_by_test_id("tb-thanks")).to_contain_text("The soup was still hot!")
    assert_fits(him)
    snap(him, "timebank-thanks-desktop-zh")


def test_staff_see_the_requests_nobody_matches_and_why(
    new_page: NewPage, snap: Snap, cast: dict[str, Any]
) -> None:
    now = timezone.now()
    req = requests.post(
        cast["daughter"],
        cast["father"],
        category="tutoring",  # the only volunteer gives meals
        description="孙子初二数学跟不上，想请人辅导一次。",
        starts_at=now + timedelta(hours=2),
        ends_at=now + timedelta(hours=4),
        estimated_minutes=60,
    )
    assert HelpRequest.objects.get(pk=req.pk).status == "open"
    for size, lang in (("phone", "zh"), ("desktop", "en")):
        page = new_page(size)
        log_in(page, "tbstaff", lang=lang)
        page.goto("/timebank/staff/")
        name = "Requests nobody matches" if lang == "en" else "无人匹配的求助"
        page.get_by_role("link", name=name).click()
        row = page.locator("[data-testid=tb-unmatched] li[data-reason=no_skill]")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(f"#{req.pk}")
        assert_fits(page)
        snap(page, f"timebank-unmatched-{size}-{lang}")
