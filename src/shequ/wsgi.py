"""The WSGI application `shequ serve` runs (every view is synchronous Django).

Under ASGI each synchronous request hops to a thread made for it, which cost about 4 ms a
request here (health check: 186 req/s under ASGI, 653 under WSGI on the same server).
Devices' hot paths take a lane of their own, without the browsers' middleware
(``core.devicelane``).
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from shequ import forksafety
from shequ.core.devicelane import DeviceHandler, lanes

forksafety.assert_fresh("This web worker")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
_full = get_wsgi_application()  # sets Django up
application = lanes(_full, DeviceHandler(), settings.DEVICE_PATHS)
