"""Notification transports, exercised against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from fake_http import FakeServer, Reply
from shequ.core.transports import (
    TRANSPORTS,
    DingTalkTransport,
    EmailTransport,
    Message,
    Transport,
    TransportError,
    WebhookTransport,
    WeComTransport,
    get_transport,
    send_with_retries,
    verify_signature,
)
from shequ.core.transports.http import post_json

FAST_TIMEOUT = 0.3
CHINESE = Message(
    title="暴雨红色预警",
    body="请居民避免前往低洼地带。\nPlease avoid low-lying areas.",
    url="https://shequ.example.cn/alerts/42",
    level="critical",
    region_code="110105001001",
    event_id="evt-42",
)


def webhook(server: FakeServer, **extra: Any) -> WebhookTransport:
    return WebhookTransport({"url": f"{server.url}/hooks/shequ", "secret": "s3cret-密钥", **extra})


def dingtalk(server: FakeServer, **extra: Any) -> DingTalkTransport:
    return DingTalkTransport({"webhook": f"{server.url}/robot/send?access_token=tok123", **extra})


def wecom(server: FakeServer, **extra: Any) -> WeComTransport:
    return WeComTransport({"webhook": f"{server.url}/cgi-bin/webhook/send?key=k-1", **extra})


def raised(excinfo: pytest.ExceptionInfo[TransportError]) -> TransportError:
    return excinfo.value


# --- registry --------------------------------------------------------------------------------


def test_registry_maps_each_kind_to_its_transport_and_the_inbox_to_the_models_layer() -> None:
    from shequ.core.services.notify import InboxTransport

    expected = {
        "webhook": WebhookTransport,
        "dingtalk": DingTalkTransport,
        "wecom": WeComTransport,
        "email": EmailTransport,
        "inbox": InboxTransport,
    }
    assert expected == TRANSPORTS
    assert get_transport("dingtalk") is DingTalkTransport


def test_get_transport_rejects_an_unknown_kind_with_value_error() -> None:
    with pytest.raises(ValueError, match="unknown channel kind"):
        get_transport("carrier-pigeon")


def test_transports_declare_which_config_keys_are_secrets() -> None:
    assert WebhookTransport.secret_keys == ("secret",)
    assert set(DingTalkTransport.secret_keys) == {"webhook", "secret"}
    assert WeComTransport.secret_keys == ("webhook",)
    assert EmailTransport.secret_keys == ()


def test_message_rejects_an_unknown_level() -> None:
    with pytest.raises(ValueError, match="level"):
        Message(title="t", body="b", level="panic")


def test_transport_modules_import_without_django_settings() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import shequ.core.transports as t, django.conf as c\n"
        "assert not c.settings.configured\n"
        "t.WebhookTransport.validate_config({'url': 'https://x.example/h', 'secret': 's'})\n"
        "print(sorted(t.TRANSPORTS))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['dingtalk', 'email', 'webhook', 'wecom']"


# --- generic webhook -------------------------------------------------------------------------


def test_webhook_posts_the_message_as_utf8_json_with_a_verifiable_signature(
    server: FakeServer,
) -> None:
    server.respond(204, raw=b"")
    before = int(time.time())
    webhook(server).send(CHINESE)

    req = server.last
    assert (req.method, req.path) == ("POST", "/hooks/shequ")
    assert req.headers["content-type"].startswith("application/json")
    assert "暴雨红色预警".encode() in req.body  # not \\u-escaped
    # serialized once, compactly: these exact bytes are what the signature covers
    assert req.body == json.dumps(req.json(), ensure_ascii=False, separators=(",", ":")).encode()
    payload = req.json()
    sent_at = payload.pop("sent_at")
    assert payload == {
        "title": "暴雨红色预警",
        "body": "请居民避免前往低洼地带。\nPlease avoid low-lying areas.",
        "url": "https://shequ.example.cn/alerts/42",
        "level": "critical",
        "region_code": "110105001001",
        "event_id": "evt-42",
    }
    parsed = datetime.fromisoformat(sent_at)
    assert parsed.utcoffset() == timedelta(0)
    timestamp = int(req.headers["x-shequ-timestamp"])
    assert before <= timestamp <= int(time.time())
    assert int(parsed.timestamp()) == timestamp

    signature = req.headers["x-shequ-signature"]
    assert signature.startswith("sha256=")
    assert verify_signature("s3cret-密钥", req.body, signature)
    expected = hmac.new("s3cret-密钥".encode(), req.body, hashlib.sha256).hexdigest()
    assert signature == f"sha256={expected}"


def test_verify_signature_rejects_a_tampered_body_a_wrong_secret_and_a_malformed_header(
    server: FakeServer,
) -> None:
    webhook(server).send(CHINESE)
    body, signature = server.last.body, server.last.headers["x-shequ-signature"]
    assert verify_signature("s3cret-密钥", body, signature)
    assert not verify_signature("s3cret-密钥", body + b" ", signature)
    assert not verify_signature("other", body, signature)
    assert not verify_signature("s3cret-密钥", body, signature.removeprefix("sha256="))
    assert not verify_signature("s3cret-密钥", body, "sha256=签名")
    assert not verify_signature("s3cret-密钥", body, "")


def test_a_500_response_is_a_transient_error(server: FakeServer) -> None:
    server.respond(500, {"error": "boom"})
    with pytest.raises(TransportError) as excinfo:
        webhook(server).send(CHINESE)
    assert not raised(excinfo).permanent
    assert "500" in raised(excinfo).message


def test_a_429_response_is_a_transient_error(server: FakeServer) -> None:
    server.respond(429, {"error": "slow down"})
    with pytest.raises(TransportError) as excinfo:
        webhook(server).send(CHINESE)
    assert not raised(excinfo).permanent


def test_a_404_response_is_a_permanent_error_with_status_and_the_start_of_the_body(
    server: FakeServer,
) -> None:
    server.respond(404, raw=("没有这个钩子" + "x" * 500).encode())
    with pytest.raises(TransportError) as excinfo:
        webhook(server).send(CHINESE)
    error = raised(excinfo)
    assert error.permanent
    assert "404" in error.message
    assert "没有这个钩子" + "x" * 194 in error.message
    assert "x" * 195 not in error.message


def test_a_server_slower_than_the_timeout_is_a_transient_timed_out_error(
    server: FakeServer,
) -> None:
    server.respond(200, {}, delay=3.0)
    started = time.monotonic()
    with pytest.raises(TransportError) as excinfo:
        webhook(server, timeout=FAST_TIMEOUT).send(CHINESE)
    assert time.monotonic() - started < 2.5
    assert not raised(excinfo).permanent
    assert "timed out after 0.3s" in raised(excinfo).message


def test_post_json_reports_the_timeout_it_was_given(server: FakeServer) -> None:
    server.respond(200, {}, delay=3.0)
    with pytest.raises(TransportError, match=r"timed out after 0\.3s") as excinfo:
        post_json(f"{server.url}/x", {"a": 1}, timeout=FAST_TIMEOUT)
    assert not raised(excinfo).permanent


def test_a_refused_connection_is_a_transient_error(closed_port_url: str) -> None:
    transport = WebhookTransport({"url": closed_port_url, "secret": "s"})
    with pytest.raises(TransportError) as excinfo:
        transport.send(CHINESE)
    assert not raised(excinfo).permanent
    assert "connection refused" in raised(excinfo).message


def test_an_invalid_stored_config_fails_permanently_without_a_request(server: FakeServer) -> None:
    transport = WebhookTransport({"url": f"{server.url}/hook"})  # secret missing
    with pytest.raises(TransportError, match="secret") as excinfo:
        transport.send(CHINESE)
    assert raised(excinfo).permanent
    assert server.requests == []


# --- retries ---------------------------------------------------------------------------------


def test_send_with_retries_retries_two_500s_with_backoff_and_succeeds_on_the_third_call(
    server: FakeServer,
) -> None:
    server.queue(Reply(500, {"error": "a"}), Reply(500, {"error": "b"}))
    server.respond(200, {"ok": True})
    sleeps: list[float] = []
    send_with_retries(webhook(server), CHINESE, attempts=3, backoff=0.5, sleep=sleeps.append)
    assert len(server.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_send_with_retries_re_raises_the_last_transient_error_when_attempts_run_out(
    server: FakeServer,
) -> None:
    server.queue(Reply(500, {"n": 1}), Reply(502, {"n": 2}), Reply(503, {"n": 3}))
    sleeps: list[float] = []
    with pytest.raises(TransportError, match="503") as excinfo:
        send_with_retries(webhook(server), CHINESE, attempts=3, backoff=0.25, sleep=sleeps.append)
    assert not raised(excinfo).permanent
    assert len(server.requests) == 3
    assert sleeps == [0.25, 0.5]


def test_send_with_retries_does_not_retry_a_permanent_error(server: FakeServer) -> None:
    server.respond(404, {"error": "gone"})
    sleeps: list[float] = []
    with pytest.raises(TransportError) as excinfo:
        send_with_retries(webhook(server), CHINESE, sleep=sleeps.append)
    assert raised(excinfo).permanent
    assert len(server.requests) == 1
    assert sleeps == []


def test_send_with_retries_does_not_retry_a_dingtalk_sign_mismatch(server: FakeServer) -> None:
    server.respond(200, {"errcode": 310000, "errmsg": "sign not match"})
    with pytest.raises(TransportError):
        send_with_retries(dingtalk(server, secret="SECabc"), CHINESE, sleep=lambda s: None)
    assert len(server.requests) == 1


# --- DingTalk --------------------------------------------------------------------------------


def test_dingtalk_sends_markdown_and_signs_the_url_as_dingtalk_documents(
    server: FakeServer,
) -> None:
    secret = "SEC0123456789abcdef密"
    before_ms = int(time.time() * 1000)
    dingtalk(server, secret=secret).send(CHINESE)
    after_ms = int(time.time() * 1000)

    req = server.last
    assert (req.method, req.path) == ("POST", "/robot/send")
    params = req.params
    assert params["access_token"] == "tok123"
    timestamp = params["timestamp"]
    assert before_ms - 1 <= int(timestamp) <= after_ms + 1

    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert params["sign"] == base64.b64encode(digest).decode()
    # the raw query carries the sign url-encoded, exactly once
    raw_sign = req.query.split("sign=", 1)[1].split("&", 1)[0]
    assert raw_sign == urllib.parse.quote_plus(base64.b64encode(digest))

    assert req.json() == {
        "msgtype": "markdown",
        "markdown": {
            "title": "暴雨红色预警",
            "text": "### 暴雨红色预警\n\n请居民避免前往低洼地带。\nPlease avoid low-lying areas."
            "\n\n[link](https://shequ.example.cn/alerts/42)",
        },
    }
    assert "暴雨红色预警".encode() in req.body


def test_dingtalk_without_a_secret_sends_no_sign_parameters(server: FakeServer) -> None:
    dingtalk(server).send(Message(title="Water outage", body="Tomorrow 9:00-12:00"))
    assert server.last.params == {"access_token": "tok123"}
    assert server.last.json()["markdown"]["text"] == "### Water outage\n\nTomorrow 9:00-12:00"


def test_dingtalk_errcode_310000_is_a_permanent_error(server: FakeServer) -> None:
    server.respond(200, {"errcode": 310000, "errmsg": "keywords not in content"})
    with pytest.raises(TransportError) as excinfo:
        dingtalk(server, secret="SECabc").send(CHINESE)
    assert raised(excinfo).permanent
    assert "310000" in raised(excinfo).message
    assert "keywords not in content" in raised(excinfo).message


def test_dingtalk_errcode_130101_sending_too_fast_is_a_transient_error(server: FakeServer) -> None:
    server.respond(200, {"errcode": 130101, "errmsg": "send too fast"})
    with pytest.raises(TransportError) as excinfo:
        dingtalk(server).send(CHINESE)
    assert not raised(excinfo).permanent


@pytest.mark.parametrize("errcode", [300001, 400013, 999999])
def test_dingtalk_config_and_unknown_errcodes_are_permanent(
    server: FakeServer, errcode: int
) -> None:
    server.respond(200, {"errcode": errcode, "errmsg": "nope"})
    with pytest.raises(TransportError) as excinfo:
        dingtalk(server).send(CHINESE)
    assert raised(excinfo).permanent


def test_dingtalk_answer_that_is_not_json_is_a_permanent_error(server: FakeServer) -> None:
    server.respond(200, raw=b"<html>captive portal</html>")
    with pytest.raises(TransportError, match="unexpected response") as excinfo:
        dingtalk(server).send(CHINESE)
    assert raised(excinfo).permanent


def test_dingtalk_http_500_is_a_transient_error(server: FakeServer) -> None:
    server.respond(500, raw=b"")
    with pytest.raises(TransportError) as excinfo:
        dingtalk(server).send(CHINESE)
    assert not raised(excinfo).permanent


def test_dingtalk_shortens_a_huge_body_to_fit_the_size_limit(server: FakeServer) -> None:
    dingtalk(server).send(Message(title="长", body="字" * 30000, url="https://e.example/1"))
    text = server.last.json()["markdown"]["text"]
    assert len(text.encode()) <= 20000
    assert text.startswith("### 长\n\n字") and text.endswith("…\n\n[link](https://e.example/1)")


# --- WeCom -----------------------------------------------------------------------------------


def test_wecom_sends_markdown_to_the_webhook(server: FakeServer) -> None:
    wecom(server).send(
        Message(title="停水通知", body="明天 9:00-12:00 停水", url="https://e.example/n/1")
    )
    req = server.last
    assert (req.method, req.path, req.params) == ("POST", "/cgi-bin/webhook/send", {"key": "k-1"})
    assert req.json() == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**停水通知**\n>明天 9:00-12:00 停水\n[link](https://e.example/n/1)"
        },
    }
    assert "停水通知".encode() in req.body


def test_wecom_quotes_every_line_of_a_multi_line_body(server: FakeServer) -> None:
    wecom(server).send(Message(title="T", body="one\ntwo"))
    assert server.last.json()["markdown"]["content"] == "**T**\n>one\n>two"


def test_wecom_errcode_45009_rate_limit_is_a_transient_error(server: FakeServer) -> None:
    server.respond(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    with pytest.raises(TransportError) as excinfo:
        wecom(server).send(CHINESE)
    assert not raised(excinfo).permanent
    assert "45009" in raised(excinfo).message


@pytest.mark.parametrize("errcode", [93000, 40008, 12345])
def test_wecom_invalid_webhook_and_other_errcodes_are_permanent(
    server: FakeServer, errcode: int
) -> None:
    server.respond(200, {"errcode": errcode, "errmsg": "invalid webhook url"})
    with pytest.raises(TransportError) as excinfo:
        wecom(server).send(CHINESE)
    assert raised(excinfo).permanent
    assert str(errcode) in raised(excinfo).message


def test_wecom_keeps_content_within_4096_bytes(server: FakeServer) -> None:
    wecom(server).send(Message(title="公告", body="内容" * 3000, url="https://e.example/2"))
    content = server.last.json()["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.endswith("…\n[link](https://e.example/2)")


def test_wecom_timeout_from_config_is_a_transient_error(server: FakeServer) -> None:
    server.respond(200, {"errcode": 0}, delay=3.0)
    with pytest.raises(TransportError, match=r"timed out after 0\.3s") as excinfo:
        wecom(server, timeout=FAST_TIMEOUT).send(CHINESE)
    assert not raised(excinfo).permanent


# --- e-mail ----------------------------------------------------------------------------------


def test_email_goes_through_the_configured_django_backend(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "noreply@shequ.example.cn"
    EmailTransport({"to": "a@example.cn, b@example.cn"}).send(CHINESE)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["a@example.cn", "b@example.cn"]
    assert sent.from_email == "noreply@shequ.example.cn"
    assert sent.subject == "暴雨红色预警"
    assert sent.body == (
        "请居民避免前往低洼地带。\nPlease avoid low-lying areas.\n\nhttps://shequ.example.cn/alerts/42"
    )


def test_email_collapses_a_multi_line_title_into_one_subject_line(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailTransport({"to": "a@example.cn"}).send(Message(title="Line one\nline two", body="b"))
    assert mail.outbox[0].subject == "Line one line two"


def test_email_smtp_failure_is_a_transient_error(settings: Any, closed_port_url: str) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = urllib.parse.urlsplit(closed_port_url).port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    with pytest.raises(TransportError) as excinfo:
        EmailTransport({"to": "a@example.cn"}).send(CHINESE)
    assert not raised(excinfo).permanent


# --- config validation -----------------------------------------------------------------------


def error_keys(excinfo: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(excinfo.value.message_dict)


@pytest.mark.parametrize(
    ("transport", "config", "key"),
    [
        (WebhookTransport, {"secret": "s"}, "url"),
        (WebhookTransport, {"url": "", "secret": "s"}, "url"),
        (WebhookTransport, {"url": "ftp://example.com/hook", "secret": "s"}, "url"),
        (WebhookTransport, {"url": "javascript:alert(1)", "secret": "s"}, "url"),
        (WebhookTransport, {"url": "example.com/hook", "secret": "s"}, "url"),
        (WebhookTransport, {"url": "https://example.com/hook"}, "secret"),
        (WebhookTransport, {"url": "https://example.com/hook", "secret": "  "}, "secret"),
        (WebhookTransport, {"url": "https://e.example/h", "secret": "s", "timeout": 0}, "timeout"),
        (WebhookTransport, {"url": "https://e.example/h", "secret": "s", "x": 1}, "x"),
        (DingTalkTransport, {}, "webhook"),
        (DingTalkTransport, {"webhook": "https://oapi.dingtalk.com/robot/send"}, "webhook"),
        (DingTalkTransport, {"webhook": "ftp://oapi.dingtalk.com/?access_token=t"}, "webhook"),
        (
            DingTalkTransport,
            {"webhook": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": "abc"},
            "secret",
        ),
        (WeComTransport, {}, "webhook"),
        (WeComTransport, {"webhook": "qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "webhook"),
        (EmailTransport, {}, "to"),
        (EmailTransport, {"to": "not-an-email"}, "to"),
        (EmailTransport, {"to": "ok@example.cn, broken@"}, "to"),
        (EmailTransport, {"to": " , "}, "to"),
    ],
)
def test_validate_config_rejects_bad_values_naming_the_key(
    transport: type[Transport], config: dict[str, Any], key: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        transport.validate_config(config)
    assert error_keys(excinfo) == {key}


def test_validate_config_error_for_a_bad_email_names_the_address() -> None:
    with pytest.raises(ValidationError) as excinfo:
        EmailTransport.validate_config({"to": "ok@example.cn, 张三@"})
    assert "张三@" in " ".join(excinfo.value.message_dict["to"])


def test_validate_config_rejects_a_config_that_is_not_a_dict() -> None:
    with pytest.raises(ValidationError):
        WebhookTransport.validate_config(["https://example.com"])  # type: ignore[arg-type]


def test_validate_config_returns_the_cleaned_config() -> None:
    assert WebhookTransport.validate_config(
        {"url": " https://example.com/hook ", "secret": " keep spaces "}
    ) == {"url": "https://example.com/hook", "secret": " keep spaces "}
    assert DingTalkTransport.validate_config(
        {"webhook": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": ""}
    ) == {"webhook": "https://oapi.dingtalk.com/robot/send?access_token=t"}
    assert DingTalkTransport.validate_config(
        {"webhook": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": "SECx"}
    ) == {"webhook": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": "SECx"}
    assert WeComTransport.validate_config(
        {"webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "timeout": 5}
    ) == {"webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "timeout": 5.0}
    assert EmailTransport.validate_config({"to": "a@example.cn,, b@example.cn , A@example.cn"}) == {
        "to": "a@example.cn, b@example.cn"
    }


def test_timestamps_in_webhook_payloads_are_utc() -> None:
    from shequ.core.transports.webhook import build_payload

    local = datetime(2024, 6, 1, 8, 0, tzinfo=UTC).astimezone()
    assert build_payload(CHINESE, local)["sent_at"] == "2024-06-01T08:00:00Z"
