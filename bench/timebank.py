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

(b) Matching: 10,000 open requests of one community ranked for each of 1,000 volunteers by
    ``services.matching`` (skill, weekly availability overlap, reach, nearness, shared
    languages, urgency, start), the volunteers' profiles and the requests varied at random
    (seeded). Prints the time to read the open requests into the ranking's arrays against one
    plain query of the same columns, and the time to rank them for every volunteer against a
    plain sort (by start) of the same rows for every volunteer; peak RSS after each. The rows
    are written with bulk inserts (set-up, not timed).

Needs PostgreSQL for a real race (``--database`` or ``$SHEQU_BENCH_DATABASE_URL``; a database
``shequ_bench_timebank`` is created there and dropped after). Without one it runs on SQLite
in a throwaway folder with one client, which measures the services alone, not a race.
``--part a`` or ``--part b`` runs one part; ``--quick``: (a) with 200 requests, (b) in full.
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


MATCH_REGION = "990102001002"  # 和园社区: away from part (a)'s community


def matching_world(n_requests: int, n_volunteers: int) -> Any:
    """Volunteers with varied profiles and open requests, bulk-inserted (set-up only)."""
    import random

    from django.utils import timezone

    from shequ.core import pii
    from shequ.core.models import Person, Region
    from shequ.demo.build import build_regions
    from shequ.timebank.models import Account, Category, HelpRequest, Member, Reach

    if not Region.objects.filter(code=MATCH_REGION).exists():
        build_regions()
    region = Region.objects.get(code=MATCH_REGION)
    rng = random.Random(18)
    estates = [f"园{i}" for i in range(20)]
    languages = ["普通话", "上海话", "粤语", "闽南话", "English", "四川话"]
    categories = Category.values
    now = timezone.now()
    n_people = n_volunteers + 200  # 200 elders post the requests
    people = Person.objects.bulk_create(
        Person(region=region, name_enc=pii.encrypt(f"人{i}"), name_masked=f"人{i}"[:1] + "*")
        for i in range(n_people)
    )
    accounts = Account.objects.bulk_create(
        Account(region=region, kind="member", name=f"a{i}", lower_limit=0) for i in range(n_people)
    )

    def week() -> dict[str, list[str]]:
        if rng.random() < 0.2:
            return {}  # not stated: available any time
        days = rng.sample(range(7), rng.randint(1, 5))
        out = {}
        for d in days:
            h = rng.randint(7, 19)
            out[str(d)] = [f"{h:02d}:00-{min(24, h + rng.randint(2, 5)):02d}:00"]
        return out

    made = Member.objects.bulk_create(
        Member(
            region=region,
            person=people[i],
            account=accounts[i],
            is_volunteer=i < n_volunteers,
            skills=rng.sample(categories, rng.randint(1, 4)) if i < n_volunteers else [],
            languages=rng.sample(languages, rng.randint(1, 3)),
            availability=week() if i < n_volunteers else {},
            estate=rng.choice(estates),
            building=f"{rng.randint(1, 10)}幢",
            reach=rng.choice(Reach.values),
            joined=now,
        )
        for i in range(n_people)
    )
    volunteers, elders = made[:n_volunteers], made[n_volunteers:]
    rows = []
    for _ in range(n_requests):
        elder = rng.choice(elders)
        starts = now + timedelta(minutes=rng.randint(60, 13 * 24 * 60))
        rows.append(
            HelpRequest(
                region=region,
                beneficiary=elder,
                category=rng.choice(categories),
                description="bench",
                estate=elder.estate,
                building=elder.building,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=rng.choice([60, 120, 180])),
                estimated_minutes=60,
                urgency="urgent" if rng.random() < 0.1 else "normal",
                created=now,
            )
        )
    HelpRequest.objects.bulk_create(rows, batch_size=2000)
    return region, volunteers


def bench_matching(n_requests: int, n_volunteers: int) -> None:
    import numpy as np

    from shequ.timebank.models import HelpRequest
    from shequ.timebank.services import matching
    from support.common import peak_rss_mib

    t0 = time.perf_counter()
    region, volunteers = matching_world(n_requests, n_volunteers)
    built = time.perf_counter() - t0
    print(f"(b) matching, {n_requests} open requests x {n_volunteers} volunteers")
    print(f"    set-up: {built:.1f} s (bulk inserts, not timed below)")
    t0 = time.perf_counter()
    plain = list(
        HelpRequest.objects.filter(region=region, status="open").values_list(
            "id", "beneficiary_id", "category", "estate", "building", "urgency", "starts_at"
        )
    )
    plain_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pool = matching.OpenRequests.read(region)
    read_s = time.perf_counter() - t0
    assert len(pool) == len(plain) == n_requests
    print(
        f"    read: {read_s * 1000:.0f} ms into the ranking's arrays; baseline one plain query "
        f"of the same rows {plain_s * 1000:.0f} ms (x{read_s / plain_s:.1f}); "
        f"peak RSS {peak_rss_mib():.0f} MiB"
    )
    t0 = time.perf_counter()
    fitting = 0
    for v in volunteers:
        fitting += matching.requests_for(v, pool).fitting
    rank_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in volunteers:
        np.argsort(pool.starts, kind="stable").tolist()
    sort_s = time.perf_counter() - t0
    print(
        f"    rank: {rank_s:.2f} s for all {n_volunteers} volunteers "
        f"({rank_s / n_volunteers * 1000:.1f} ms each, {fitting / n_volunteers:.0f} requests "
        f"fit one on average); baseline a plain sort by start for each {sort_s:.2f} s "
        f"(x{rank_s / sort_s:.1f}); peak RSS {peak_rss_mib():.0f} MiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--part", choices=("a", "b", "both"), default="both")
    parser.add_argument("--database", default=os.environ.get("SHEQU_BENCH_DATABASE_URL", ""))
    args = parser.parse_args()
    n = 200 if args.quick else 10_000
    postgres = args.database.split(":")[0] in ("postgres", "postgresql")
    clients = 8 if postgres else 1
    with tempfile.TemporaryDirectory(prefix="shequ-bench-timebank-") as tmp:
        if postgres:
            os.environ["SHEQU_DATABASE_URL"] = pg_database(args.database, create=True)
        else:
            os.environ.pop("SHEQU_DATABASE_URL", None)  # the throwaway folder's SQLite
        setup_django(Path(tmp))
        try:
            if args.part in ("a", "both"):
                t0 = time.perf_counter()
                w = world(n, clients)
                built = time.perf_counter() - t0
                figures = serve_all(w, clients)
                rows_per_s = baseline(n * 4, clients)
                report(n, clients, postgres, built, figures, rows_per_s)
            if args.part in ("b", "both"):
                bench_matching(10_000, 1_000)
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
