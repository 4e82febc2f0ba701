"""One buyer in the capacity race: waits for the start signal, buys, prints the outcome.

Run as ``python race_buyer.py <user id> <application id> <product id> <go file>`` with
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
    from django.contrib.auth import get_user_model
    from django.db import connection

    from shequ.parking.models import Application, Product
    from shequ.parking.services import passes
    from shequ.parking.services.errors import SoldOut

    user_id, app_id, product_id, go = sys.argv[1:5]
    user = get_user_model().objects.get(pk=user_id)
    app = Application.objects.get(pk=app_id)
    product = Product.objects.get(pk=product_id)
    connection.ensure_connection()
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.001)
    try:
        passes.buy(user, app, product)
        print("sold", flush=True)
    except SoldOut:
        print("sold_out", flush=True)


if __name__ == "__main__":
    main()
