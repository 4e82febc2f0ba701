"""Data requests and grants (shequ.hub.services.requests): every rule, and who may do what.

The dataset ``people`` belongs to 望湖街道 and is owned by 临江区公安分局 (a department at the
district). A district analyst requests it; the street's staff, a member of the owning
department and a platform admin may approve; community staff, staff of another district and a
resident may not. The last tests run the whole flow through the query engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from hub.factories import ELSEWHERE, clear_values, ingest, make_hub_dataset, rows_of
from shequ.core.models import AuditEvent, Department, InboxMessage, Membership, Role
from shequ.hub.access import access_for
from shequ.hub.jobs import remind_overdue_requests
from shequ.hub.models import DataRequest, Dataset, Grant
from shequ.hub.services import requests as svc

pytestmark = [pytest.mark.django_db]

PROVINCE = "990000000000"
DISTRICT = "990102000000"  # 临江区
STREET = "990102001000"  # 望湖街道: the dataset's region
HOME = "990102001001"  # 锦绣社区
SIBLING = "990102001002"  # 和园社区
OTHER_STREET = "990103001000"  # 北山街道, another district
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Who may approve a request for the dataset (and revoke its grants).
APPROVERS = {"street": True, "officer": True, "admin": True}
NOT_APPROVERS = {"community": False, "other": False, "resident": False, "analyst": False}


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Error messages are matched in English (zh-hans is the platform's default)."""
    with translation.override("en"):
        yield


def ask(user: Any, dataset: Dataset, **changes: Any) -> DataRequest:
    fields: dict[str, Any] = {
        "columns": ["person_id", "name", "age", "region_code"],
        "clear_columns": ["name"],
        "purpose": "核查独居老人名单",
        "legal_basis": "《老年人权益保障法》第三十一条",
        "period_from": timezone.localdate(),
        "period_until": timezone.localdate() + timedelta(days=30),
    }
    fields.update(changes)
    return svc.submit_request(user, dataset, **fields)


def actions(prefix: str = "hub.") -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith=prefix)
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- submitting ------------------------------------------------------------------------------


def test_a_conditional_request_waits_for_the_approvers_with_a_deadline(
    dataset: Dataset, users: dict[str, Any]
) -> None:
    req = ask(users["analyst"], dataset)
    assert req.status == DataRequest.Status.PENDING
    assert req.due_at == svc.add_working_days(req.created, 5)
    assert not Grant.objects.exists()
    assert access_for(users["analyst"], dataset) is None
    assert actions() == ["hub.request.submit"]
    event = AuditEvent.objects.get(action="hub.request.submit")
    assert event.region_code == STREET
    assert event.details["clear_columns"] == ["name"]


def test_the_approvers_are_told_in_their_inbox_but_not_the_platform_admin(
    dataset: Dataset, users: dict[str, Any]
) -> None:
    req = ask(users["analyst"], dataset)
    told = set(InboxMessage.objects.values_list("user__username", flat=True))
    assert told == {"street", "officer"}
    message = InboxMessage.objects.filter(user=users["street"]).get()
    assert message.url == f"/hub/requests/{req.pk}/"
    assert message.title == "待您审批的数据申请：人口信息"  # the platform's language
    assert timezone.localtime(req.due_at).strftime("%Y-%m-%d") in message.body


def test_without_regional_approvers_the_platform_admins_are_told(
    dataset: Dataset, users: dict[str, Any]
) -> None:
    dataset.region, dataset.department = None, None
    dataset.save()
    ask(users["analyst"], dataset)
    assert set(InboxMessage.objects.values_list("user__username", flat=True)) == {"admin"}


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (datetime(2026, 11, 26, 9, 30), 5, datetime(2026, 12, 3, 9, 30)),  # Thu -> Thu
        (datetime(2026, 11, 27, 17, 0), 5, datetime(2026, 12, 4, 17, 0)),  # Fri -> Fri
        (datetime(2026, 11, 28, 10, 0), 5, datetime(2026, 12, 4, 10, 0)),  # Sat -> Fri
        (datetime(2026, 11, 29, 10, 0), 1, datetime(2026, 11, 30, 10, 0)),  # Sun -> Mon
        (datetime(2026, 11, 27, 10, 0), 1, datetime(2026, 11, 30, 10, 0)),  # Fri -> Mon
        (datetime(2026, 11, 26, 10, 0), 10, datetime(2026, 12, 10, 10, 0)),
    ],
)
def test_the_deadline_counts_working_days(start: datetime, days: int, due: datetime) -> None:
    got = svc.add_working_days(start.replace(tzinfo=SHANGHAI), days)
    assert got == due.replace(tzinfo=SHANGHAI)


