"""The decision at the door: statuses from the hub, credentials, replays, snapshots."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

from django.utils import timezone

from access.factories import HOME, add_resident, health_row, registry_row
from shequ.access.models import AccessEvent, Alert
from shequ.access.providers import base
from shequ.access.services import credentials, decide
from shequ.access.services.decide import CheckIn


def _check(device: Any, ref: str, event_id: str = "e1", method: str = "face") -> decide.Decision:
    return decide.check(device, CheckIn(event_id, method, ref, timezone.now()))


def test_it_lets_a_green_resident_through(staff, regions, terminal, load) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "green")])
    load("household_registry", [registry_row(1)])
    decision = _check(terminal[0], "V1")
    assert decision.allow and decision.colour == "green"
    assert decision.display == "绿码 请通行"
    assert decision.reasons == ["health_green", "resident"]


def test_it_refuses_a_red_status_with_the_terminal_text(staff, regions, terminal, load) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "red")])
    decision = _check(terminal[0], "V1")
    assert not decision.allow
    assert (decision.colour, decision.display) == ("red", "红码 请联系物业")
    assert "health_red" in decision.reasons
    event = AccessEvent.objects.get()
    assert event.abnormal and not event.allow and event.person is not None


def test_it_refuses_yellow(staff, regions, terminal, load) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "yellow")])
    decision = _check(terminal[0], "V1")
    assert (decision.allow, decision.colour, decision.display) == (
        False,
        "yellow",
        "黄码 请联系物业",
    )


def test_it_refuses_someone_the_registry_shows_moved_out(staff, regions, terminal, load) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("household_registry", [registry_row(1, status="迁出")])
    decision = _check(terminal[0], "V1")
    assert not decision.allow and decision.display == "请联系物业"
    assert "not_resident" in decision.reasons


def test_it_refuses_an_unknown_face_and_records_it(terminal, hub) -> None:
    decision = _check(terminal[0], "NOBODY")
    assert (decision.allow, decision.colour, decision.reasons) == (
        False,
        "grey",
        ["unknown_credential"],
    )
    assert AccessEvent.objects.get().person is None


def test_a_credential_of_another_community_does_not_open(admin, regions, terminal, hub) -> None:
    add_resident(admin, regions["990102001002"], 1, ref="V1")  # 和园社区, the same street
    assert _check(terminal[0], "V1").reasons == ["unknown_credential"]


def test_a_withdrawn_credential_no_longer_opens(staff, regions, terminal, hub) -> None:
    credential = add_resident(staff, regions[HOME], 1, ref="V1")
    credentials.withdraw(staff, credential, "staff")
    decision = _check(terminal[0], "V1")
    assert not decision.allow and decision.reasons == ["credential_inactive"]


def test_a_repeated_event_id_gets_the_first_answer(staff, regions, terminal, load) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "green")])
    first = _check(terminal[0], "V1")
    load("health_code_status", [health_row(1, "red")])  # the status changes meanwhile
    again = _check(terminal[0], "V1")
    assert again.replayed and not first.replayed
    assert (again.allow, again.display) == (first.allow, first.display)
    assert AccessEvent.objects.count() == 1


def test_statuses_are_read_once_per_dataset_version(staff, regions, terminal, load) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "green")])
    with mock.patch.object(base, "run_query_system", wraps=base.run_query_system) as run:
        for n in range(5):
            assert _check(terminal[0], "V1", event_id=f"e{n}").allow
        reads = run.call_count
        assert reads <= 2  # one per dataset present (health; the registry is empty)
        load("health_code_status", [health_row(1, "red")])  # a new version
        assert not _check(terminal[0], "V1", event_id="e-new").allow
        assert run.call_count == reads + 1


def test_a_missing_status_does_not_refuse(staff, regions, terminal, hub) -> None:
    add_resident(staff, regions[HOME], 1, ref="V1")
    decision = _check(terminal[0], "V1")
    assert decision.allow and decision.reasons == ["health_unknown", "residency_unknown"]


def test_the_watch_list_alerts_but_lets_through(staff, regions, terminal, load, settings) -> None:
    settings.ACCESS_WATCHLIST_DATASET = "health_code_status"  # any dataset with id_number
    add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "green")])
    decision = _check(terminal[0], "V1")
    assert decision.allow and "watch_list" in decision.reasons
    assert AccessEvent.objects.get().abnormal


def test_a_card_works_like_a_face(staff, regions, point, load) -> None:
    from access.factories import add_device

    reader, _raw = add_device(staff, point, "card")
    add_resident(staff, regions[HOME], 1, ref="0012345678", kind="card")
    load("health_code_status", [health_row(1, "green")])
    assert decide.check(reader, CheckIn("c1", "card", "0012345678", timezone.now())).allow


def test_visitor_pass_is_used_up_after_its_uses(staff, regions, terminal, hub) -> None:
    from shequ.access.services import passes

    now = timezone.now()
    visitor_pass, token = passes.issue(
        staff,
        regions[HOME],
        "锦绣花园",
        visitor="张三",
        valid_from=now - timedelta(minutes=1),
        valid_until=now + timedelta(hours=2),
        max_uses=2,
    )
    results = [_check(terminal[0], token, f"q{n}", "qr") for n in range(3)]
    assert [r.allow for r in results] == [True, True, False]
    assert results[0].display == "访客 请通行"
    assert results[2].reasons == ["pass_used_up"]
    passes.revoke(staff, visitor_pass)


def test_a_revoked_or_expired_pass_is_refused(staff, regions, terminal, hub) -> None:
    from shequ.access.services import passes

    now = timezone.now()
    revoked, token = passes.issue(
        staff,
        regions[HOME],
        "锦绣花园",
        visitor="",
        valid_from=now,
        valid_until=now + timedelta(hours=1),
    )
    passes.revoke(staff, revoked)
    assert _check(terminal[0], token, "r1", "qr").reasons == ["pass_revoked"]
    late = decide.check(terminal[0], CheckIn("r2", "qr", token, now + timedelta(hours=2)))
    assert late.reasons == ["pass_revoked"]
    _fresh, other = passes.issue(
        staff,
        regions[HOME],
        "锦绣花园",
        visitor="",
        valid_from=now,
        valid_until=now + timedelta(hours=1),
    )
    expired = decide.check(terminal[0], CheckIn("r3", "qr", other, now + timedelta(hours=2)))
    assert expired.reasons == ["pass_expired"]
    assert _check(terminal[0], "vp_forged", "r4", "qr").reasons == ["pass_unknown"]


def test_the_hot_insert_writes_every_column_of_the_event() -> None:
    fields = [f.attname for f in AccessEvent._meta.concrete_fields if not f.primary_key]
    assert sorted(decide.INSERT_COLUMNS) == sorted(fields)


def test_an_event_written_by_the_hot_insert_reads_back_as_the_orm_writes_it(
    staff, regions, terminal, load
) -> None:
    resident = add_resident(staff, regions[HOME], 1, ref="V1")
    load("health_code_status", [health_row(1, "red")])
    at = timezone.now().replace(microsecond=123456) - timedelta(minutes=3)
    before = timezone.now()
    decide.check(terminal[0], CheckIn("e1", "face", "V1", at))
    event = AccessEvent.objects.get()
    assert event.at == at and before <= event.received_at <= timezone.now()
    assert event.reasons == ["health_red", "residency_unknown"]
    assert (event.credential_id, event.person_id) == (resident.pk, resident.person_id)
    assert (event.region_id, event.point_id, event.device_id) == (
        terminal[0].point.region_id,
        terminal[0].point_id,
        terminal[0].pk,
    )
    assert event.abnormal and not event.offline and event.subject_masked == "王*"
    assert Alert.objects.get().first_event_id == event.pk
