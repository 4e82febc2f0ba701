"""The `shequ` command: serve, worker, demo, createadmin, backup, restore, manage."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import getpass
import os
import signal
import socket
import subprocess
import sys
from urllib.parse import urlsplit

from shequ import config


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command

    from shequ.core.services.workers import migration_lock

    with migration_lock():  # several processes starting at once: one migrates
        call_command("migrate", interactive=False, verbosity=0)


def _in_child(argv: list[str]) -> int:
    """Run `shequ ARGV` in a fresh child process and return its exit code.

    Work that starts deltalake, DuckDB or database connections (migrations, building the demo)
    runs there, so the process that later forks web workers has touched none of them.
    """
    return subprocess.run([sys.executable, "-m", "shequ.cli", *argv], check=False).returncode


def serve(args: argparse.Namespace) -> int:
    if rc := _in_child(["manage", "migrate", "--no-input", "--verbosity", "0"]):
        return rc
    from shequ import forksafety

    if held := forksafety.held_now():
        print(f"error: refusing to fork web workers from a process holding {held}", file=sys.stderr)
        return 1
    from shequ.core.observability import metricsdir

    # Before the fork: each worker writes its metrics there, a scrape sums them all.
    metricsdir.prepare(clean=True)
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    print(f"shequ serving on http://{args.host}:{args.port}/", flush=True)
    Granian(
        "shequ.wsgi:application",
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers,
        blocking_threads=args.threads,
        log_level=LogLevels.info,
        log_access=args.access_log,
        respawn_failed_workers=True,
        log_dictconfig=_granian_json_logs() if config.log_format() == "json" else None,
    ).serve()
    return 0


def _granian_json_logs() -> dict[str, object]:
    """granian's own lines (start, workers, access log) as JSON objects like the app's."""
    json_formatter = {"()": "shequ.core.observability.logs.JsonFormatter"}
    return {"formatters": {"generic": json_formatter, "access": json_formatter}}


def worker(args: argparse.Namespace) -> int:
    _setup()
    from shequ import forksafety

    forksafety.assert_fresh("This worker")
    _migrate()
    from django.core.management import call_command

    from shequ.core.services.workers import Heartbeat

    heartbeat = Heartbeat()  # `shequ doctor` reads it
    heartbeat.start()
    try:
        call_command("run_huey", workers=args.workers)
    finally:
        heartbeat.stop()
    return 0


DEMO_MQTT_URL = "mqtt://127.0.0.1:1883"


def _flood_ingester() -> subprocess.Popen[bytes] | None:
    """`shequ flood ingest` beside the demo's server, when an MQTT broker answers."""
    url = config.env("MQTT_URL") or DEMO_MQTT_URL
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "", parts.port or 1883), timeout=2).close()
    except OSError:
        print(
            f"flood readings over MQTT are off: no broker answers at {parts.hostname}:"
            f"{parts.port or 1883} (start Mosquitto, or set SHEQU_MQTT_URL); HTTP works.",
            flush=True,
        )
        return None
    env = dict(os.environ, SHEQU_MQTT_URL=url)
    # The shared subscription's group; the broker keeps the session of this client id.
    group = config.env("FLOOD_MQTT_GROUP") or "shequ-flood"
    argv = ["flood", "ingest", "--group", group, "--client-id", f"{group}-{socket.gethostname()}"]
    return subprocess.Popen(
        [sys.executable, "-m", "shequ.cli", *argv], env=env, preexec_fn=_die_with_parent
    )


def _die_with_parent() -> None:
    """In the child: be sent SIGTERM when the demo's process ends, however it ends (Linux)."""
    with contextlib.suppress(OSError, AttributeError):  # elsewhere the demo's `finally` does
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _typhoon_replay(
    args: argparse.Namespace, ingester: subprocess.Popen[bytes] | None
) -> subprocess.Popen[bytes]:
    """The typhoon replayed live beside the demo's server, one 5-minute step a second; its
    readings published to the broker for the demo's ingester when there is one."""
    from shequ.flood.cli import typhoon_argv

    pace = 1.0 if args.pace is None else args.pace
    if args.via == "auto":
        args.via = "mqtt" if ingester is not None else "direct"
    env = dict(os.environ, SHEQU_MQTT_URL=config.env("MQTT_URL") or DEMO_MQTT_URL)
    return subprocess.Popen(
        [sys.executable, "-m", "shequ.cli", *typhoon_argv(args, pace)],
        env=env,
        preexec_fn=_die_with_parent,
    )


