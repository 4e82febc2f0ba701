"""Every benchmark starts: its options parse and its imports resolve (bench/ is the first
folder on the path when one runs, so a file there named like a standard module would shadow
it: bench/platform.py once broke uuid, and with it three benchmarks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py")))
def test_the_benchmark_starts(script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--quick" in result.stdout


def test_no_benchmark_is_named_like_a_standard_module() -> None:
    clashes = {p.stem for p in BENCH.glob("*.py")} & set(sys.stdlib_module_names)
    assert not clashes
