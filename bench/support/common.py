"""Helpers shared by the benchmarks: timing, peak memory, a throwaway shequ environment."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["seconds"] = time.perf_counter() - start


def peak_rss_mib(*, children: bool = False) -> float:
    """Peak resident memory of this process (or of its largest finished child) in MiB.

    Linux reports KiB.
    """
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children so far."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def shequ_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
    env.update(SHEQU_VAR_DIR=str(var_dir), SHEQU_LOG_LEVEL="WARNING")
    # A benchmark sends a street's whole load through a few device tokens: each token's rate
    # limit is set past it, so requests are still counted (its cost measured), never refused.
    env.update(SHEQU_DEVICE_RATE_LIMIT=str(10**9))
    return env


def run_child(args: list[str], env: dict[str, str]) -> dict[str, object]:
    """Run this benchmark's child mode in a fresh interpreter; it prints one JSON line."""
    out = subprocess.run(
        [sys.executable, *args], env=env, check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def setup_django(var_dir: Path) -> None:
    os.environ.update(shequ_env(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def region_chain(community: str) -> Any:
    """The province, city, district and street above ``community``, and the community (returned)."""
    from shequ.core.models import Region
    from shequ.core.models.regions import RegionLevel

    parent = None
    for code, level in (
        ("990000000000", RegionLevel.PROVINCE),
        ("990100000000", RegionLevel.CITY),
        ("990102000000", RegionLevel.DISTRICT),
        ("990102001000", RegionLevel.STREET),
        (community, RegionLevel.COMMUNITY),
    ):
        parent = Region.objects.create(code=code, name=code, level=level, parent=parent)
    return parent
