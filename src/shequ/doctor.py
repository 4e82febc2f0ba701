"""`shequ doctor`: is this installation fit to run? One line per check: OK, WARN or FAIL, with
what is wrong and how to fix it; the exit code is 1 when a check fails.

Checks: the configuration (production settings when ``SHEQU_ENV=production``), the database
and its migrations, the var and data folders (writable, free space), the hub's Delta tables
(deltalake, DuckDB), the MQTT broker and Redis when configured, the workers' heartbeats and
the flood ingester. A check that cannot run fails with its reason; none stops the others.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

OK, WARN, FAIL = "OK", "WARN", "FAIL"
WORKER_FRESH = timedelta(minutes=3)
FAIL_FREE_BYTES = 1 << 30  # 1 GiB
WARN_FREE_SHARE = 0.10
TIMEOUT = 3.0


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name}: {self.detail}"


def configuration() -> Check:
    from django.conf import settings

    problems: list[str] = []
    if not settings.PRODUCTION:
        return Check(
            "configuration",
            OK,
            f"SHEQU_ENV={settings.SHEQU_ENV}: production checks skipped "
            "(set SHEQU_ENV=production on a server)",
        )
    from django.db import connection

    if connection.vendor == "sqlite":
        problems.append(
            "the database is SQLite: several servers or workers need PostgreSQL "
            "(set SHEQU_DATABASE_URL=postgresql://...)"
        )
    if not os.environ.get("SHEQU_PII_HMAC_KEY"):
        problems.append(
            "SHEQU_PII_HMAC_KEY is not set: the look-up key lives only in "
            f"{settings.VAR_DIR}/pii_hmac_key (set it, and keep it with the backups)"
        )
    local = {"127.0.0.1", "localhost", "[::1]"}
    if set(settings.ALLOWED_HOSTS) <= local:
        problems.append("SHEQU_ALLOWED_HOSTS names only this machine: set the site's host name")
    if problems:
        return Check("configuration", WARN, "; ".join(problems))
    return Check("configuration", OK, "production settings")


def _where(settings_dict: dict[str, object]) -> str:
    """The database's engine, host and name; never its password."""
    engine = str(settings_dict["ENGINE"]).rsplit(".", 1)[-1]
    host = f"{settings_dict.get('HOST')}:{settings_dict.get('PORT') or ''}/"
    return f"{engine} {host if settings_dict.get('HOST') else ''}{settings_dict['NAME']}"


def database() -> Check:
    from django.db import connection

    options = connection.settings_dict.setdefault("OPTIONS", {})
    if connection.vendor == "postgresql":
        options.setdefault("connect_timeout", int(TIMEOUT))
    where = _where(connection.settings_dict)
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return Check(
            "database",
            FAIL,
            f"{where} unreachable: {str(exc).strip().splitlines()[0]} "
            "(is the server running? check SHEQU_DATABASE_URL)",
        )
    return Check("database", OK, f"{where} answers")


def migrations() -> Check:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        first = plan[0][0]
        return Check(
            "migrations",
            FAIL,
            f"{len(plan)} not applied (first: {first.app_label}.{first.name}): "
            "run `shequ manage migrate`",
        )
    return Check("migrations", OK, "all applied")


def folder(
    name: str,
    path: Path,
    fail_below: int = FAIL_FREE_BYTES,
    warn_share: float = WARN_FREE_SHARE,
) -> Check:
    """PATH is a writable folder with room to spare."""
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(name, FAIL, f"{path} is not writable: {exc.strerror or exc} (fix its owner)")
    usage = shutil.disk_usage(path)
    free = f"{usage.free / (1 << 30):.1f} GiB free of {usage.total / (1 << 30):.1f} GiB"
    if usage.free < fail_below:
        return Check(name, FAIL, f"{path}: only {free}: free space or move it")
    if usage.free < warn_share * usage.total:
        return Check(name, WARN, f"{path}: {free}: less than {warn_share:.0%} left")
    return Check(name, OK, f"{path} writable, {free}")


def var_dir() -> Check:
    from django.conf import settings

    return folder("var dir", Path(settings.VAR_DIR))


def data_dir() -> Check:
    from django.conf import settings

    return folder("data dir", Path(settings.DATA_DIR))


def hub_tables() -> Check:
    """Every Delta table under the hub opens (deltalake), and DuckDB reads one of them."""
    import duckdb
    from deltalake import DeltaTable

    from shequ.hub.storage import hub_dir

    root = hub_dir() / "tables"
    paths = (
        sorted(p for p in root.glob("*") if (p / "_delta_log").is_dir()) if root.is_dir() else []
    )
    if not paths:
        return Check("hub", OK, f"no Delta tables yet under {root}")
    broken: list[str] = []
    newest: tuple[float, DeltaTable] | None = None
    for path in paths:
        try:
            table = DeltaTable(str(path))
            table.version()
        except Exception as exc:
            broken.append(f"{path.name} ({str(exc).splitlines()[0][:120]})")
            continue
        stamp = (path / "_delta_log").stat().st_mtime
        if newest is None or stamp > newest[0]:
            newest = (stamp, table)
    if broken:
        return Check(
            "hub",
            FAIL,
            f"{len(broken)} of {len(paths)} tables unreadable: {', '.join(broken[:3])} "
            "(restore the folder from a backup)",
        )
    assert newest is not None
    try:
        dataset = newest[1].to_pyarrow_dataset()  # noqa: F841 (read by DuckDB below)
        with duckdb.connect() as con:
            con.execute("SELECT * FROM dataset LIMIT 1").fetchall()
    except Exception as exc:
        return Check("hub", FAIL, f"DuckDB cannot read the newest table: {exc}")
    return Check("hub", OK, f"{len(paths)} Delta tables open; DuckDB reads them")


