"""What the access journeys share: the staff pages that issue door devices, and a cable to cut.

The served demo is built once for the tier (conftest ``platform``); every access journey
issues its devices through the staff's point page on that demo instead of building its own.
"""

from __future__ import annotations

import re
import socket
import threading
from contextlib import suppress

import httpx
from system_support import Platform, assert_clean, csrf_token, free_port

ESTATE, GATE = "锦绣花园", "北门"


def form_post(client: httpx.Client, url: str, data: dict[str, str]) -> httpx.Response:
    """Open the page at URL, then post its form with DATA and the page's CSRF token."""
    page = client.get(url)
    assert_clean(page)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    answer = client.post(
        url,
        data={**data, "csrfmiddlewaretoken": csrf_token(page.text)},
        headers={"Referer": f"{client.base_url}{url}"},
    )
    assert_clean(answer)
    return answer


def point_urls(staff: httpx.Client, estate: str = ESTATE) -> dict[str, str]:
    """Door name → page of the estate's access points, from the staff's points page."""
    points = staff.get("/access/points/")
    assert_clean(points)
    assert points.status_code == 200, points.text[:500]
    rows = re.findall(
        rf'<td>{estate}</td><td><a href="(/access/points/\d+/)">([^<]+)</a></td>', points.text
    )
    assert rows, f"no access points of {estate} on the points page"
    return {name: url for url, name in rows}


def issue_device(staff: httpx.Client, kind: str, door: str = GATE, name: str = "") -> str:
    """Issue a device token at DOOR of the estate through its page; the clear token (shown once)."""
    url = point_urls(staff)[door]
    page = form_post(staff, url, {"name": name or f"系统测试{kind}", "kind": kind})
    assert page.status_code == 200, page.text[:500]
    token = r'data-testid="device-token">.*?<p class="mono[^"]*">([^<]+)</p>'
    shown = re.search(token, page.text, re.S)
    assert shown, "the point's page did not show the new device's token"
    return shown.group(1).strip()


def device_client(base: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=10, headers={"Authorization": f"Bearer {token}"})


class Cable:
    """A TCP relay between a device and the platform: ``cut()`` makes the platform unreachable
    for the device (connections refused, open ones dropped) while it keeps serving everyone
    else; ``mend()`` restores the link on the same port."""

    def __init__(self, platform: Platform) -> None:
        self.target = ("127.0.0.1", platform.port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.mend()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def mend(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            for sock in self._open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    close = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                near, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                far = socket.create_connection(self.target, timeout=10)
                far.settimeout(None)
            except OSError:
                near.close()
                continue
            with self._lock:
                self._open |= {near, far}
            for a, b in ((near, far), (far, near)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
