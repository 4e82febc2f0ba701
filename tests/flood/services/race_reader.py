"""One gauge report in the alert race: waits for the start signal, posts, prints the outcome.

Run as ``python race_reader.py <device id> <ISO time> <value> <go file>`` with
SHEQU_DATABASE_URL pointing at the test database.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    import django

    django.setup()
    from datetime import datetime

    from django.db import connection

    from shequ.flood.models import Device
    from shequ.flood.services import ingest
    from shequ.flood.services.ingest import ReadingRow

    device_id, at, value, go = sys.argv[1:5]
    device = Device.objects.select_related("point").get(pk=device_id)
    row = ReadingRow(time=datetime.fromisoformat(at), value=float(value))
    connection.ensure_connection()
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.001)
    done = ingest.ingest(device, [row])
    print(f"stored={done.stored} changed={done.alerts_changed}", flush=True)


if __name__ == "__main__":
    main()
