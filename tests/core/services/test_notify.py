"""Notification channels: encrypted config, delivery with retries, the inbox, queued sending."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from fake_http import FakeServer, Reply
from shequ.core.models import Channel, Delivery, InboxMessage, Region, Role
from shequ.core.services import regions as region_services
from shequ.core.services import tokens
from shequ.core.services.notify import deliver, notify_region, notify_region_later
from shequ.core.transports import Message, verify_signature

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

HOME = "990102001001"
SIBLING = "990102001002"
STREET = "990102001000"
SECRET = "hook-secret-密钥-42"
FAST = 0.01  # backoff between retries, seconds
ALERT = Message(
    title="积水预警",
    body="石桥涵洞水位 0.4 米,请绕行。",
    url="https://shequ.example.cn/flood/7",
    level="warning",
    region_code=HOME,
    event_id="flood-7",
)


def token_client(user: Any) -> Client:
    _token, raw = tokens.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client: Client, path: str, payload: Any = None) -> Any:
    return client.post(path, payload or {}, content_type="application/json")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert error["message"]
    return error


def stored_config(channel_id: int) -> str:
    """The channel's config column exactly as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT config FROM {Channel._meta.db_table} WHERE id = %s", [channel_id])
        (value,) = cursor.fetchone()
    return str(value)


def make_channel(
    staff: Any, kind: str, config: dict[str, Any], region_code: str = HOME, name: str = ""
) -> Channel:
    return region_services.create_channel(
        staff, region_code=region_code, name=name or kind, kind=kind, config=config
    )


def webhook_channel(staff: Any, server: FakeServer, path: str = "/hook", **extra: Any) -> Channel:
    config = {"url": f"{server.url}{path}", "secret": SECRET, **extra}
    return make_channel(staff, "webhook", config, name=path)


@pytest.fixture
def home(regions: dict[str, Region]) -> Region:
    return regions[HOME]


