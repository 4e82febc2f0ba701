"""Flowback (回流): a community publishes its own dataset, departments subscribe, each new
version is announced once, and subscribers pull only the rows that changed, masked for them."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from fake_http import FakeServer, Reply
from shequ.core.models import Department, InboxMessage, Membership, Role
from shequ.core.models.notifications import Channel, ChannelKind
from shequ.core.services.regions import create_channel
from shequ.core.services.tokens import issue
from shequ.hub.models import Category, Dataset, Grant, Origin, Subscription, VersionNotice
from shequ.hub.query import QueryError
from shequ.hub.query.changes import changes
from shequ.hub.services import flowback

HOME = "990102001001"  # 锦绣社区
SIBLING = "990102001002"
ELSEWHERE = "990103001001"

SCHEMA = {
    "primaryKey": ["visit_id"],
    "regionField": "region_code",
    "fields": [
        {"name": "visit_id", "type": "string", "title": "走访编号"},
        {"name": "elder", "type": "string", "title": "老人姓名", "pii": "name"},
        {"name": "phone", "type": "string", "title": "联系电话", "pii": "phone"},
        {"name": "visits", "type": "integer", "title": "走访次数"},
        {"name": "region_code", "type": "string", "title": "区划代码"},
    ],
}
HEADER = "visit_id,elder,phone,visits,region_code\n"


def rows(*items: tuple[str, str, str, int, str]) -> str:
    return HEADER + "".join(f"{a},{b},{c},{d},{e}\n" for a, b, c, d, e in items)


V0 = rows(
    ("V1", "王伟", "13900000001", 1, HOME),
    ("V2", "李芳", "13900000002", 2, HOME),
    ("V3", "张敏", "13900000003", 1, SIBLING),
    ("V4", "刘静", "13900000004", 5, HOME),
)
# V1 unchanged, V2 visits changed, V3 deleted, V4 only the phone changed, V5 and V6 new.
V1 = rows(
    ("V1", "王伟", "13900000001", 1, HOME),
    ("V2", "李芳", "13900000002", 3, HOME),
    ("V4", "刘静", "13911111111", 5, HOME),
    ("V5", "陈丽", "13900000005", 1, HOME),
    ("V6", "杨强", "13900000006", 2, SIBLING),
)


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.create(key="civic", name="文明实践", name_en="Civic")


@pytest.fixture
def publisher(make_user: Any) -> Any:
    return make_user(Role.COMMUNITY_STAFF, HOME, username="publisher")


@pytest.fixture
def visits(publisher: Any, category: Category, regions: dict[str, Any]) -> Dataset:
    return flowback.publish_dataset(
        publisher,
        region=regions[HOME],
        key="elder_visits",
        category="civic",
        schema=SCHEMA,
        title="高龄老人走访记录",
        title_en="Visits to elderly residents",
        sharing="conditional",
    )


def publish(user: Any, dataset: Dataset, tmp_path: Path, text: str, name: str) -> int:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    run = flowback.publish_file(user, dataset, path, mode="replace")
    assert run.status == "succeeded", run.error
    dataset.refresh_from_db()
    assert run.version is not None
    return run.version


@pytest.fixture
def analyst(make_user: Any, regions: dict[str, Any]) -> Any:
    """A civil-affairs analyst of the street, with a grant on the whole dataset (masked)."""
    dept = Department.objects.create(name="民政办", region=regions["990102001000"])
    user = make_user(Role.DEPARTMENT_ANALYST, "990102001000", username="analyst")
    Membership.objects.filter(user=user).update(department=dept)
    return user


def token_client(user: Any) -> Client:
    _token, raw = issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def grant(user: Any, dataset: Dataset, clear: list[str] | None = None, scope: Any = ()) -> Grant:
    return Grant.objects.create(
        dataset=dataset,
        grantee=user,
        clear_columns=clear or [],
        row_scope=list(scope),
        valid_from=timezone.now() - timezone.timedelta(days=1),
        purpose="走访统计",
    )


# ---------------------------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------------------------


def test_community_staff_publish_their_own_dataset(visits: Dataset, publisher: Any) -> None:
    assert visits.origin == Origin.COMMUNITY
    assert visits.region is not None and visits.region.code == HOME
    assert visits.tier == "community"
    assert flowback.can_publish(publisher, visits)


def test_a_platform_app_publishes_with_no_actor(
    category: Category, regions: dict[str, Any], tmp_path: Path
) -> None:
    ds = flowback.publish_dataset(
        None,
        region=regions["990102001000"],
        key="app_data",
        category="civic",
        schema=SCHEMA,
        title="应用数据",
        title_en="App data",
    )
    assert ds.origin == Origin.APP and ds.tier == "street"
    assert publish(None, ds, tmp_path, V0, "a.csv") == 0


@pytest.mark.parametrize(
    ("role", "region", "allowed"),
    [
        (Role.COMMUNITY_STAFF, HOME, True),
        (Role.STREET_STAFF, "990102001000", True),  # the street above
        (Role.COMMUNITY_STAFF, SIBLING, False),
        (Role.COMMUNITY_STAFF, ELSEWHERE, False),
        (Role.DEPARTMENT_ANALYST, HOME, False),
        (Role.GARAGE_OPERATOR, HOME, False),
        (Role.RESIDENT, HOME, False),
        (Role.VOLUNTEER, HOME, False),
    ],
)
def test_who_may_publish_into_a_community_dataset(
    visits: Dataset,
    make_user: Any,
    regions: dict[str, Any],
    tmp_path: Path,
    role: str,
    region: str,
    allowed: bool,
) -> None:
    user = make_user(role, region)
    assert flowback.can_publish(user, visits) is allowed
    if allowed:
        assert publish(user, visits, tmp_path, V0, "v.csv") == 0
    else:
        with pytest.raises(PermissionDenied):
            publish(user, visits, tmp_path, V0, "v.csv")
        with pytest.raises(PermissionDenied):
            flowback.publish_dataset(
                user,
                region=regions[HOME],
                key="other",
                category="civic",
                schema=SCHEMA,
                title="x",
                title_en="x",
            )
        assert not Dataset.objects.filter(key="other").exists()


def test_an_upstream_dataset_cannot_be_republished_or_written(
    publisher: Any, category: Category, regions: dict[str, Any], tmp_path: Path
) -> None:
    upstream = Dataset.objects.create(
        key="household_registry",
        title="户籍",
        title_en="Households",
        category=category,
        region=regions[HOME],
        tier="city",
        sharing="conditional",
        schema=SCHEMA,
    )
    with pytest.raises(ValidationError) as err:
        flowback.publish_dataset(
            publisher,
            region=regions[HOME],
            key=upstream.key,
            category="civic",
            schema=SCHEMA,
            title="x",
            title_en="x",
        )
    assert "key" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        publish(publisher, upstream, tmp_path, V0, "u.csv")
    with pytest.raises(PermissionDenied):
        publish(None, upstream, tmp_path, V0, "u.csv")
    upstream.refresh_from_db()
    assert upstream.version is None and upstream.title == "户籍"


def test_another_community_cannot_take_over_a_published_key(
    visits: Dataset, make_user: Any, regions: dict[str, Any]
) -> None:
    other = make_user(Role.COMMUNITY_STAFF, SIBLING)
    with pytest.raises(ValidationError):
        flowback.publish_dataset(
            other,
            region=regions[SIBLING],
            key=visits.key,
            category="civic",
            schema=SCHEMA,
            title="抢注",
            title_en="taken",
        )
    visits.refresh_from_db()
    assert visits.region.code == HOME and visits.title == "高龄老人走访记录"


# ---------------------------------------------------------------------------------------------
# Changes between versions
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def two_versions(visits: Dataset, publisher: Any, tmp_path: Path) -> Dataset:
    assert publish(publisher, visits, tmp_path, V0, "v0.csv") == 0
    assert publish(publisher, visits, tmp_path, V1, "v1.csv") == 1
    return visits


def by_id(result: Any) -> dict[str, dict[str, Any]]:
    return {r["visit_id"]: r for r in result.rows}


def test_changes_by_primary_key_see_inserts_updates_deletes(
    two_versions: Dataset, analyst: Any
) -> None:
    grant(analyst, two_versions)
    result = changes(analyst, two_versions, 0, 1)
    assert result.counts == {"insert": 2, "update": 2, "delete": 1}
    got = by_id(result)
    assert {k: v["_change"] for k, v in got.items()} == {
        "V2": "update",
        "V3": "delete",
        "V4": "update",
        "V5": "insert",
        "V6": "insert",
    }
    assert got["V2"]["visits"] == 3  # the newer row for updates
    assert got["V3"]["visits"] == 1  # the older row for deletes
    # A change only in a personal column is found although the analyst sees it masked.
    assert got["V4"]["phone"] != "13911111111" and "*" in got["V4"]["phone"]
    assert all("*" in r["elder"] for r in result.rows)
    assert result.clear_pii == []


def test_changes_in_clear_only_with_a_clear_grant(two_versions: Dataset, analyst: Any) -> None:
    grant(analyst, two_versions, clear=["phone"])
    got = by_id(changes(analyst, two_versions, 0))
    assert got["V4"]["phone"] == "13911111111"
    assert "*" in got["V4"]["elder"]


def test_changes_keep_to_the_callers_regions(two_versions: Dataset, make_user: Any) -> None:
    local = make_user(Role.DEPARTMENT_ANALYST, HOME)  # 锦绣社区 only
    grant(local, two_versions)
    result = changes(local, two_versions, 0, 1)
    assert set(by_id(result)) == {"V2", "V4", "V5"}  # V3 and V6 are in 和园社区
    assert result.counts == {"insert": 1, "update": 2, "delete": 0}
    far = make_user(Role.DEPARTMENT_ANALYST, ELSEWHERE)
    grant(far, two_versions, scope=[SIBLING])  # a grant can reach another region's rows
    assert set(by_id(changes(far, two_versions, 0, 1))) == {"V3", "V6"}


def test_changes_page_in_a_stable_order(two_versions: Dataset, analyst: Any) -> None:
    grant(analyst, two_versions)
    seen, offset, pages = [], 0, 0
    while offset is not None:
        page = changes(analyst, two_versions, 0, 1, limit=2, offset=offset)
        seen += [(r["_change"], r["visit_id"]) for r in page.rows]
        offset, pages = page.next_offset, pages + 1
    assert pages == 3
    assert seen == sorted(seen) and len(seen) == 5 == len(set(seen))
    inserts = changes(analyst, two_versions, 0, 1, op="insert")
    assert [r["visit_id"] for r in inserts.rows] == ["V5", "V6"]


def test_changes_without_a_primary_key_compare_multisets(
    category: Category, regions: dict[str, Any], tmp_path: Path, analyst: Any
) -> None:
    schema = {**SCHEMA, "primaryKey": []}
    ds = flowback.publish_dataset(
        None,
        region=regions[HOME],
        key="no_key",
        category="civic",
        schema=schema,
        title="无主键",
        title_en="No key",
    )
    publish(None, ds, tmp_path, V0, "a.csv")
    publish(None, ds, tmp_path, V0 + f"V1,王伟,13900000001,1,{HOME}\n", "b.csv")  # a duplicate
    grant(analyst, ds)
    result = changes(analyst, ds, 0, 1)
    assert result.counts == {"insert": 1, "update": 0, "delete": 0}
    assert result.rows[0]["visit_id"] == "V1"


@pytest.mark.parametrize(
    ("since", "until", "kw", "status", "words"),
    [
        (1, 1, {}, 422, "since"),
        (2, 1, {}, 422, "since"),
        (-1, 1, {}, 422, "since"),
        (0, 7, {}, 404, "no version 7"),
        (0, 1, {"limit": 0}, 422, "limit"),
        (0, 1, {"limit": 10_001}, 422, "limit"),
        (0, 1, {"offset": -1}, 422, "offset"),
        (0, 1, {"op": "merge"}, 422, "op"),
    ],
)
def test_bad_change_requests_are_refused_clearly(
    two_versions: Dataset,
    analyst: Any,
    since: int,
    until: int,
    kw: dict[str, Any],
    status: int,
    words: str,
) -> None:
    grant(analyst, two_versions)
    with pytest.raises(QueryError) as err:
        changes(analyst, two_versions, since, until, **kw)
    assert err.value.status == status and words in err.value.message


def test_changes_need_access_and_are_audited(two_versions: Dataset, analyst: Any) -> None:
    from shequ.core.models import AuditEvent

    with pytest.raises(QueryError) as err:
        changes(analyst, two_versions, 0, 1)
    assert err.value.status == 403
    grant(analyst, two_versions, clear=["phone"])
    changes(analyst, two_versions, 0, 1)
    event = AuditEvent.objects.filter(action="hub.changes").get()
    assert event.actor == analyst and event.region_code == HOME
    assert event.details["rows"] == 5 and event.details["clear_pii"] == ["phone"]


# ---------------------------------------------------------------------------------------------
# Subscriptions and notices
# ---------------------------------------------------------------------------------------------


def test_subscribing_needs_access(visits: Dataset, analyst: Any) -> None:
    with pytest.raises(PermissionDenied):
        flowback.subscribe(analyst, visits)
    grant(analyst, visits)
    sub = flowback.subscribe(analyst, visits)
    again = flowback.subscribe(analyst, visits)  # idempotent: one active subscription
    assert sub.pk == again.pk
    assert Subscription.objects.filter(dataset=visits, active=True).count() == 1


def test_department_and_channel_must_be_the_subscribers(
    visits: Dataset, analyst: Any, regions: dict[str, Any]
) -> None:
    grant(analyst, visits)
    foreign_dept = Department.objects.create(name="他区民政", region=regions[ELSEWHERE])
    with pytest.raises(ValidationError) as err:
        flowback.subscribe(analyst, visits, department=foreign_dept)
    assert "department" in err.value.message_dict
    foreign = Channel.objects.create(region=regions[ELSEWHERE], name="x", kind=ChannelKind.INBOX)
    with pytest.raises(ValidationError) as err:
        flowback.subscribe(analyst, visits, channel=foreign)
    assert "channel" in err.value.message_dict
    assert not Subscription.objects.exists()


def test_each_new_version_is_announced_once_to_the_inbox(
    visits: Dataset, publisher: Any, analyst: Any, tmp_path: Path
) -> None:
    grant(analyst, visits)
    publish(publisher, visits, tmp_path, V0, "v0.csv")
    sub = flowback.subscribe(analyst, visits)  # subscribing after v0: v0 is not news
    assert sub.last_notified_version == 0
    with override("en"):
        publish(publisher, visits, tmp_path, V1, "v1.csv")
        assert flowback.announce(visits, 1) == 1
        assert flowback.announce(visits, 1) == 0  # a retried task sends nothing more
        assert flowback.sweep() == 0
    notes = InboxMessage.objects.filter(user=analyst)
    assert notes.count() == 1
    assert "version 1" in notes.get().title
    assert "since=0&until=1" in notes.get().body
    counters = flowback.counters(visits)
    assert (counters.subscribers, counters.deliveries, counters.last_delivered_version) == (
        1,
        1,
        1,
    )


def test_the_sweep_catches_versions_the_task_missed(
    visits: Dataset, publisher: Any, analyst: Any, tmp_path: Path
) -> None:
    grant(analyst, visits)
    sub = flowback.subscribe(analyst, visits)  # before any version
    publish(publisher, visits, tmp_path, V0, "v0.csv")
    publish(publisher, visits, tmp_path, V1, "v1.csv")
    assert flowback.sweep() == 2
    assert flowback.sweep() == 0
    sub.refresh_from_db()
    assert sub.last_notified_version == 1
    assert sorted(VersionNotice.objects.values_list("version", flat=True)) == [0, 1]


def test_a_subscriber_who_lost_access_hears_nothing(
    visits: Dataset, publisher: Any, analyst: Any, tmp_path: Path
) -> None:
    g = grant(analyst, visits)
    flowback.subscribe(analyst, visits)
    Grant.objects.create(
        kind=Grant.Kind.REVOKE,
        revokes=g,
        dataset=visits,
        grantee=analyst,
        valid_from=timezone.now(),
        reason="项目结束",
    )
    publish(publisher, visits, tmp_path, V0, "v0.csv")
    assert flowback.sweep() == 0
    assert not InboxMessage.objects.filter(user=analyst).exists()
    assert VersionNotice.objects.get().status == VersionNotice.Status.NO_ACCESS


def test_a_failing_webhook_is_retried_by_the_next_sweep(
    visits: Dataset,
    publisher: Any,
    analyst: Any,
    tmp_path: Path,
    make_user: Any,
    server: FakeServer,
) -> None:
    grant(analyst, visits)
    channel = create_channel(
        make_user(Role.STREET_STAFF),
        region_code="990102001000",
        name="民政办系统",
        kind="webhook",
        config={"url": f"{server.url}/hook", "secret": "s3cret-s3cret"},
    )
    flowback.subscribe(analyst, visits, channel=channel)
    publish(publisher, visits, tmp_path, V0, "v0.csv")
    server.queue(Reply(500), Reply(500), Reply(500))
    assert flowback.sweep() == 0  # three attempts, all 500
    assert VersionNotice.objects.get().status == VersionNotice.Status.FAILED
    assert flowback.sweep() == 1
    assert flowback.sweep() == 0
    assert VersionNotice.objects.get().status == VersionNotice.Status.SENT
    assert len(server.requests) == 4
    assert server.last.json()["event_id"] == "hub:elder_visits:v0"


@pytest.mark.django_db(transaction=True)
def test_concurrent_subscribes_make_one_subscription(visits: Dataset, analyst: Any) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    grant(analyst, visits)
    errors: list[BaseException] = []

    def go() -> None:
        try:
            flowback.subscribe(analyst, visits)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert Subscription.objects.filter(dataset=visits, active=True).count() == 1


def test_unsubscribing_is_only_for_the_subscriber(
    visits: Dataset, analyst: Any, make_user: Any
) -> None:
    grant(analyst, visits)
    sub = flowback.subscribe(analyst, visits)
    with pytest.raises(PermissionDenied):
        flowback.unsubscribe(make_user(Role.STREET_STAFF), sub)
    flowback.unsubscribe(analyst, sub)
    sub.refresh_from_db()
    assert not sub.active and sub.cancelled_at is not None
    assert flowback.counters(visits).subscribers == 0


# ---------------------------------------------------------------------------------------------
# Through the API
# ---------------------------------------------------------------------------------------------


def test_publish_subscribe_and_pull_through_the_api(
    category: Category, publisher: Any, analyst: Any, tmp_path: Path
) -> None:
    staff_api, analyst_api = token_client(publisher), token_client(analyst)
    body = {
        "key": "elder_visits",
        "title": "高龄老人走访记录",
        "title_en": "Visits",
        "category": "civic",
        "region_code": HOME,
        "sharing": "conditional",
        "schema": SCHEMA,
    }
    made = staff_api.post("/api/v1/hub/published", body, content_type="application/json")
    assert made.status_code == 201, made.content
    visits = Dataset.objects.get(key="elder_visits")
    for name, text in (("v0.csv", V0), ("v1.csv", V1)):
        up = staff_api.post(
            "/api/v1/hub/datasets/elder_visits/upload",
            {"file": SimpleUploadedFile(name, text.encode()), "mode": "replace"},
        )
        assert up.status_code == 201 and up.json()["status"] == "succeeded", up.content

    url = "/api/v1/hub/datasets/elder_visits"
    assert (
        analyst_api.post(f"{url}/subscription", {}, content_type="application/json").status_code
        == 403  # the catalog shows it; subscribing needs a grant
    )
    grant(analyst, visits)
    sub = analyst_api.post(f"{url}/subscription", {}, content_type="application/json")
    assert sub.status_code == 201 and sub.json()["last_notified_version"] == 1

    page = analyst_api.get(f"{url}/changes", {"since": 0, "until": 1, "limit": 2})
    assert page.status_code == 200, page.content
    data = page.json()
    assert data["total"] == 5 and data["next_offset"] == 2 and len(data["rows"]) == 2
    assert data["columns"] == ["visit_id", "elder", "phone", "visits", "region_code"]
    counters = analyst_api.get(f"{url}/subscribers").json()
    assert counters == {
        "subscribers": 1,
        "deliveries": 0,
        "last_delivered_version": None,
        "pulls": 1,
    }
    assert [s["dataset"] for s in analyst_api.get("/api/v1/hub/subscriptions").json()["items"]] == [
        "elder_visits"
    ]
    gone = analyst_api.delete(f"{url}/subscription")
    assert (
        gone.status_code == 200
        and analyst_api.get("/api/v1/hub/subscriptions").json()["count"] == 0
    )


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ({}, 422, "since"),
        ({"since": "x"}, 422, "since"),
        ({"since": 0, "until": 9}, 404, "no version 9"),
        ({"since": 0, "limit": 0}, 422, "limit"),
        ({"since": 0, "op": "merge"}, 422, "op"),
    ],
)
def test_bad_change_queries_are_4xx_naming_the_parameter(
    two_versions: Dataset, analyst: Any, query: dict[str, Any], status: int, words: str
) -> None:
    grant(analyst, two_versions)
    response = token_client(analyst).get(
        "/api/v1/hub/datasets/elder_visits/changes", query, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == status, response.content
    assert words in response.content.decode()


@pytest.mark.parametrize(
    ("query", "status", "zh", "en"),
    [
        (
            {"since": 0, "until": 9},
            404,
            "数据集 'elder_visits' 没有版本 until=9（最新版本为 1）。",
            "Dataset 'elder_visits' has no version 9 (newest: 1).",
        ),
        (
            {"since": 1, "until": 1},
            422,
            "since 必须是 0 到 until - 1 之间的版本（since=1，until=1）。",
            "since must be a version from 0 to until - 1 (since=1, until=1).",
        ),
        (
            {"since": 0, "limit": 0},
            422,
            "limit 必须在 1 到 10,000 之间。",
            "limit must be between 1 and 10,000.",
        ),
        ({"since": 0, "offset": -1}, 422, "offset 不能为负数。", "offset must not be negative."),
    ],
)
def test_change_query_errors_are_in_the_callers_language(
    two_versions: Dataset, analyst: Any, query: dict[str, Any], status: int, zh: str, en: str
) -> None:
    grant(analyst, two_versions)
    client = token_client(analyst)
    for language, expected in (("zh-hans", zh), ("en", en)):
        response = client.get(
            "/api/v1/hub/datasets/elder_visits/changes", query, HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == status, response.content
        assert response.json()["error"]["message"] == expected


def test_changes_without_a_grant_are_refused_in_the_callers_language(
    two_versions: Dataset, analyst: Any
) -> None:
    client = token_client(analyst)
    url = "/api/v1/hub/datasets/elder_visits/changes"
    zh = client.get(url, {"since": 0}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    en = client.get(url, {"since": 0}, HTTP_ACCEPT_LANGUAGE="en")
    assert zh.status_code == en.status_code == 403
    assert "elder_visits" in zh.json()["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.json()["error"]["message"])
    assert en.json()["error"]["message"] == (
        "You have no grant for dataset 'elder_visits' (request it in the hub)."
    )


def test_an_unknown_department_or_channel_is_named_in_the_callers_language(
    visits: Dataset, analyst: Any
) -> None:
    grant(analyst, visits)
    client = token_client(analyst)
    url = "/api/v1/hub/datasets/elder_visits/subscription"
    said = {}
    for language in ("zh-hans", "en"):
        for body in ({"department_id": 999999}, {"channel_id": 999999}):
            response = client.post(
                url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language
            )
            assert response.status_code == 422, response.content
            said[language, next(iter(body))] = response.json()["error"]["message"]
    assert said["zh-hans", "department_id"] == "department_id：没有编号为 999999 的部门"
    assert said["zh-hans", "channel_id"] == "channel_id：没有编号为 999999 的通知渠道"
    assert said["en", "department_id"] == "department_id: no department 999999"
    assert said["en", "channel_id"] == "channel_id: no channel 999999"
    assert not Subscription.objects.exists()


def test_publishing_for_another_region_through_the_api_is_refused(
    category: Category, publisher: Any
) -> None:
    body = {
        "key": "theirs",
        "title": "别人的",
        "category": "civic",
        "region_code": SIBLING,
        "schema": SCHEMA,
    }
    response = token_client(publisher).post(
        "/api/v1/hub/published", body, content_type="application/json"
    )
    assert response.status_code == 403
    assert not Dataset.objects.filter(key="theirs").exists()
    body["region_code"] = "12345"
    response = token_client(publisher).post(
        "/api/v1/hub/published", body, content_type="application/json"
    )
    assert response.status_code == 422 and "region_code" in response.content.decode()
