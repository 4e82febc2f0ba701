"""The WSGI application `shequ serve` runs (every view is synchronous Django).

Under ASGI each synchronous request hops to a thread made for it, which cost about 4 ms a
request here (health check: 186 req/s under ASGI, 653 under WSGI on the same server).

The server's request threads take turns at Python's interpreter lock. By default a thread
that wants it back (say, one returning from a SQLite statement while it holds the gate
events' writer queue) may wait up to 5 ms for another thread to let go; every writer queued
behind it waits too. ``SHEQU_GIL_SWITCH_MS`` (default 1) shortens that turn: on 2 cores gate
events went from about 1,040 to about 1,190 per second, the health check from 3,390 to 3,810
(`bench/parking.py`, two threads per process).
"""

import os
import sys

from django.core.wsgi import get_wsgi_application

from shequ.config import envint

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
sys.setswitchinterval(max(envint("GIL_SWITCH_MS", 1), 1) / 1000)
application = get_wsgi_application()