@pytest.fixture
def immediate_huey() -> Iterator[Any]:
    """Run queued tasks at once, in process (settings.HUEY cannot change after import)."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    try:
        yield HUEY
    finally:
        HUEY.immediate = was


# --- creating channels through the API ------------------------------------------------------


def test_a_webhook_channel_created_through_the_api_stores_its_secret_encrypted(
    api: Client, server: FakeServer
) -> None:
    payload = {
        "region_code": HOME,
        "name": "值班群",
        "kind": "webhook",
        "config": {"url": f"{server.url}/hook", "secret": SECRET},
    }
    response = post(api, "/api/v1/channels", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["region_code"], body["enabled"]) == ("webhook", HOME, True)
    assert SECRET not in response.content.decode()

    raw = stored_config(body["id"])
    assert SECRET not in raw
    assert "密钥" not in raw
    assert f"{server.url}/hook" in raw  # the URL itself is not a secret of a webhook
    listed = api.get("/api/v1/channels").json()
    assert [c["id"] for c in listed] == [body["id"]]
    assert SECRET not in api.get("/api/v1/channels").content.decode()


@pytest.mark.parametrize(
    ("kind", "config", "secrets"),
    [
        (
            "dingtalk",
            {
                "webhook": "https://oapi.dingtalk.com/robot/send?access_token=ding-tok-9f8e",
                "secret": "SECdingsign123",
            },
            ["ding-tok-9f8e", "SECdingsign123"],
        ),
        (
            "wecom",
            {"webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-77aa"},
            ["wecom-key-77aa"],
        ),
    ],
)
def test_robot_webhook_urls_and_sign_secrets_are_not_stored_in_clear(
    api: Client, kind: str, config: dict[str, Any], secrets: list[str]
) -> None:
    payload = {"region_code": HOME, "name": kind, "kind": kind, "config": config}
    response = post(api, "/api/v1/channels", payload)
    assert response.status_code == 201, response.content
    raw = stored_config(response.json()["id"])
    for secret in secrets:
        assert secret not in raw
        assert secret not in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "config", "field"),
    [
        ("webhook", {"secret": "s"}, "config.url"),
        ("webhook", {"url": "ftp://example.com/h", "secret": "s"}, "config.url"),
        ("webhook", {"url": "https://example.com/h"}, "config.secret"),
        (
            "webhook",
            {"url": "https://example.com/h", "secret": "s", "timeout": -1},
            "config.timeout",
        ),
        (
            "webhook",
            {"url": "https://example.com/h", "secret": "s", "colour": "red"},
            "config.colour",
        ),
        ("dingtalk", {"webhook": "https://oapi.dingtalk.com/robot/send"}, "config.webhook"),
        ("email", {"to": "not-an-address"}, "config.to"),
        ("inbox", {"roles": ["wizard"]}, "config.roles"),
        ("inbox", {"roles": "street_staff"}, "config.roles"),
        ("inbox", {"roles": [1, 2]}, "config.roles"),
        ("inbox", {"colour": "red"}, "config.colour"),
        ("carrier_pigeon", {}, "kind"),
    ],
)
def test_an_invalid_channel_is_a_422_naming_the_config_key_and_nothing_is_written(
    api: Client, kind: str, config: dict[str, Any], field: str
) -> None:
    payload = {"region_code": HOME, "name": "bad", "kind": kind, "config": config}
    error = assert_error(post(api, "/api/v1/channels", payload), 422, "invalid")
    assert list(error["fields"]) == [field]
    assert field in error["message"]
    assert not Channel.objects.exists()


def test_a_channel_for_an_unknown_region_is_a_422(api: Client) -> None:
    payload = {"region_code": "990102009999", "name": "x", "kind": "inbox", "config": {}}
    error = assert_error(post(api, "/api/v1/channels", payload), 422, "invalid")
    assert "region_code" in error["fields"]


@pytest.mark.parametrize(
    ("role", "region"), [(Role.COMMUNITY_STAFF, SIBLING), (Role.RESIDENT, HOME)]
)
def test_a_user_who_does_not_manage_the_region_cannot_create_a_channel(
    make_user: Any, role: str, region: str
) -> None:
    client = token_client(make_user(role, region))
    payload = {"region_code": HOME, "name": "x", "kind": "inbox", "config": {}}
    assert_error(post(client, "/api/v1/channels", payload), 403, "forbidden")
    assert not Channel.objects.exists()


def test_users_list_only_the_channels_of_regions_they_manage(
    staff: Any, make_user: Any, server: FakeServer
) -> None:
    mine = webhook_channel(staff, server)
    sibling_staff = make_user(Role.COMMUNITY_STAFF, SIBLING)
    make_channel(sibling_staff, "inbox", {}, region_code=SIBLING)
    assert [c["id"] for c in token_client(staff).get("/api/v1/channels").json()] == [mine.pk]
    resident = make_user(Role.RESIDENT, HOME)
    assert token_client(resident).get("/api/v1/channels").json() == []


# --- delivering through a webhook -----------------------------------------------------------


def test_deliver_posts_the_signed_payload_to_the_webhook(staff: Any, server: FakeServer) -> None:
    channel = webhook_channel(staff, server)
    delivery = deliver(channel, ALERT, backoff=FAST)

    assert (delivery.status, delivery.attempts, delivery.error) == (Delivery.Status.SENT, 1, "")
    request = server.last
    assert (request.method, request.path) == ("POST", "/hook")
    assert verify_signature(SECRET, request.body, request.headers["x-shequ-signature"])
    assert not verify_signature("wrong", request.body, request.headers["x-shequ-signature"])
    payload = request.json()
    assert (payload["title"], payload["body"], payload["region_code"], payload["event_id"]) == (
        ALERT.title,
        ALERT.body,
        HOME,
        "flood-7",
    )
    channel.refresh_from_db()
    assert channel.last_sent is not None
    assert channel.last_error == ""


def test_deliver_to_a_dingtalk_channel_decrypts_the_webhook_and_signs_the_url(
    api: Client, server: FakeServer
) -> None:
    config = {"webhook": f"{server.url}/robot/send?access_token=tok-xyz", "secret": "SECabc"}
    payload = {"region_code": HOME, "name": "钉钉", "kind": "dingtalk", "config": config}
    channel = Channel.objects.get(pk=post(api, "/api/v1/channels", payload).json()["id"])
    assert deliver(channel, ALERT, backoff=FAST).status == Delivery.Status.SENT
    params = server.last.params
    assert params["access_token"] == "tok-xyz"
    assert {"timestamp", "sign"} <= set(params)
    assert server.last.json()["markdown"]["title"] == ALERT.title


def test_a_500_is_retried_then_recorded_as_a_failure_and_the_channel_stays_enabled(
    staff: Any, server: FakeServer
) -> None:
    server.respond(500, {"error": "boom"})
    channel = webhook_channel(staff, server)
    started = time.monotonic()
    delivery = deliver(channel, ALERT, backoff=FAST)
    assert time.monotonic() - started < 2

    assert len(server.requests) == 3
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 3)
    assert "500" in delivery.error
    channel.refresh_from_db()
    assert channel.enabled
    assert channel.disabled_reason == ""
    assert "500" in channel.last_error
    assert channel.last_sent is None


def test_deliver_records_the_attempts_really_made_when_a_retry_succeeds(
    staff: Any, server: FakeServer
) -> None:
    server.queue(Reply(503, {"n": 1}), Reply(500, {"n": 2}))
    server.respond(200, {"ok": True})
    delivery = deliver(webhook_channel(staff, server), ALERT, backoff=FAST)
    assert (delivery.status, delivery.attempts, delivery.error) == (Delivery.Status.SENT, 3, "")
    assert len(server.requests) == 3


def test_deliver_honours_a_smaller_number_of_attempts(staff: Any, server: FakeServer) -> None:
    server.respond(502, {})
    delivery = deliver(webhook_channel(staff, server), ALERT, attempts=2, backoff=FAST)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 2)
    assert len(server.requests) == 2


def test_a_404_disables_the_channel_with_its_reason_after_one_request(
    staff: Any, server: FakeServer
) -> None:
    server.respond(404, raw=b"no such hook")
    channel = webhook_channel(staff, server)
    delivery = deliver(channel, ALERT, backoff=FAST)

    assert len(server.requests) == 1
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 1)
    channel.refresh_from_db()
    assert not channel.enabled
    assert "404" in channel.disabled_reason
    assert "no such hook" in channel.disabled_reason
    assert channel.last_error == channel.disabled_reason


def test_a_server_slower_than_the_configured_timeout_is_a_transient_failure(
    staff: Any, server: FakeServer
) -> None:
    server.respond(200, {}, delay=3.0)
    channel = webhook_channel(staff, server, timeout=0.3)
    started = time.monotonic()
    delivery = deliver(channel, ALERT, backoff=FAST)
    assert time.monotonic() - started < 2.5

    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 3
    assert "timed out" in delivery.error
    channel.refresh_from_db()
    assert channel.enabled
    assert "timed out" in channel.last_error


def test_a_refused_connection_is_a_transient_failure(staff: Any, closed_port_url: str) -> None:
    channel = make_channel(staff, "webhook", {"url": closed_port_url, "secret": SECRET})
    delivery = deliver(channel, ALERT, backoff=FAST)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 3)
    channel.refresh_from_db()
    assert channel.enabled
    assert "refused" in channel.last_error


def test_a_channel_whose_transport_crashes_fails_without_raising(
    staff: Any, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shequ.core.transports.webhook import WebhookTransport

    def explode(self: Any, message: Message) -> None:
        raise RuntimeError("bug in a transport")

    monkeypatch.setattr(WebhookTransport, "send", explode)
    channel = webhook_channel(staff, server)
    delivery = deliver(channel, ALERT, backoff=FAST)
    assert delivery.status == Delivery.Status.FAILED
    assert "bug in a transport" in delivery.error
    channel.refresh_from_db()
    assert "bug in a transport" in channel.last_error


def test_a_channel_stored_with_an_unknown_kind_is_disabled_with_the_reason(home: Region) -> None:
    channel = Channel.objects.create(region=home, name="old", kind="pager", config={})
    delivery = deliver(channel, ALERT, backoff=FAST)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 0)
    channel.refresh_from_db()
    assert not channel.enabled
    assert "pager" in channel.disabled_reason


# --- the in-app inbox -----------------------------------------------------------------------


@pytest.fixture
def people_around(staff: Any, make_user: Any) -> dict[str, Any]:
    return {
        "staff": staff,
        "street_staff": make_user(Role.STREET_STAFF, STREET),
        "duty_officer": make_user(Role.DUTY_OFFICER, HOME),
        "sibling_staff": make_user(Role.COMMUNITY_STAFF, SIBLING),
        "other_street_staff": make_user(Role.STREET_STAFF, "990102002000"),
        "other_district_staff": make_user(Role.COMMUNITY_STAFF, "990103001001"),
        "resident": make_user(Role.RESIDENT, HOME),
        "volunteer": make_user(Role.VOLUNTEER, HOME),
        "inactive_staff": make_user(Role.COMMUNITY_STAFF, HOME, is_active=False),
    }


def inbox_of(user: Any) -> list[str]:
    return list(InboxMessage.objects.filter(user=user).values_list("title", flat=True))


def test_an_inbox_channel_reaches_staff_and_duty_officers_whose_region_covers_it(
    staff: Any, people_around: dict[str, Any]
) -> None:
    channel = make_channel(staff, "inbox", {})
    delivery = deliver(channel, ALERT, backoff=FAST)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 1)

    reached = {name for name, user in people_around.items() if inbox_of(user)}
    assert reached == {"staff", "street_staff", "duty_officer"}
    message = InboxMessage.objects.get(user=people_around["street_staff"])
    assert (message.title, message.body, message.url, message.level) == (
        ALERT.title,
        ALERT.body,
        ALERT.url,
        "warning",
    )


def test_an_inbox_channel_on_a_street_reaches_staff_of_its_communities_too(
    make_user: Any, people_around: dict[str, Any]
) -> None:
    channel = make_channel(people_around["street_staff"], "inbox", {}, region_code=STREET)
    deliver(channel, ALERT, backoff=FAST)
    reached = {name for name, user in people_around.items() if inbox_of(user)}
    # A community's staff hold no membership covering the whole street.
    assert reached == {"street_staff"}


def test_an_inbox_channel_can_be_limited_to_some_roles(
    staff: Any, people_around: dict[str, Any]
) -> None:
    channel = make_channel(staff, "inbox", {"roles": [Role.DUTY_OFFICER]})
    deliver(channel, ALERT, backoff=FAST)
    reached = {name for name, user in people_around.items() if inbox_of(user)}
    assert reached == {"duty_officer"}


def test_a_user_with_two_covering_memberships_gets_one_message(
    staff: Any, regions: dict[str, Region]
) -> None:
    from shequ.core.models import Membership

    Membership.objects.create(user=staff, region=regions[STREET], role=Role.STREET_STAFF)
    deliver(make_channel(staff, "inbox", {}), ALERT, backoff=FAST)
    assert inbox_of(staff) == [ALERT.title]


def test_inbox_messages_are_listed_and_marked_read_through_the_api(
    staff: Any, make_user: Any
) -> None:
    deliver(make_channel(staff, "inbox", {}), ALERT, backoff=FAST)
    client = token_client(staff)
    body = client.get("/api/v1/inbox").json()
    assert [m["title"] for m in body["items"]] == [ALERT.title]
    assert body["items"][0]["read_at"] is None
    message_id = body["items"][0]["id"]

    other = token_client(make_user(Role.COMMUNITY_STAFF, HOME))
    assert_error(post(other, f"/api/v1/inbox/{message_id}/read"), 404, "not_found")

    read = post(client, f"/api/v1/inbox/{message_id}/read")
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert client.get("/api/v1/inbox?unread=true").json()["count"] == 0
    assert client.get("/api/v1/inbox").json()["count"] == 1


# --- notify_region --------------------------------------------------------------------------


def test_notify_region_sends_through_every_enabled_channel_only(
    staff: Any, server: FakeServer, home: Region
) -> None:
    enabled = webhook_channel(staff, server, "/enabled")
    disabled = webhook_channel(staff, server, "/disabled")
    Channel.objects.filter(pk=disabled.pk).update(enabled=False, disabled_reason="test")
    inbox = make_channel(staff, "inbox", {})

    deliveries = notify_region(home, ALERT)

    assert {d.channel_id for d in deliveries} == {enabled.pk, inbox.pk}
    assert all(d.status == Delivery.Status.SENT for d in deliveries)
    assert [r.path for r in server.requests] == ["/enabled"]
    assert not Delivery.objects.filter(channel=disabled).exists()
    assert inbox_of(staff) == [ALERT.title]


def test_notify_region_leaves_other_regions_channels_alone(
    staff: Any, make_user: Any, server: FakeServer, home: Region
) -> None:
    sibling_staff = make_user(Role.COMMUNITY_STAFF, SIBLING)
    make_channel(
        sibling_staff,
        "webhook",
        {"url": f"{server.url}/sibling", "secret": SECRET},
        region_code=SIBLING,
    )
    webhook_channel(staff, server, "/home")
    notify_region(home, ALERT)
    assert [r.path for r in server.requests] == ["/home"]


def test_a_permanently_failing_channel_does_not_stop_the_others_and_is_skipped_next_time(
    staff: Any, server: FakeServer, home: Region
) -> None:
    server.respond(404, {"error": "gone"})
    broken = webhook_channel(staff, server, "/gone")
    make_channel(staff, "inbox", {})

    first = notify_region(home, ALERT)
    assert sorted(d.status for d in first) == [Delivery.Status.FAILED, Delivery.Status.SENT]
    second = notify_region(home, ALERT)
    assert [d.status for d in second] == [Delivery.Status.SENT]
    assert len(server.requests) == 1
    assert Delivery.objects.filter(channel=broken).count() == 1
    assert len(inbox_of(staff)) == 2


# --- the test button ------------------------------------------------------------------------


def test_the_test_endpoint_sends_a_test_message_through_the_channel(
    api: Client, staff: Any, server: FakeServer
) -> None:
    channel = webhook_channel(staff, server)
    response = post(api, f"/api/v1/channels/{channel.pk}/test")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "sent", "attempts": 1, "error": ""}
    assert server.last.json()["title"] == "shequ test"
    assert verify_signature(SECRET, server.last.body, server.last.headers["x-shequ-signature"])


def test_the_test_endpoint_reports_a_failure(api: Client, staff: Any, server: FakeServer) -> None:
    server.respond(404, {"error": "gone"})
    channel = webhook_channel(staff, server)
    body = post(api, f"/api/v1/channels/{channel.pk}/test").json()
    assert (body["status"], body["attempts"]) == ("failed", 1)
    assert "404" in body["error"]
    listed = api.get("/api/v1/channels").json()
    assert listed[0]["enabled"] is False
    assert "404" in listed[0]["disabled_reason"]


def test_testing_a_channel_of_another_region_is_a_404(
    staff: Any, make_user: Any, server: FakeServer
) -> None:
    channel = webhook_channel(staff, server)
    for outsider in (make_user(Role.COMMUNITY_STAFF, SIBLING), make_user(Role.RESIDENT, HOME)):
        response = post(token_client(outsider), f"/api/v1/channels/{channel.pk}/test")
        assert_error(response, 404, "not_found")
    assert server.requests == []


# --- queued delivery ------------------------------------------------------------------------


def test_notify_region_later_delivers_only_once_the_transaction_commits(
    staff: Any,
    server: FakeServer,
    home: Region,
    immediate_huey: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    webhook_channel(staff, server)
    make_channel(staff, "inbox", {})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify_region_later(home, ALERT)
        assert server.requests == []
        assert inbox_of(staff) == []
        assert not Delivery.objects.exists()
    assert len(callbacks) == 1
    assert inbox_of(staff) == [ALERT.title]
    assert len(server.requests) == 1
    assert server.last.json()["title"] == ALERT.title
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 2


def test_notify_region_later_sends_nothing_when_the_transaction_rolls_back(
    staff: Any,
    server: FakeServer,
    home: Region,
    immediate_huey: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    webhook_channel(staff, server)
    make_channel(staff, "inbox", {})
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        notify_region_later(home, ALERT)
        raise RuntimeError("the alert was never saved")
    assert callbacks == []
    assert server.requests == []
    assert inbox_of(staff) == []


def test_the_queued_task_returns_how_many_channels_sent(
    staff: Any, server: FakeServer, home: Region, immediate_huey: Any
) -> None:
    from shequ.core.jobs import notify_region_task

    webhook_channel(staff, server, "/a-gone")  # channels go in name order: this one is first
    webhook_channel(staff, server, "/b-ok")
    make_channel(staff, "inbox", {})
    server.queue(Reply(404, {}))
    result = notify_region_task(home.pk, ALERT)
    assert result.get() == 2
    assert [r.path for r in server.requests] == ["/a-gone", "/b-ok"]
