"""A real local HTTP server that records what it receives (for transport and notify tests).

It answers on 127.0.0.1 with queued replies first, then its default reply, and keeps every
request (method, path, query, headers, raw body) for the test to inspect. A module of its own,
not conftest: ``from conftest import`` would pick whichever conftest was imported first.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def params(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.query, keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body.decode())


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    raw: bytes | None = None
    delay: float = 0.0

    def content(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.json, ensure_ascii=False).encode()


@dataclass
class FakeServer:
    """Records every request; answers with queued replies first, then the default reply."""

    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    queued: list[Reply] = field(default_factory=list)
    default: Reply = field(default_factory=lambda: Reply(json={"errcode": 0, "errmsg": "ok"}))
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(
        self, status: int = 200, json: Any = None, *, raw: bytes | None = None, delay: float = 0.0
    ) -> None:
        self.default = Reply(status, json, raw, delay)

    def queue(self, *replies: Reply) -> None:
        self.queued.extend(replies)

    def next_reply(self) -> Reply:
        with self.lock:
            return self.queued.pop(0) if self.queued else self.default

    @property
    def last(self) -> Recorded:
        assert self.requests, "the server received no request"
        return self.requests[-1]


def make_handler(state: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def handle_any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path, _, query = self.path.partition("?")
            with state.lock:
                state.requests.append(
                    Recorded(
                        self.command,
                        path,
                        query,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
            reply = state.next_reply()
            if reply.delay and state.stopping.wait(reply.delay):
                return
            content = reply.content()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_POST = do_GET = do_PUT = handle_any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out leave broken pipes behind; that is expected here