def broker() -> Check:
    from django.conf import settings

    from shequ.core import mqtt

    if not settings.MQTT_URL:
        return Check("mqtt", OK, "not configured (SHEQU_MQTT_URL unset): readings over HTTP only")
    try:
        mqtt.reachable(settings.MQTT_URL, timeout=TIMEOUT)
    except mqtt.MqttError as exc:
        return Check("mqtt", FAIL, f"{exc} (start Mosquitto, or fix SHEQU_MQTT_URL)")
    return Check("mqtt", OK, "the broker accepts a connection")


def redis_queue() -> Check:
    from django.conf import settings

    if not settings.REDIS_URL:
        return Check(
            "redis",
            OK,
            f"not configured: the job queue is {settings.VAR_DIR}/huey.sqlite3 "
            "(workers of this machine only; set SHEQU_REDIS_URL to share it)",
        )
    import redis

    try:
        redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
        ).ping()
    except redis.RedisError as exc:
        return Check("redis", FAIL, f"{exc} (start Redis, or fix SHEQU_REDIS_URL)")
    return Check("redis", OK, "answers")


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


def worker_heartbeat() -> Check:
    from django.utils import timezone

    from shequ.core.models import WorkerHeartbeat
    from shequ.core.services.workers import alive

    now = timezone.now()
    seen = alive(WORKER_FRESH, now)
    if seen:
        names = ", ".join(f"{w.hostname}:{w.pid} ({_ago(now - w.last_seen)})" for w in seen)
        return Check("worker heartbeat", OK, f"{len(seen)} alive: {names}")
    last = WorkerHeartbeat.objects.order_by("-last_seen").first()
    if last is None:
        before = "none has ever run on this database"
    elif last.stopped_at is not None:
        before = f"the last, {last.hostname}:{last.pid}, stopped {_ago(now - last.stopped_at)}"
    else:
        before = f"the last, {last.hostname}:{last.pid}, was seen {_ago(now - last.last_seen)}"
    return Check(
        "worker heartbeat",
        FAIL,
        f"no `shequ worker` seen in {int(WORKER_FRESH.total_seconds()) // 60} minutes ({before}): "
        "periodic jobs, alerts and ingestion runs wait; start `shequ worker`",
    )


def flood_ingester() -> Check:
    from django.conf import settings
    from django.db.models import Max

    from shequ.core.mqtt import MqttError
    from shequ.flood.models import LatestReading
    from shequ.flood.services.mqtt import ingesters_online
    from shequ.flood.typhoon.broker import group as ingest_group

    if not settings.MQTT_URL:
        return Check("flood ingester", OK, "not needed: no MQTT broker configured")
    newest = LatestReading.objects.aggregate(at=Max("received_at"))["at"]
    from django.utils import timezone

    reading = f"newest reading {_ago(timezone.now() - newest)}" if newest else "no reading yet"
    group = ingest_group()
    try:
        online = ingesters_online(group, url=settings.MQTT_URL, wait=1.0)
    except MqttError as exc:
        return Check("flood ingester", WARN, f"cannot tell: {exc}; {reading}")
    if not online:
        return Check(
            "flood ingester",
            WARN,
            f"none subscribed for group {group} on this database ({reading}): readings "
            "published to the broker are not stored; start `shequ flood ingest`",
        )
    return Check("flood ingester", OK, f"{len(online)} subscribed for group {group}; {reading}")


CHECKS: list[Callable[[], Check]] = [
    configuration,
    database,
    migrations,
    var_dir,
    data_dir,
    hub_tables,
    broker,
    redis_queue,
    worker_heartbeat,
    flood_ingester,
]


def run(checks: list[Callable[[], Check]] | None = None) -> list[Check]:
    """Each check's result; one that raises fails with its error, the others still run."""
    results: list[Check] = []
    for check in checks or CHECKS:
        try:
            results.append(check())
        except Exception as exc:
            name = check.__name__.replace("_", " ")
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            results.append(Check(name, FAIL, f"could not check: {reason}"))
    return results


def main() -> int:
    """Set Django up (a configuration error is the first failure), run the checks, print."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    from shequ.config import ConfigError

    try:
        django.setup()
    except (ConfigError, ImproperlyConfigured) as exc:
        print(Check("configuration", FAIL, f"{exc}; other checks skipped").line())
        return 1
    results = run()
    for result in results:
        print(result.line(), flush=True)
    failed = sum(r.status == FAIL for r in results)
    warned = sum(r.status == WARN for r in results)
    print(f"{len(results)} checks: {failed} failed, {warned} warnings", file=sys.stderr)
    return 1 if failed else 0