def test_the_number_of_working_days_is_a_setting(
    settings: Any, dataset: Dataset, users: dict[str, Any]
) -> None:
    settings.HUB_APPROVAL_DAYS = 2
    req = ask(users["analyst"], dataset)
    assert req.due_at == svc.add_working_days(req.created, 2)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"columns": []}, "columns"),
        ({"columns": ["name", "salary"]}, "columns"),
        ({"clear_columns": ["age"]}, "clear_columns"),
        ({"clear_columns": ["phone"]}, "clear_columns"),  # personal, but not requested
        ({"purpose": "   "}, "purpose"),
        ({"legal_basis": ""}, "legal_basis"),
        ({"legal_basis": "法" * 201}, "legal_basis"),
        ({"period_until": date(2020, 1, 1), "period_from": date(2019, 1, 1)}, "period_until"),
        ({"period_until": timezone.localdate()}, "period_until"),  # ends when it starts
    ],
)
def test_a_request_is_checked_field_by_field(
    dataset: Dataset, users: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        ask(users["analyst"], dataset, **changes)
    assert field in caught.value.message_dict
    assert not DataRequest.objects.exists()
    assert not InboxMessage.objects.exists()


def test_a_not_shared_dataset_cannot_be_requested(dataset: Dataset, users: dict[str, Any]) -> None:
    dataset.sharing = "not_shared"
    dataset.save()
    with pytest.raises(ValidationError) as caught:
        ask(users["analyst"], dataset)
    assert "dataset" in caught.value.message_dict
    assert not DataRequest.objects.exists()


@pytest.mark.parametrize("who", ["resident", "other"])
def test_only_hub_users_who_see_the_dataset_may_request_it(
    dataset: Dataset, users: dict[str, Any], who: str
) -> None:
    with pytest.raises(PermissionDenied):
        ask(users[who], dataset)


def test_one_pending_request_per_dataset(dataset: Dataset, users: dict[str, Any]) -> None:
    first = ask(users["analyst"], dataset)
    with pytest.raises(ValidationError, match=f"no. {first.pk}"):
        ask(users["analyst"], dataset)
    svc.withdraw(users["analyst"], first)
    assert ask(users["analyst"], dataset).status == DataRequest.Status.PENDING


def test_a_department_request_needs_membership_and_grants_the_department(
    dataset: Dataset, users: dict[str, Any], police: Department, regions: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as caught:
        ask(users["analyst"], dataset, department=police)
    assert "department" in caught.value.message_dict
    traffic = Department.objects.create(
        region=regions[DISTRICT], code="traffic", name="交警大队", kind="traffic_police"
    )
    Membership.objects.filter(user=users["analyst"]).update(department=traffic)
    req = ask(users["analyst"], dataset, department=traffic)
    grant = svc.approve(users["street"], req)
    assert grant.grantee is None and grant.grantee_department == traffic
    colleague = users["analyst"].__class__.objects.create_user("colleague")
    Membership.objects.create(
        user=colleague, region=regions[DISTRICT], department=traffic, role=Role.DEPARTMENT_ANALYST
    )
    access = access_for(colleague, dataset)
    assert access is not None and access.clear == {"name"}


def test_unconditional_data_is_granted_at_once_to_staff_of_the_tree(
    dataset: Dataset, users: dict[str, Any]
) -> None:
    dataset.sharing = "unconditional"
    dataset.save()
    req = ask(users["community"], dataset, clear_columns=[])
    assert req.status == DataRequest.Status.APPROVED
    assert req.due_at is None
    grant = Grant.objects.get(request=req)
    assert grant.issued_by is None
    assert grant.grantee == users["community"]
    assert grant.columns == ["person_id", "name", "age", "region_code"]
    assert grant.clear_columns == []
    assert grant.valid_until == svc.end_of(req.period_until)
    assert actions() == ["hub.request.submit", "hub.grant.auto"]
    assert not InboxMessage.objects.exists()


def test_unconditional_data_in_clear_still_needs_a_decision(
    dataset: Dataset, users: dict[str, Any]
) -> None:
    dataset.sharing = "unconditional"
    dataset.save()
    req = ask(users["community"], dataset)
    assert req.status == DataRequest.Status.PENDING
    assert req.due_at is not None
    assert not Grant.objects.exists()


# --- who decides -----------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "allowed"), [*APPROVERS.items(), *NOT_APPROVERS.items()])
def test_who_may_approve(dataset: Dataset, users: dict[str, Any], who: str, allowed: bool) -> None:
    req = ask(users["analyst"], dataset)
    assert svc.is_approver(users[who], dataset) is allowed
    if allowed:
        grant = svc.approve(users[who], req)
        assert grant.issued_by == users[who]
    else:
        with pytest.raises(PermissionDenied):
            svc.approve(users[who], req)
        with pytest.raises(PermissionDenied):
            svc.refuse(users[who], req, "不需要")
        req.refresh_from_db()
        assert req.status == DataRequest.Status.PENDING


def test_an_approver_never_decides_their_own_request(
    dataset: Dataset, users: dict[str, Any]
) -> None:
    req = ask(users["street"], dataset)
    assert svc.is_approver(users["street"], dataset)
    assert not svc.can_decide(users["street"], req)
    with pytest.raises(PermissionDenied, match="your own"):
        svc.approve(users["street"], req)
    with pytest.raises(PermissionDenied):
        svc.refuse(users["street"], req, "算了")
    assert InboxMessage.objects.filter(user=users["street"]).count() == 0
    svc.approve(users["officer"], req)


def test_the_approver_list_matches_the_rule(dataset: Dataset, users: dict[str, Any]) -> None:
    names = [u.username for u in svc.approvers(dataset)]
    assert sorted(names[:2]) == ["officer", "street"]
    assert names[2:] == ["admin"]  # platform-wide last


def test_awaiting_and_mine(dataset: Dataset, users: dict[str, Any]) -> None:
    req = ask(users["analyst"], dataset)
    for who in APPROVERS:
        assert list(svc.awaiting(users[who])) == [req], who
    for who in NOT_APPROVERS:
        assert list(svc.awaiting(users[who])) == [], who
    assert list(svc.my_requests(users["analyst"])) == [req]
    assert list(svc.my_requests(users["street"])) == []
    assert svc.can_see_request(users["officer"], req)
    assert not svc.can_see_request(users["community"], req)


# --- approving, refusing, withdrawing --------------------------------------------------------


def test_approval_issues_the_grant_as_requested(dataset: Dataset, users: dict[str, Any]) -> None:
    req = ask(users["analyst"], dataset)
    InboxMessage.objects.all().delete()
    grant = svc.approve(users["street"], req)
    req.refresh_from_db()
    assert req.status == DataRequest.Status.APPROVED
    assert req.decided_by == users["street"] and req.decided_at is not None
    assert grant.grantee == users["analyst"]
    assert grant.columns == ["person_id", "name", "age", "region_code"]
    assert grant.clear_columns == ["name"]
    assert grant.purpose == "核查独居老人名单"
    assert grant.valid_until == svc.end_of(req.period_until)
    assert grant.valid_from <= timezone.now()
    assert actions() == ["hub.request.submit", "hub.request.approve", "hub.grant.issue"]
    access = access_for(users["analyst"], dataset)
    assert access is not None
    assert access.columns == ("person_id", "name", "age", "region_code")
    assert access.clear == {"name"}
    note = InboxMessage.objects.get()
    assert note.user == users["analyst"] and note.url == f"/hub/requests/{req.pk}/"


def test_a_grant_starts_with_its_period(dataset: Dataset, users: dict[str, Any]) -> None:
    later = timezone.localdate() + timedelta(days=3)
    req = ask(users["analyst"], dataset, period_from=later, period_until=later + timedelta(9))
    grant = svc.approve(users["street"], req)
    assert grant.valid_from == svc.start_of(later)
    assert svc.grant_state(grant) == "scheduled"
    assert access_for(users["analyst"], dataset) is None


def test_the_approver_may_narrow_but_not_widen(dataset: Dataset, users: dict[str, Any]) -> None:
    req = ask(users["analyst"], dataset)
    with pytest.raises(ValidationError) as caught:
        svc.approve(users["street"], req, clear_columns=["name", "phone"])
    assert "clear_columns" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        svc.approve(users["street"], req, valid_until=req.period_until + timedelta(days=1))
    assert "valid_until" in caught.value.message_dict
    with pytest.raises(ValidationError):
        svc.approve(users["street"], req, valid_until=timezone.localdate() - timedelta(days=1))
    assert not Grant.objects.exists()
    last_day = timezone.localdate() + timedelta(days=7)
    grant = svc.approve(users["street"], req, clear_columns=[], valid_until=last_day)
    assert grant.clear_columns == []
    assert grant.valid_until == svc.end_of(last_day)
    access = access_for(users["analyst"], dataset)
    assert access is not None and access.clear == frozenset()


def test_row_scope_adds_regions_inside_the_dataset(
    dataset: Dataset, users: dict[str, Any], regions: dict[str, Any]
) -> None:
    req = ask(users["community"], dataset)
    with pytest.raises(ValidationError) as caught:
        svc.approve(users["street"], req, row_scope=["990103001001"])  # another district
    assert "row_scope" in caught.value.message_dict
    with pytest.raises(ValidationError):
        svc.approve(users["street"], req, row_scope=["990102009009"])  # no such region
    svc.approve(users["street"], req, row_scope=[SIBLING])
    access = access_for(users["community"], dataset)
    assert access is not None
    assert access.row_prefixes == (HOME, SIBLING)


def test_a_decided_request_cannot_be_decided_again(dataset: Dataset, users: dict[str, Any]) -> None:
    req = ask(users["analyst"], dataset)
    svc.approve(users["street"], req)
    stale = DataRequest.objects.get(pk=req.pk)
    with pytest.raises(ValidationError, match="no longer pending"):
        svc.approve(users["officer"], stale)
    with pytest.raises(ValidationError):
        svc.refuse(users["officer"], stale, "重复")
    with pytest.raises(ValidationError):
        svc.withdraw(users["analyst"], stale)
    assert Grant.objects.count() == 1


def test_two_approvers_at_once_issue_one_grant(dataset: Dataset, users: dict[str, Any]) -> None:
    req = ask(users["analyst"], dataset)
    copy = DataRequest.objects.get(pk=req.pk)  # loaded before the first decision
    svc.approve(users["street"], req)
    with pytest.raises(ValidationError, match="no longer pending"):
        svc.approve(users["officer"], copy)
    assert Grant.objects.count() == 1


def test_a_refusal_needs_a_reason(dataset: Dataset, users: dict[str, Any]) -> None:
    req = ask(users["analyst"], dataset)
    InboxMessage.objects.all().delete()
    with pytest.raises(ValidationError) as caught:
        svc.refuse(users["street"], req, "  ")
    assert "reason" in caught.value.message_dict
    svc.refuse(users["street"], req, "用途与数据不符")
    req.refresh_from_db()
    assert req.status == DataRequest.Status.REFUSED
    assert req.reason == "用途与数据不符"
    assert req.decided_by == users["street"]
    assert not Grant.objects.exists()
    assert actions() == ["hub.request.submit", "hub.request.refuse"]
    note = InboxMessage.objects.get()
    assert note.user == users["analyst"] and note.body == "用途与数据不符"


def test_only_the_requester_withdraws(dataset: Dataset, users: dict[str, Any]) -> None:
    req = ask(users["analyst"], dataset)
    for who in ("street", "community"):
        with pytest.raises(PermissionDenied):
            svc.withdraw(users[who], req)
    svc.withdraw(users["analyst"], req)
    req.refresh_from_db()
    assert req.status == DataRequest.Status.WITHDRAWN
    assert req.decided_by is None
    assert actions()[-1] == "hub.request.withdraw"


# --- grants ----------------------------------------------------------------------------------


def test_a_grant_never_changes(dataset: Dataset, users: dict[str, Any]) -> None:
    grant = svc.approve(users["street"], ask(users["analyst"], dataset))
    grant.clear_columns = ["name", "phone"]
    with pytest.raises(ValueError, match="immutable"):
        grant.save()
    grant.refresh_from_db()
    assert grant.clear_columns == ["name"]


@pytest.mark.parametrize(
    ("who", "allowed"), [*APPROVERS.items(), ("analyst", True), *list(NOT_APPROVERS.items())[:3]]
)
def test_who_may_revoke(dataset: Dataset, users: dict[str, Any], who: str, allowed: bool) -> None:
    grant = svc.approve(users["street"], ask(users["analyst"], dataset))
    if not allowed:
        with pytest.raises(PermissionDenied):
            svc.revoke(users[who], grant, "不再需要")
        assert access_for(users["analyst"], dataset) is not None
        return
    revocation = svc.revoke(users[who], grant, "不再需要")
    assert revocation.kind == Grant.Kind.REVOKE
    assert revocation.revokes == grant
    assert revocation.issued_by == users[who]
    assert revocation.reason == "不再需要"
    assert access_for(users["analyst"], dataset) is None
    assert svc.grant_state(Grant.objects.get(pk=grant.pk)) == "revoked"
    assert actions()[-1] == "hub.grant.revoke"


def test_revoking_twice_is_a_clear_error(dataset: Dataset, users: dict[str, Any]) -> None:
    grant = svc.approve(users["street"], ask(users["analyst"], dataset))
    with pytest.raises(ValidationError) as caught:
        svc.revoke(users["street"], grant, " ")
    assert "reason" in caught.value.message_dict
    revocation = svc.revoke(users["street"], grant, "项目结束")
    with pytest.raises(ValidationError, match="already revoked"):
        svc.revoke(users["officer"], grant, "再撤一次")
    with pytest.raises(ValidationError, match="revocation record"):
        svc.revoke(users["street"], revocation, "撤销撤销记录")
    assert Grant.objects.count() == 2


def test_the_grantee_is_told_when_somebody_else_revokes(
    dataset: Dataset, users: dict[str, Any]
) -> None:
    grant = svc.approve(users["street"], ask(users["analyst"], dataset))
    InboxMessage.objects.all().delete()
    svc.revoke(users["officer"], grant, "数据用途已完成")
    note = InboxMessage.objects.get()
    assert note.user == users["analyst"] and note.body == "数据用途已完成"
    assert note.url == "/hub/datasets/people/grants/"


def test_an_expired_grant_stops_working_at_once(dataset: Dataset, users: dict[str, Any]) -> None:
    req = ask(users["analyst"], dataset)
    grant = svc.approve(users["street"], req, valid_until=timezone.localdate())
    assert grant.valid_until is not None
    assert access_for(users["analyst"], dataset) is not None
    just_before = grant.valid_until - timedelta(microseconds=1)
    with mock.patch("django.utils.timezone.now", return_value=just_before):
        assert access_for(users["analyst"], dataset) is not None
        assert svc.grant_state(grant) == "active"
    with mock.patch("django.utils.timezone.now", return_value=grant.valid_until):
        assert access_for(users["analyst"], dataset) is None
        assert svc.grant_state(grant) == "expired"


def test_grants_of_a_dataset_for_approvers_and_grantees(
    dataset: Dataset, users: dict[str, Any]
) -> None:
    mine = svc.approve(users["street"], ask(users["analyst"], dataset))
    theirs = svc.approve(users["street"], ask(users["community"], dataset))
    assert set(svc.grants_of(users["officer"], dataset)) == {mine, theirs}
    assert list(svc.grants_of(users["analyst"], dataset)) == [mine]
    assert list(svc.grants_of(users["other"], dataset)) == []


# --- reminders -------------------------------------------------------------------------------


def test_overdue_requests_are_reminded_once_a_day(dataset: Dataset, users: dict[str, Any]) -> None:
    req = ask(users["analyst"], dataset)
    done = ask(users["community"], dataset)
    svc.refuse(users["street"], done, "不需要")
    InboxMessage.objects.all().delete()
    assert req.due_at is not None
    assert svc.send_overdue_reminders(req.due_at - timedelta(minutes=1)) == 0
    overdue = req.due_at + timedelta(hours=1)
    assert svc.send_overdue_reminders(overdue) == 1
    reminders = InboxMessage.objects.all()
    assert {m.user.username for m in reminders} == {"street", "officer"}
    assert all(m.level == "warning" for m in reminders)
    # Later the same local day (two hours on, or just before midnight when that is sooner).
    midnight = timezone.localtime(overdue).replace(hour=0, minute=0, second=0, microsecond=0)
    later = min(overdue + timedelta(hours=2), midnight + timedelta(days=1, seconds=-1))
    assert svc.send_overdue_reminders(later) == 0
    next_day = timezone.localtime(overdue) + timedelta(days=1)
    assert svc.send_overdue_reminders(next_day) == 1
    assert InboxMessage.objects.count() == 4
    assert AuditEvent.objects.filter(action="hub.request.remind").count() == 2
    svc.approve(users["street"], req)
    assert svc.send_overdue_reminders(next_day + timedelta(days=1)) == 0


def test_the_worker_job_sends_the_reminders(dataset: Dataset, users: dict[str, Any]) -> None:
    req = ask(users["analyst"], dataset)
    DataRequest.objects.filter(pk=req.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert remind_overdue_requests.call_local() == 1
    assert remind_overdue_requests.call_local() == 0
    req.refresh_from_db()
    assert req.reminded_at is not None


# --- the whole flow through the query engine -------------------------------------------------


def test_request_approve_query_revoke_refused(
    regions: dict[str, Any], users: dict[str, Any], police: Department, tmp_path: Any
) -> None:
    from shequ.hub.query import QueryError, run_query

    people = make_hub_dataset("people", region=regions[STREET], department=police)
    ingest(people, rows_of("people"), tmp_path)
    analyst = users["analyst"]
    sql = "SELECT person_id, name, region_code FROM people ORDER BY person_id"
    with pytest.raises(QueryError) as refused:
        run_query(analyst, sql)
    assert refused.value.status == 403

    req = svc.submit_request(
        analyst,
        people,
        columns=["person_id", "name", "region_code"],
        clear_columns=["name"],
        purpose="核查独居老人名单",
        legal_basis="《老年人权益保障法》",
        period_from=timezone.localdate(),
        period_until=timezone.localdate() + timedelta(days=30),
    )
    grant = svc.approve(users["officer"], req)

    result = run_query(analyst, sql)
    names = set(result.table.column("name").to_pylist())
    district = {r["region_code"] for r in rows_of("people")} - {ELSEWHERE}
    assert names == set().union(*(clear_values("people", "name", code) for code in district))
    assert ELSEWHERE not in set(result.table.column("region_code").to_pylist())
    assert result.clear_pii == ["people.name"]
    with pytest.raises(QueryError):  # not requested, so not granted
        run_query(analyst, "SELECT phone FROM people")

    svc.revoke(users["street"], grant, "核查完成")
    with pytest.raises(QueryError) as refused:
        run_query(analyst, sql)
    assert refused.value.status == 403
    assert AuditEvent.objects.filter(action="hub.grant.revoke").count() == 1


def test_a_refused_request_gives_no_access(
    regions: dict[str, Any], users: dict[str, Any], police: Department, tmp_path: Any
) -> None:
    from shequ.hub.query import QueryError, run_query

    people = make_hub_dataset("people", region=regions[STREET], department=police)
    ingest(people, rows_of("people")[:10], tmp_path)
    req = ask(users["analyst"], people, columns=["person_id", "name"])
    svc.refuse(users["officer"], req, "用途不明确")
    with pytest.raises(QueryError) as refused:
        run_query(users["analyst"], "SELECT count(*) FROM people")
    assert refused.value.status == 403


# --- access.py -------------------------------------------------------------------------------


def test_unconditional_shared_data_is_for_hub_users_only(
    dataset: Dataset, users: dict[str, Any]
) -> None:
    """Regression: a resident read the rows of an unconditional region-less dataset."""
    dataset.region, dataset.sharing = None, "unconditional"
    dataset.schema = {"fields": [{"name": "lot"}, {"name": "capacity", "type": "integer"}]}
    dataset.save()
    assert access_for(users["resident"], dataset) is None
    access = access_for(users["community"], dataset)
    assert access is not None and access.row_prefixes is None
