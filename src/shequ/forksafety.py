"""Refuse to run in a process forked after a runtime that does not survive a fork existed.

deltalake's tokio runtime, DuckDB's open databases and their thread pools, the hub's Spark
session (a socket to its JVM, noted by ``hub.query.spark``) and open database connections are
not copied sanely into a forked child: deltalake panics with "Forked process detected" on the
first request, DuckDB hangs or segfaults, two processes share one socket.
``shequ serve`` forks its web workers (granian uses ``multiprocessing``'s fork start method),
so its parent must touch none of these first. This module makes a mistake there fail at the
child's start-up with a message naming the cause, not on the first request that reads the hub.

``install()`` (from ``shequ/__init__``) registers fork hooks: just before a fork, the parent
lists what it holds (tokio threads, DuckDB databases noted by ``note_runtime``, open Django
connections of the forking thread); the child keeps that list, and ``assert_fresh`` raises
if it is not empty.
"""

from __future__ import annotations

import os
import sys
import threading

_lock = threading.Lock()
_runtimes: dict[str, int] = {}  # name -> pid that created it
_pending: list[str] = []  # what the parent held at the fork in progress
_inherited: list[str] = []  # what this process's parent held when it forked this one
_installed = False

# Thread names (Linux "comm") of runtimes that cannot be forked: tokio is deltalake's.
FOREIGN_THREAD_PREFIXES = ("tokio-",)


class ForkedAfterRuntime(RuntimeError):
    """This process is a fork of a process that had already started unforkable runtimes."""


def note_runtime(name: str) -> None:
    """Record that this process now holds ``name`` (e.g. a cached DuckDB database)."""
    with _lock:
        _runtimes.setdefault(name, os.getpid())


def forget_runtime(name: str) -> None:
    with _lock:
        _runtimes.pop(name, None)


def _foreign_threads() -> list[str]:
    names: set[str] = set()
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:  # not Linux: no thread names to read
        return []
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/comm", encoding="utf-8") as fh:
                comm = fh.read().strip()
        except OSError:
            continue
        if comm.startswith(FOREIGN_THREAD_PREFIXES):
            names.add(comm)
    return sorted(names)


def _open_connections() -> list[str]:
    if "django.db" not in sys.modules:
        return []
    from django.db import connections

    try:
        return [
            f"database connection '{alias}'"
            for alias in connections
            if connections[alias].connection is not None
        ]
    except Exception:  # settings not configured: no connection can be open
        return []


def held_now() -> list[str]:
    """What this process holds that a forked child could not use."""
    held = [f"{name} (created in pid {pid})" for name, pid in sorted(_runtimes.items())]
    held += [f"{name} threads (deltalake's runtime)" for name in _foreign_threads()]
    held += _open_connections()
    return held


def _before_fork() -> None:
    _pending[:] = held_now()


def _after_in_parent() -> None:
    _pending.clear()


def _after_in_child() -> None:
    _inherited[:] = [*_inherited, *_pending]
    _pending.clear()
    with _lock:
        _runtimes.clear()


def install() -> None:
    global _installed
    if _installed or not hasattr(os, "register_at_fork"):
        return
    os.register_at_fork(
        before=_before_fork, after_in_parent=_after_in_parent, after_in_child=_after_in_child
    )
    _installed = True


def assert_fresh(what: str) -> None:
    """Raise at start-up if this process was forked from one that held unforkable runtimes."""
    if _inherited:
        raise ForkedAfterRuntime(
            f"{what} (pid {os.getpid()}) was forked from pid {os.getppid()} after that process "
            f"had started: {', '.join(_inherited)}. These do not survive a fork. Start the "
            "server with `shequ serve` (or `shequ demo`), whose parent process touches none of "
            "them before it starts its workers."
        )
