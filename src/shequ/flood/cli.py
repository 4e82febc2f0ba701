"""``shequ flood …``: the MQTT ingester of gauge readings, the demo's typhoon replay."""

from __future__ import annotations

import argparse
import gc
import signal
import socket
import threading
from typing import Any

DAY = 24 * 3600


def add_parser(sub: Any) -> None:
    flood = sub.add_parser("flood", help="flood watch: the MQTT readings ingester, the typhoon")
    flood_sub = flood.add_subparsers(dest="flood_command", required=True)
    p = flood_sub.add_parser(
        "ingest", help="consume gauge readings from MQTT (SHEQU_MQTT_URL) until stopped"
    )
    p.add_argument(
        "--client-id",
        default=f"shequ-flood-{socket.gethostname()}",
        help="keep it stable across restarts: the broker holds this session's messages",
    )
    p.add_argument("--group", default="shequ-flood", help="MQTT 5 shared subscription group")
    p.add_argument("--session-expiry", type=int, default=DAY, help="seconds the broker waits")
    p.add_argument("--url", default=None, help="broker URL (default $SHEQU_MQTT_URL)")
    p.add_argument(
        "--batch", type=int, default=500, help="messages stored together at most (one transaction)"
    )
    p.set_defaults(flood_func=ingest)
    p = flood_sub.add_parser(
        "typhoon", help="replay the demo's typhoon on 石桥村 (after `shequ demo`); again: no change"
    )
    typhoon_options(p)
    p.add_argument("--reserve", action="store_true", help="only place the storm in time")
    p.set_defaults(flood_func=typhoon)


def typhoon_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pace", type=float, default=None,
        help="seconds between the storm's 5-minute steps (default: 0, or 1 while serving)",
    )  # fmt: skip
    p.add_argument(
        "--until", choices=["peak", "end"], default="end",
        help="stop at the peak (alerts red, tasks under way) or play it to the end",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=2026, help="the same seed, the same storm")
    p.add_argument(
        "--via", choices=["auto", "mqtt", "direct"], default="auto",
        help="the gauges' readings: published to the broker for the running `shequ flood "
        "ingest` (mqtt), stored by the replay itself (direct), or mqtt when an ingester is up",
    )  # fmt: skip


def typhoon_argv(args: argparse.Namespace, pace: float) -> list[str]:
    """``shequ flood typhoon`` with the options of ``args`` (for ``shequ demo``'s child)."""
    return [
        "flood",
        "typhoon",
        "--pace",
        str(pace),
        "--until",
        args.until,
        "--seed",
        str(args.seed),
        "--via",
        args.via,
    ]


def main(args: argparse.Namespace) -> int:
    return int(args.flood_func(args))


def typhoon(args: argparse.Namespace) -> int:
    import sys

    from shequ.flood.typhoon import broker, plan, replay

    if args.reserve:
        placed = replay.reserve(args.seed)
        print(f"typhoon: placed from {placed.anchor:%Y-%m-%d %H:%M} UTC", flush=True)
        return 0
    until = plan.PEAK if args.until == "peak" else plan.STEPS - 1
    try:
        replay.run(
            seed=args.seed,
            until=until,
            pace=args.pace or 0.0,
            say=lambda s: print(s, flush=True),
            via=args.via,
        )
    except broker.NoIngester as exc:
        print(f"typhoon: error: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


def ingest(args: argparse.Namespace) -> int:
    from shequ.flood.services import mqtt, topics

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_a: stop.set())
    mqtt.warm_up()
    # Everything loaded so far (Django, the apps, the URL configuration) lives as long as the
    # process: out of the collector's sight, a batch's short-lived objects no longer make it
    # walk them all again (with a full collection every few batches, ~1/3 more CPU a reading).
    gc.collect()
    gc.freeze()
    consumer = mqtt.consumer(
        url=args.url,
        group=args.group,
        client_id=args.client_id,
        session_expiry=args.session_expiry,
        batch_size=max(1, args.batch),
    )
    consumer.start()
    print(f"flood ingest: subscribed to $share/{args.group}/{topics.readings()}", flush=True)
    stop.wait()
    consumer.stop()
    s = consumer.stats
    print(f"flood ingest: {s.handled} stored, {s.rejected} rejected of {s.received}", flush=True)
    return 0
