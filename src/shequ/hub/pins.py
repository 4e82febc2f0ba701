"""Pins: a running ``shequ backup`` says so in ``SHEQU_DATA_DIR/hub/pins/``, and the expiry
of replaced data files (``hub.services.vacuum``) deletes nothing while a pin is held.

No model, no deltalake here: the backup command imports it before Django is set up.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

# A pin whose process cannot be checked (another host) counts for this long after it was
# last touched (a backup of a large hub takes hours, not days).
FOREIGN_PIN_HOURS = 48


def pins_dir() -> Path:
    return Path(settings.DATA_DIR) / "hub" / "pins"


@contextlib.contextmanager
def backup_pin() -> Iterator[Path]:
    """Held by a running backup: expiry deletes nothing while it exists."""
    folder = pins_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"backup-{uuid.uuid4().hex}.json"
    path.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def held_pins() -> list[Path]:
    """The pins of running backups (a pin left by a process that died is removed)."""
    found = []
    folder = pins_dir()
    if not folder.is_dir():
        return []
    for path in folder.glob("backup-*.json"):
        try:
            data = json.loads(path.read_text())
            age = time.time() - path.stat().st_mtime
        except (OSError, ValueError):
            continue  # being written or removed
        if data.get("host") != socket.gethostname():
            if age < FOREIGN_PIN_HOURS * 3600:
                found.append(path)
            continue
        try:
            os.kill(int(data["pid"]), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)  # its backup died
            continue
        except (PermissionError, KeyError, ValueError, TypeError):
            pass
        found.append(path)
    return found
