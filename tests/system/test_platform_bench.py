"""The whole-platform load test (bench/platform_load.py, issue 21) against the tier's served demo.

The bench runs as a user runs it, a process of its own, pointed with ``--url`` at the demo
the tier already serves (``shequ demo`` with its MQTT ingester, and ``shequ worker``): the
staff log in and issue the door terminals' and gauges' tokens over HTTP, then its load
generator offers every class of traffic at a tenth of the bench's rates for 10 s. Every class
and every resident page is answered, nothing is an error (a status of 400 or more, no answer,
no PUBACK), and every process watched (the web server and its workers, the ingester, the
worker, the generator) has a peak RSS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from system_support import PASSWORD, Platform

BENCH = Path(__file__).resolve().parents[2] / "bench" / "platform_load.py"


def test_the_platform_bench_gets_every_class_answered_without_an_error(
    platform: Platform, flood_ingest: str, tmp_path: Path
) -> None:
    summary_path = tmp_path / "summary.json"
    args = [
        sys.executable, str(BENCH), "--url", platform.base, "--password", PASSWORD,
        "--seconds", "10", "--rate-scale", "0.1",
        "--mqtt-topic-root", platform.env["SHEQU_MQTT_TOPIC_ROOT"],
        "--pid", f"web={platform.procs['web'].pid}",
        "--pid", f"worker={platform.procs['worker'].pid}",
        "--json", str(summary_path),
    ]  # fmt: skip
    env = dict(os.environ, SHEQU_MQTT_URL=flood_ingest)
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    summary = json.loads(summary_path.read_text())
    assert summary["errors"] == 0 and summary["baseline_errors"] == 0, done.stdout
    classes = summary["classes"]
    assert set(classes) == {
        "residents", "gates", "gauges_http", "gauges_mqtt", "staff_overview", "staff_screen",
    }  # fmt: skip
    for name, figures in classes.items():
        assert figures["errors"] == 0, (name, figures["reasons"])
        unanswered = [path for path, n in figures["endpoints"].items() if n == 0]
        assert not unanswered, f"{name}: nothing answered on {unanswered}\n{done.stdout}"
    assert len(classes["residents"]["endpoints"]) == 5
    labels = {p["label"] for p in summary["processes"] if p["rss"] > 0}
    assert labels >= {"web", "web worker", "ingester", "worker", "generator"}, labels
    assert "p99" in done.stdout and "baseline GET /api/v1/health" in done.stdout
