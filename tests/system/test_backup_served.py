"""Back up the served demo while it is written to, restore into a new installation, serve it.

Writes go on during `shequ backup` (API tokens over HTTP, appends to a hub dataset by
`shequ hub ingest`); the backup is restored by `shequ restore` into a fresh var dir (and, on
PostgreSQL, a new database) with the keys the backup carries; the restored database's tables
and hub tables match the manifest's counts and checksums, the database names exactly the hub
versions the backup holds, every write acknowledged before the backup began is there, and
the restored platform serves its pages and hub queries.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from deltalake import DeltaTable
from system_support import (
    SHEQU,
    Platform,
    api_headers,
    assert_clean,
    json_items,
    login,
    throwaway_database,
)

from shequ.backup import digest

PROBE = "backup_probe"


def shequ(platform: Platform, env: dict[str, str], *argv: str, timeout: float = 600) -> str:
    return platform.run(*argv, env=env, timeout=timeout)


class Writers:
    """API tokens created over HTTP and rows appended to a hub dataset, until stopped."""

    def __init__(self, platform: Platform, client: httpx.Client, folder: Path) -> None:
        self.platform, self.client, self.folder = platform, client, folder
        self.acknowledged: list[tuple[float, int]] = []  # (time acknowledged, token id)
        self.problems: list[str] = []
        self.ingests = 0
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._tokens),
            threading.Thread(target=self._ingests),
        ]

    def _tokens(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            answer = self.client.post(
                "/api/v1/tokens",
                json={"name": f"backup-{n}"},
                headers=api_headers(self.client),
                timeout=30,
            )
            if answer.status_code == 201:
                self.acknowledged.append((time.monotonic(), answer.json()["id"]))
            else:
                self.problems.append(f"token: {answer.status_code} {answer.text[:300]}")

    def _ingests(self) -> None:
        while not self.stop.is_set():
            self.ingests += 1
            path = self.folder / f"probe-{self.ingests}.csv"
            rows = [f"{self.ingests}-{i},{i * self.ingests}" for i in range(200)]
            path.write_text("probe_id,amount\n" + "\n".join(rows) + "\n", encoding="utf-8")
            done = subprocess.run(
                [str(SHEQU), "hub", "ingest", str(path), "--dataset", PROBE, "--mode", "append"],
                cwd=self.platform.var_dir.parent,
                env=self.platform.env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if done.returncode:
                self.problems.append(f"ingest: {done.stdout[-500:]}{done.stderr[-1000:]}")

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=300)


@pytest.fixture
def restored_database() -> Iterator[str]:
    yield from throwaway_database("shequ_restored")


def database_digests(url: str, var_dir: Path) -> dict[str, Any]:
    if not url:
        con = sqlite3.connect(f"file:{var_dir / 'shequ.sqlite3'}?mode=ro", uri=True)
        try:
            return digest.sqlite_digests(con.cursor())
        finally:
            con.close()
    import psycopg

    with psycopg.connect(url) as con:
        return digest.postgres_digests(con.cursor())


def keys_env(backup: Path) -> dict[str, str]:
    lines = (backup / "keys" / "keys.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_backup_while_writing_then_restore_gives_the_same_platform(
    platform: Platform,
    clients: dict[str, httpx.Client],
    tmp_path: Path,
    restored_database: str,
) -> None:
    first = tmp_path / "probe-0.csv"
    first.write_text("probe_id,amount\nfirst,1\n", encoding="utf-8")
    create = ["hub", "ingest", str(first), "--dataset", PROBE, "--create", "--category", "traffic"]
    shequ(platform, platform.env, *create)
    backup = tmp_path / "backup"
    with Writers(platform, clients["admin"], tmp_path) as writers:
        while len(writers.acknowledged) < 5 or writers.ingests < 2:
            time.sleep(0.2)
        backup_began = time.monotonic()
        out = shequ(platform, platform.env, "backup", str(backup), "--include-keys")
        backup_seconds = time.monotonic() - backup_began
        time.sleep(1)  # writes go on after the backup too
    assert not writers.problems, writers.problems[:5]
    shequ(platform, platform.env, "backup", "--verify", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    assert "backup written to" in out

    var_dir = tmp_path / "restored" / "var"
    env = {k: v for k, v in platform.env.items() if k != "SHEQU_DATABASE_URL"}
    env.update(keys_env(backup), SHEQU_VAR_DIR=str(var_dir))
    if restored_database:
        env["SHEQU_DATABASE_URL"] = restored_database
    began = time.monotonic()
    shequ(platform, env, "restore", str(backup))
    restore_seconds = time.monotonic() - began
    print(f"\nbackup {backup_seconds:.1f} s, restore {restore_seconds:.1f} s: {out.strip()}")

    # The database: the snapshot's every table, counted and checksummed again here.
    restored = database_digests(restored_database, var_dir)
    assert restored == manifest["database"]["tables"]
    # Every token acknowledged before the backup began is in it.
    ids = {token for at, token in writers.acknowledged if at < backup_began}
    assert ids, "no write was acknowledged before the backup"
    # The hub: each table at the version the restored database names, with its rows.
    versions = _dataset_versions(restored_database, var_dir)
    assert versions == {key: t["version"] for key, t in manifest["hub"].items()}
    probe = DeltaTable(str(var_dir / "data" / "hub" / "tables" / PROBE))
    assert probe.version() == manifest["hub"][PROBE]["version"] >= 1
    assert probe.to_pyarrow_table().num_rows == manifest["hub"][PROBE]["rows"]
    live = DeltaTable(str(platform.var_dir / "data" / "hub" / "tables" / PROBE))
    assert live.version() > probe.version(), "no hub commit after the database snapshot"

    # The restored platform serves the same pages, tokens and hub rows.
    served = Platform(var_dir=var_dir, env=env)
    served.start("web", "serve", "--workers", "1")
    try:
        served.wait_healthy("web")
        with httpx.Client(base_url=served.base, timeout=30) as client:
            login(client, "admin")
            page = client.get("/")
            assert_clean(page)
            assert page.status_code == 200
            tokens = client.get("/api/v1/tokens?page_size=1000")
            assert_clean(tokens)
            kept = {t["id"] for t in json_items(tokens.json())}
            assert ids <= kept, f"lost acknowledged writes: {sorted(ids - kept)}"
            count = client.post(
                "/api/v1/hub/query",
                json={"sql": "SELECT count(*) AS n FROM public_parking_lots"},
                headers=api_headers(client),
            )
            assert count.status_code == 200, count.text[:500]
            assert count.json()["rows"] == [[manifest["hub"]["public_parking_lots"]["rows"]]]
    finally:
        served.stop_all()


def _dataset_versions(url: str, var_dir: Path) -> dict[str, int]:
    if not url:
        con = sqlite3.connect(f"file:{var_dir / 'shequ.sqlite3'}?mode=ro", uri=True)
        try:
            return digest.dataset_versions(con.cursor())
        finally:
            con.close()
    import psycopg

    with psycopg.connect(url) as con:
        return digest.dataset_versions(con.cursor())