def _scale(text: str) -> str:
    from shequ.demo.scale import parse_scale

    try:
        parse_scale(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def demo(args: argparse.Namespace) -> int:
    if not args.no_serve:
        # The typhoon's hours are set aside before the demo's quiet week is written.
        reserve = ["flood", "typhoon", "--reserve", "--seed", str(args.seed)]
        if args.scenario and (rc := _in_child(reserve)):
            return rc
        # Build in a child (it fills the hub with deltalake and DuckDB), then serve from here.
        build = ["demo", "--no-serve", "--scale", args.scale, "--scale-days", str(args.scale_days)]
        build += ["--host", args.host, "--port", str(args.port)]
        if rc := _in_child(build):
            return rc
        # The ingester's and the replay's counts join the web workers' (docs/operations.md).
        from shequ.core.observability import metricsdir

        metricsdir.prepare(clean=True)
        # Gauge readings published to the broker are stored as they arrive (docs/flood.md).
        ingester = _flood_ingester()
        children = [p for p in [ingester] if p is not None]
        if args.scenario:
            children.append(_typhoon_replay(args, ingester))
        try:
            return serve(args)
        finally:
            for child in children:
                child.terminate()
                child.wait(timeout=30)
    _setup()
    _migrate()
    from shequ.demo.build import build_demo, print_logins
    from shequ.demo.scale import parse_scale

    if args.scenario:
        from shequ.flood.typhoon import replay

        replay.reserve(args.seed)
    multiplier, records = parse_scale(args.scale)
    logins = build_demo(multiplier)
    if records:
        from shequ.demo.scale import load_demo_scale, report

        print(report(load_demo_scale(records, args.scale_days, progress=print)), flush=True)
    print_logins(logins, f"http://{args.host}:{args.port}/")
    if args.scenario:
        from shequ.flood.cli import typhoon

        args.reserve = False
        if args.via == "auto":
            args.via = "direct"  # no ingester runs beside --no-serve
        return typhoon(args)
    return 0


def createadmin(args: argparse.Namespace) -> int:
    _setup()
    _migrate()
    from shequ.core.services.accounts import create_admin

    password = args.password or config.env("ADMIN_PASSWORD")
    if not password:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            print("Passwords differ.", file=sys.stderr)
            return 1
    try:
        create_admin(args.username, password, email=args.email)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Platform administrator {args.username!r} is ready.")
    return 0


def hub(args: argparse.Namespace) -> int:
    _setup()
    _migrate()
    from shequ.hub.cli import main as hub_main

    return hub_main(args)


def timebank(args: argparse.Namespace) -> int:
    _setup()
    _migrate()
    from shequ.timebank.cli import main as timebank_main

    return timebank_main(args)


def flood(args: argparse.Namespace) -> int:
    if args.flood_command == "ingest":
        from shequ.core.observability import metricsdir

        metricsdir.prepare()  # its counts beside the web workers' (docs/operations.md)
    _setup()
    _migrate()
    from shequ.flood.cli import main as flood_main

    return flood_main(args)


def dashboard(args: argparse.Namespace) -> int:
    _setup()
    _migrate()
    from shequ.dashboard.cli import main as dashboard_main

    return dashboard_main(args)


def backup(args: argparse.Namespace) -> int:
    _setup()  # no migration: a backup writes nothing to the installation
    from shequ.backup.cli import backup as backup_main

    return backup_main(args)


def restore(args: argparse.Namespace) -> int:
    _setup()  # no migration: the restored database brings its own
    from shequ.backup.cli import restore as restore_main

    return restore_main(args)


def doctor(args: argparse.Namespace) -> int:
    from shequ import doctor as checks

    return checks.main()


def manage(argv: list[str]) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    if argv[:1] != ["migrate"]:
        execute_from_command_line(["shequ manage", *argv])
        return 0
    from shequ.core.services.workers import migration_lock

    with migration_lock():  # `shequ serve` migrates through here
        execute_from_command_line(["shequ manage", *argv])
    return 0


def _serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=config.env("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=config.envint("PORT", 8000))
    p.add_argument(
        "--workers",
        type=int,
        default=config.envint("WEB_WORKERS", min(os.cpu_count() or 1, 4)),
        help="web server processes (default: one per core, at most 4)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=config.envint("WEB_THREADS", 2),
        help="request threads per process (default 2; see docs/architecture.md)",
    )
    p.add_argument("--access-log", action="store_true")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="shequ", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="apply migrations and serve the web app and API")
    _serve_options(p)
    p.set_defaults(func=serve)
    p = sub.add_parser("worker", help="run background and periodic jobs")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=worker)
    p = sub.add_parser("doctor", help="check the configuration, database, services and workers")
    p.set_defaults(func=doctor)
    p = sub.add_parser("demo", help="create or refresh the demo community, then serve it")
    _serve_options(p)
    p.add_argument("--no-serve", action="store_true", help="build the demo data only")
    p.add_argument(
        "--scale", default="1", type=_scale,
        help="multiply the generated hub rows (2, 3 …), or generate this many records in four "
        "scale datasets (3M, 100M), reporting ingestion time and disk use",
    )  # fmt: skip
    p.add_argument(
        "--scale-days", type=int, default=90,
        help="days the scale datasets cover, one append a day (with --scale 100M)",
    )  # fmt: skip
    p.add_argument(
        "--scenario", choices=["typhoon"], default=None,
        help="then replay a scenario: typhoon (rain, the culvert floods, alerts, tasks)",
    )  # fmt: skip
    from shequ.flood.cli import typhoon_options

    typhoon_options(p)
    p.set_defaults(func=demo)
    p = sub.add_parser("createadmin", help="create a platform administrator")
    p.add_argument("username")
    p.add_argument("--email", default="")
    p.add_argument("--password", default="", help="default: $SHEQU_ADMIN_PASSWORD or a prompt")
    p.set_defaults(func=createadmin)
    sub.add_parser("manage", help="any Django management command", add_help=False)
    from shequ.backup import cli as backup_cli

    backup_cli.add_parsers(sub)
    sub.choices["backup"].set_defaults(func=backup)
    sub.choices["restore"].set_defaults(func=restore)
    from shequ.hub import cli as hub_cli

    hub_cli.add_parser(sub)
    sub.choices["hub"].set_defaults(func=hub)
    from shequ.timebank import cli as timebank_cli

    timebank_cli.add_parser(sub)
    sub.choices["timebank"].set_defaults(func=timebank)
    from shequ.flood import cli as flood_cli

    flood_cli.add_parser(sub)
    sub.choices["flood"].set_defaults(func=flood)
    from shequ.dashboard import cli as dashboard_cli

    dashboard_cli.add_parser(sub)
    sub.choices["dashboard"].set_defaults(func=dashboard)
    return root


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["manage"]:
            return manage(argv[1:])
        args = parser().parse_args(argv)
        return int(args.func(args))
    except config.ConfigError as exc:
        # A configuration mistake is the operator's to fix: what and how, not a traceback.
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
