"""Welfare opt-out: the resident (or staff for them, audited) opts out and back in; the sweep
skips an opted-out elder and checks on them again after they opt back in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client

from access.api.test_access import ROLES, SEES, _user
from access.factories import ELSEWHERE, HOME, add_resident, id_number
from access.services.test_welfare import NOON, elder_row
from shequ.access.models import Credential, WelfareCheck, WelfareOptOut
from shequ.access.services import welfare
from shequ.core.errors import Forbidden
from shequ.core.models import AuditEvent


def _login(user: Any, lang: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    return client


@pytest.fixture
def elder(staff: Any, regions: dict[str, Any], terminal: Any, load: Any, make_user: Any) -> Any:
    """Elder 1 lives alone at HOME with an account of her own; not seen for 30 days."""
    load("elderly_living_alone", [elder_row(1)])
    account = make_user("resident", HOME, username="granny")
    credential = add_resident(staff, regions[HOME], 1, ref="V1", user=account)
    Credential.objects.update(created=NOON - timedelta(days=30))
    return credential


def _sweep() -> int:
    with mock.patch.object(welfare.timezone, "now", return_value=NOON):
        return welfare.sweep(NOON)


def test_the_resident_opts_out_the_sweep_skips_her_and_she_opts_back_in(elder: Any) -> None:
    client = _login(elder.user)
    assert 'data-testid="opt-out"' in client.get("/access/me/welfare/").content.decode()
    response = client.post("/access/me/welfare/", {"person": elder.person_id, "choice": "out"})
    assert response.status_code == 302
    assert WelfareOptOut.objects.filter(person=elder.person).exists()
    assert _sweep() == 0 and not WelfareCheck.objects.exists()
    assert 'data-testid="opt-in"' in client.get("/access/me/welfare/").content.decode()
    client.post("/access/me/welfare/", {"person": elder.person_id, "choice": "in"})
    assert not WelfareOptOut.objects.exists()
    assert _sweep() == 1 and WelfareCheck.objects.get().person == elder.person
    actions = list(AuditEvent.objects.filter(actor=elder.user).values_list("action", flat=True))
    assert actions.count("access.welfare.opt_out") == actions.count("access.welfare.opt_in") == 1


def test_opting_out_closes_an_open_check_and_repeats_change_nothing(elder: Any) -> None:
    assert _sweep() == 1
    welfare.opt_out(elder.user, elder.person)
    welfare.opt_out(elder.user, elder.person)
    check = WelfareCheck.objects.get()
    assert check.outcome == "fine" and check.recorded_by == elder.user
    assert WelfareOptOut.objects.count() == 1
    assert AuditEvent.objects.filter(action="access.welfare.opt_out").count() == 1
    assert welfare.opt_in(elder.user, elder.person) is True
    assert welfare.opt_in(elder.user, elder.person) is False
    assert AuditEvent.objects.filter(action="access.welfare.opt_in").count() == 1


def test_the_resident_page_refuses_someone_elses_person_and_a_bad_choice(
    elder: Any, make_user: Any
) -> None:
    other = _login(make_user("resident", HOME, username="neighbour"))
    assert (
        other.post("/access/me/welfare/", {"person": elder.person_id, "choice": "out"}).status_code
        == 404
    )
    own = _login(elder.user)
    assert (
        own.post("/access/me/welfare/", {"person": elder.person_id, "choice": "x"}).status_code
        == 400
    )
    assert own.post("/access/me/welfare/", {"person": "abc", "choice": "out"}).status_code == 404
    assert not WelfareOptOut.objects.exists()


def test_staff_record_an_opt_out_for_a_resident_audited_as_on_behalf(staff: Any, elder: Any):
    client = _login(staff, "en")
    response = client.post(
        "/access/welfare/opt-outs/", {"region": HOME, "id_number": id_number(1), "confirm": "on"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="access.welfare.opt_out")
    assert event.actor == staff and event.details["on_behalf"] is True
    page = client.get("/access/welfare/opt-outs/").content.decode()
    assert "王*" in page and id_number(1) not in page and "王芳" not in page
    client.post(f"/access/welfare/opt-outs/{elder.person_id}/in/")
    assert not WelfareOptOut.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id_number": "123"}, "id_number"),
        ({"id_number": id_number(7)}, "id_number"),
        ({"confirm": ""}, "confirm"),
        ({"region": ELSEWHERE}, "region"),
    ],
)
def test_the_staff_form_names_the_field_in_error(staff: Any, elder: Any, change: Any, field: str):
    data = {"region": HOME, "id_number": id_number(1), "confirm": "on"} | change
    response = _login(staff, "en").post("/access/welfare/opt-outs/", data)
    assert response.status_code == 200
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not WelfareOptOut.objects.exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["home", "elsewhere"])
def test_who_may_opt_a_resident_out(
    role: str, target: str, admin: Any, regions: Any, make_user: Any, hub: Any
) -> None:
    code = HOME if target == "home" else ELSEWHERE
    person = add_resident(admin, regions[code], 5, ref="V5").person
    actor = _user(make_user, role)
    if target in SEES[role]:
        welfare.opt_out(actor, person)
        assert WelfareOptOut.objects.filter(person=person).exists()
        welfare.opt_in(actor, person)
    else:
        with pytest.raises(Forbidden):
            welfare.opt_out(actor, person)
        assert not WelfareOptOut.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_the_staff_opt_out_page_lists_the_users_regions_only(
    role: str, admin: Any, regions: Any, make_user: Any, hub: Any
) -> None:
    made = {}
    for name, code, seq in (("home", HOME, 5), ("elsewhere", ELSEWHERE, 6)):
        person = add_resident(admin, regions[code], seq, ref=f"V{seq}").person
        welfare.opt_out(admin, person)
        made[name] = person.pk
    response = _login(_user(make_user, role)).get("/access/welfare/opt-outs/")
    if not SEES[role]:
        assert response.status_code == 403
        return
    assert {o.person_id for o in response.context["opt_outs"]} == {made[n] for n in SEES[role]}
