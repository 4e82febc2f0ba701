"""Benchmark: the time bank's orders under concurrency, part (a) of issue 18.

    python bench/timebank.py [--quick] [--database postgres://...]

(a) N help requests (10,000; --quick: 400) are posted for an elder; 8 client threads, each on
    its own database connection, walk the same requests in different orders and try to take
    each one; whoever gets it checks in, checks out and the requester side confirms it (the
    hours move from the community pool). Every request is raced by at least two clients.
    Prints orders served per second, how many takes were refused because another client had
    the slot, and then the invariants: zero requests with more than one active order, zero
    requests left untaken, and ``ledger.check()`` clean. Baseline, same run, same database:
    the same 8 threads inserting one plain row per transaction (``Event``), rows/s.

Needs PostgreSQL for a real race (``--database`` or ``$SHEQU_BENCH_DATABASE_URL``; a database
``shequ_bench_timebank`` is created there and dropped after). Without one it runs on SQLite
in a throwaway folder with one client, which measures the services alone, not a race.
(b) matching 10,000 requests for 1,000 volunteers is not written yet.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from support.common import setup_django

DB_NAME = "shequ_bench_timebank"


def admin_url(url: str) -> tuple[str, str]:
    """The server's maintenance database URL, and the bench database's URL on the same server."""
    base = url.rsplit("/", 1)[0]
    return f"{base}/postgres", f"{base}/{DB_NAME}"


def pg_database(url: str, create: bool) -> str:
    import psycopg

    admin, bench = admin_url(url)
    with psycopg.connect(admin.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        if create:
            conn.execute(f"CREATE DATABASE {DB_NAME}")
    return bench


def run_threads(jobs: list[Callable[[], Any]]) -> float:
    from django.db import connection

    start = threading.Barrier(len(jobs) + 1)
    errors: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        try:
            start.wait()
            job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - began


def world(n: int, clients: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from shequ.core import pii
    from shequ.core.models import Membership, Person, Region, Role
    from shequ.demo.build import build_regions
    from shequ.timebank.services import ledger, members, notices, requests

    build_regions()
    region = Region.objects.get(code="990102001001")
    users = get_user_model().objects

    def user(name: str, role: str) -> Any:
        made = users.create_user(username=name)
        Membership.objects.create(user=made, region=region, role=role)
        return made

    def person(i: int) -> Person:
        return Person.objects.create(
            region=region, name_enc=pii.encrypt(f"成员{i}"), name_masked=pii.mask_name(f"成员{i}")
        )

    staff = user("staff", Role.COMMUNITY_STAFF)
    elder = members.register(staff, person(0), requester=True)
    volunteers = [
        members.register(staff, person(i + 1), user=user(f"v{i}", Role.VOLUNTEER), volunteer=True)
        for i in range(clients)
    ]
    ledger.transfer(ledger.issue_of(region), ledger.pool_of(region), n * 200, kind="seed")
    now = timezone.now()
    with notices.muted():
        reqs = [
            requests.post(
                staff,
                elder,
                category="meals",
                description="送一份热饭",
                starts_at=now + timedelta(minutes=30),
                ends_at=now + timedelta(hours=6),
                estimated_minutes=60,
                now=now,
            ).pk
            for _ in range(n)
        ]
    return {"staff": staff, "volunteers": volunteers, "requests": reqs, "now": now}


def serve_all(w: dict[str, Any], clients: int) -> dict[str, Any]:
    from shequ.timebank.models import HelpRequest
    from shequ.timebank.services import notices, orders
    from shequ.timebank.services.errors import Conflict

    served = [0] * clients
    refused = [0] * clients
    reqs = w["requests"]
    start = w["now"] + timedelta(minutes=30)

    def client(i: int) -> Callable[[], None]:
        volunteer = w["volunteers"][i].user
        # Client i starts at a different place and walks forwards: neighbours overlap, so
        # every request is raced by at least two clients.
        step = max(1, len(reqs) // clients)
        mine = reqs[i * step :] + reqs[: i * step]

        def run() -> None:
            with notices.muted():
                for pk in mine:
                    req = HelpRequest.objects.select_related("region").get(pk=pk)
                    if req.status != HelpRequest.Status.OPEN:
                        continue
                    try:
                        order = orders.take(volunteer, req, now=w["now"])
                    except Conflict:
                        refused[i] += 1
                        continue
                    orders.check_in(volunteer, order, now=start)
                    orders.check_out(volunteer, order, now=start + timedelta(minutes=45))
                    orders.confirm(w["staff"], order, now=start + timedelta(hours=1))
                    served[i] += 1

        return run

    cpu = time.process_time()
    seconds = run_threads([client(i) for i in range(clients)])
    cpu = time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "served": sum(served), "refused": sum(refused)}


def baseline(n: int, clients: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    from shequ.timebank.models import Event, HelpRequest

    req = HelpRequest.objects.first()
    per = n // clients

    def client() -> None:
        for _ in range(per):
            with transaction.atomic():
                Event.objects.create(request=req, action="bench", to_status="x", at=timezone.now())

    return per * clients / run_threads([client for _ in range(clients)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database", default=os.environ.get("SHEQU_BENCH_DATABASE_URL", ""))
    args = parser.parse_args()
    n = 400 if args.quick else 10_000
    postgres = args.database.split(":")[0] in ("postgres", "postgresql")
    clients = 8 if postgres else 1
    with tempfile.TemporaryDirectory(prefix="shequ-bench-timebank-") as tmp:
        if postgres:
            os.environ["SHEQU_DATABASE_URL"] = pg_database(args.database, create=True)
        else:
            os.environ.pop("SHEQU_DATABASE_URL", None)  # the throwaway folder's SQLite
        setup_django(Path(tmp))
        try:
            t0 = time.perf_counter()
            w = world(n, clients)
            built = time.perf_counter() - t0
            figures = serve_all(w, clients)
            rows_per_s = baseline(n * 4, clients)
            report(n, clients, postgres, built, figures, rows_per_s)
        finally:
            from django.db import connections

            connections.close_all()
            if postgres:
                pg_database(args.database, create=False)
    return 0


def report(
    n: int, clients: int, postgres: bool, built: float, f: dict[str, Any], rows_per_s: float
) -> None:
    from django.db.models import Count

    from shequ.timebank.models import ACTIVE_ORDER, HelpRequest, Order
    from shequ.timebank.services.ledger import check

    doubled = (
        Order.objects.filter(status__in=ACTIVE_ORDER)
        .values("request_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    untaken = HelpRequest.objects.filter(status=HelpRequest.Status.OPEN).count()
    ledger = check()
    rate = f["served"] / f["seconds"]
    print(f"(a) {'PostgreSQL' if postgres else 'SQLite'}, {clients} clients, {n} requests")
    print(f"    posted {n} requests in {built:.1f} s (set-up, not timed below)")
    print(
        f"    served {f['served']} in {f['seconds']:.1f} s: {rate:.0f} orders/s "
        f"(take + check-in + check-out + confirm); {f['refused']} takes lost a race"
    )
    print(
        f"    CPU of the clients' process: {1000 * f['cpu'] / max(1, f['served']):.0f} ms an order "
        "(the figure a loaded machine moves least)"
    )
    print(f"    baseline: {rows_per_s:.0f} plain one-row transactions/s on the same database")
    print(
        f"    invariants: {doubled} requests with two active orders, {untaken} left untaken, "
        f"ledger {'clean' if ledger.ok else ledger.problems[:3]}"
    )


if __name__ == "__main__":
    sys.exit(main())
