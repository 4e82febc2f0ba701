"""Backup and restore (docs/operations.md): the database snapshot, the hub at the versions the
snapshot names, the stored files; verified, refused into a non-empty installation, all or nothing.

Runs on the suite's database (SQLite or PostgreSQL, ``SHEQU_DATABASE_URL``); restores go into a
database of their own (a file, or a PostgreSQL database made and dropped here).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from deltalake import DeltaTable
from django.db import connection

from hub.factories import PEOPLE_SCHEMA, csv_text, make_dataset, person
from shequ.backup import BackupError, make_backup, restore, rotate, verify
from shequ.backup import database as db_module
from shequ.backup.database import Database
from shequ.hub.models import Category, Dataset
from shequ.hub.services.runs import ingest_file
from shequ.hub.storage import version_rows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(tmp_path: Path, settings: Any) -> Dataset:
    """A hub dataset at version 1 (two commits), a camera image, and files a backup leaves out."""
    category = Category.objects.create(key="test", name="测试", name_en="Test")
    dataset = make_dataset(category, "people", PEOPLE_SCHEMA)
    for n, rows in enumerate([range(1, 6), range(6, 9)]):
        run = ingest_file(dataset, _csv(tmp_path, f"in{n}.csv", rows))
        assert run.status == "succeeded", run.error
    data = Path(settings.DATA_DIR)
    (data / "flood" / "images" / "2026" / "12").mkdir(parents=True)
    (data / "flood" / "images" / "2026" / "12" / "cam.jpg").write_bytes(b"\xff\xd8 image")
    (data / "flood" / "images" / "2026" / "12" / ".part-x").write_bytes(b"half written")
    (data / "hub" / "staging" / "people" / "run-9").mkdir(parents=True)
    (data / "hub" / "staging" / "people" / "run-9" / "a.parquet").write_bytes(b"uncommitted")
    dataset.refresh_from_db()
    return dataset


def _csv(folder: Path, name: str, ids: range) -> Path:
    path = folder / name
    path.write_text(csv_text([person(i) for i in ids]), encoding="utf-8")
    return path


def source_digests() -> dict[str, Any]:
    """The suite database's counts and checksums, read as a backup reads them."""
    db = Database.from_settings(connection.settings_dict)
    if db.engine == "postgresql":
        return db_module.postgres_digests(db)
    connection.ensure_connection()
    copy = sqlite3.connect(":memory:")
    connection.connection.backup(copy)
    try:
        return db_module.digest.sqlite_digests(copy.cursor())
    finally:
        copy.close()


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[tuple[Database, Path]]:
    """An empty installation: a database (a new file, or a new PostgreSQL database), a data dir."""
    data_dir = tmp_path / "restored" / "data"
    data_dir.mkdir(parents=True)
    source = Database.from_settings(connection.settings_dict)
    if source.engine == "sqlite":
        yield Database("sqlite", str(tmp_path / "restored" / "shequ.sqlite3")), data_dir
        return
    name = f"backup_restore_{uuid.uuid4().hex[:10]}"
    admin = Database("postgresql", "postgres", dict(source.params))
    with admin.connect() as con:
        con.autocommit = True
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Database("postgresql", name, dict(source.params, NAME=name)), data_dir
    finally:
        with psycopg.connect(admin.connect().info.dsn, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restored_digests(db: Database) -> dict[str, Any]:
    if db.engine == "sqlite":
        return db_module.sqlite_digests(Path(db.name))
    return db_module.postgres_digests(db)


def installation_is_empty(db: Database, data_dir: Path) -> bool:
    tables = (
        db_module.sqlite_tables_at(Path(db.name))
        if db.engine == "sqlite"
        else db_module.postgres_tables(db)
    )
    return not tables and not any(p.is_file() for p in data_dir.rglob("*"))


def test_the_manifest_names_every_file_with_its_size_and_checksum(
    people: Dataset, tmp_path: Path
) -> None:
    found = make_backup(tmp_path / "b")
    assert found == json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert found["format"] == 1 and found["shequ_version"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", found["created_at"])
    assert found["database"]["engine"] == {"sqlite": "sqlite"}.get(connection.vendor, "postgresql")
    assert found["database"]["tables"]["hub_dataset"]["rows"] == 1
    assert found["database"]["tables"] == source_digests()
    table = found["hub"]["people"]
    assert table["version"] == people.version == 1 and table["rows"] == 8
    names = [f["path"] for f in table["files"]]
    assert "data/hub/tables/people/_delta_log/00000000000000000001.json" in names
    assert sum(n.endswith(".parquet") for n in names) == 2
    others = [f["path"] for f in found["files"]]
    assert "data/flood/images/2026/12/cam.jpg" in others
    assert not [n for n in others if "staging" in n or ".part-" in n], others
    assert found["keys"]["included"] is False and not (tmp_path / "b" / "keys").exists()
    assert re.fullmatch(r"[0-9a-f]{16}", found["keys"]["fingerprints"]["pii_hmac"])
    assert verify(tmp_path / "b") == found


def test_restore_gives_back_the_same_data(
    people: Dataset, tmp_path: Path, empty: tuple[Database, Path]
) -> None:
    make_backup(tmp_path / "b")
    before = source_digests()
    db, data_dir = empty
    restore(tmp_path / "b", target=db, data_dir=data_dir)
    assert restored_digests(db) == before
    table = DeltaTable(str(data_dir / "hub" / "tables" / "people"))
    assert table.version() == 1 and version_rows(table) == 8
    assert (
        DeltaTable(str(data_dir / "hub" / "tables" / "people"), version=0)
        .to_pyarrow_table()
        .num_rows
        == 5
    )
    assert (
        data_dir / "flood" / "images" / "2026" / "12" / "cam.jpg"
    ).read_bytes() == b"\xff\xd8 image"
    assert not (data_dir / "hub" / "staging").exists()
    assert not list(data_dir.parent.glob(".shequ-restore-*"))


def test_a_commit_during_the_backup_is_left_out_whole(
    people: Dataset, tmp_path: Path, empty: tuple[Database, Path]
) -> None:
    def commit_meanwhile() -> None:
        run = ingest_file(people, _csv(tmp_path, "later.csv", range(9, 20)))
        assert run.status == "succeeded" and run.version == 2

    found = make_backup(tmp_path / "b", after_database=commit_meanwhile)
    assert (found["hub"]["people"]["version"], found["hub"]["people"]["rows"]) == (1, 8)
    assert people.versions.count() == 3  # the commit happened, after the database snapshot
    names = {f["path"] for f in found["hub"]["people"]["files"]}
    assert not any("00000000000000000002" in n for n in names)
    assert len([n for n in names if n.endswith(".parquet")]) == 2
    db, data_dir = empty
    restore(tmp_path / "b", target=db, data_dir=data_dir)
    table = DeltaTable(str(data_dir / "hub" / "tables" / "people"))
    assert table.version() == 1 and version_rows(table) == 8
    assert found["database"]["tables"]["hub_datasetversion"]["rows"] == 2


def test_a_damaged_file_is_found_before_anything_is_written(
    people: Dataset, tmp_path: Path, empty: tuple[Database, Path]
) -> None:
    found = make_backup(tmp_path / "b")
    damaged = tmp_path / "b" / found["hub"]["people"]["files"][0]["path"]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\0")
    with pytest.raises(BackupError, match="checksum differs: data/hub/tables/people/"):
        verify(tmp_path / "b")
    db, data_dir = empty
    with pytest.raises(BackupError, match="does not match its manifest"):
        restore(tmp_path / "b", target=db, data_dir=data_dir)
    assert installation_is_empty(db, data_dir)


def test_a_file_the_manifest_does_not_name_is_refused(people: Dataset, tmp_path: Path) -> None:
    make_backup(tmp_path / "b")
    (tmp_path / "b" / "data" / "extra.txt").write_text("slipped in")
    with pytest.raises(BackupError, match=r"not in the manifest: data/extra\.txt"):
        verify(tmp_path / "b")


def test_a_restore_whose_database_check_fails_leaves_nothing(
    people: Dataset, tmp_path: Path, empty: tuple[Database, Path]
) -> None:
    make_backup(tmp_path / "b")
    path = tmp_path / "b" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["database"]["tables"]["hub_dataset"]["rows"] = 2  # not what the archive holds
    path.write_text(json.dumps(manifest))
    db, data_dir = empty
    with pytest.raises(
        BackupError, match="differs from the backup's counts or checksums in: hub_dataset"
    ):
        restore(tmp_path / "b", target=db, data_dir=data_dir)
    assert installation_is_empty(db, data_dir)
    assert not list(data_dir.parent.glob(".shequ-restore-*"))
    assert not list(data_dir.parent.glob("*.restore-*"))


def test_it_refuses_a_non_empty_installation(
    people: Dataset, tmp_path: Path, settings: Any, empty: tuple[Database, Path]
) -> None:
    make_backup(tmp_path / "b")
    with pytest.raises(BackupError, match=r"not empty: its database .* has \d+ tables; .* holds"):
        restore(tmp_path / "b")  # this installation: the suite's database and data dir
    db, data_dir = empty
    (data_dir / "inbox").mkdir()
    (data_dir / "inbox" / "upload.csv").write_text("a,b\n")
    with pytest.raises(BackupError, match=r"holds 1 files or tables \(e.g. inbox/upload.csv\)"):
        restore(tmp_path / "b", target=db, data_dir=data_dir)


def test_it_refuses_keys_that_cannot_read_the_data(
    people: Dataset, tmp_path: Path, settings: Any, empty: tuple[Database, Path]
) -> None:
    make_backup(tmp_path / "b")
    settings.PII_HMAC_KEY = "another key"
    db, data_dir = empty
    with pytest.raises(BackupError, match=r"SHEQU_PII_HMAC_KEY is [0-9a-f]{16}, the backup's is"):
        restore(tmp_path / "b", target=db, data_dir=data_dir)
    assert installation_is_empty(db, data_dir)
    restore(tmp_path / "b", target=db, data_dir=data_dir, ignore_keys=True)


def test_keys_are_in_a_backup_only_when_asked(
    people: Dataset, tmp_path: Path, settings: Any
) -> None:
    found = make_backup(tmp_path / "b", include_keys=True)
    path = tmp_path / "b" / "keys" / "keys.env"
    assert found["keys"]["file"]["path"] == "keys/keys.env"
    assert os.stat(path).st_mode & 0o077 == 0
    text = path.read_text()
    assert f"SHEQU_PII_HMAC_KEY={settings.PII_HMAC_KEY}\n" in text
    assert f"SHEQU_FERNET_KEYS={','.join(settings.FERNET_KEYS)}\n" in text


def test_it_refuses_to_write_into_an_existing_backup(people: Dataset, tmp_path: Path) -> None:
    make_backup(tmp_path / "b")
    with pytest.raises(BackupError, match="already exists"):
        make_backup(tmp_path / "b")


def test_rotation_keeps_the_newest_backups(
    people: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    for stamp in ("20261201T010000Z", "20261202T010000Z", "20261203T010000Z"):
        (folder / f"shequ-{stamp}").mkdir()
        (folder / f"shequ-{stamp}" / "manifest.json").write_text("{}")
    (folder / "shequ-20261130T010000Z").mkdir()  # no manifest: not a backup, left alone
    target, _found, removed = rotate(folder, 2)
    assert [p.name for p in removed] == ["shequ-20261201T010000Z", "shequ-20261202T010000Z"]
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == ["shequ-20261130T010000Z", "shequ-20261203T010000Z", target.name]
    verify(target)


def test_a_data_dir_that_is_the_var_dir_gives_no_secret_or_live_database(
    people: Dataset, tmp_path: Path, settings: Any
) -> None:
    data = Path(settings.DATA_DIR)
    settings.VAR_DIR = data
    (data / "pii_hmac_key").write_text("a secret")
    (data / "huey.sqlite3").write_bytes(b"queue")
    settings.HUEY = dict(settings.HUEY, filename=str(data / "huey.sqlite3"))
    found = make_backup(tmp_path / "b")
    others = [f["path"] for f in found["files"]]
    assert "data/flood/images/2026/12/cam.jpg" in others
    assert not [p for p in others if "pii_hmac_key" in p or "huey" in p], others


def test_an_installation_without_stored_files_restores(
    tmp_path: Path, empty: tuple[Database, Path]
) -> None:
    found = make_backup(tmp_path / "b")
    assert found["hub"] == {} and found["files"] == []
    db, data_dir = empty
    restore(tmp_path / "b", target=db, data_dir=data_dir)
    assert restored_digests(db) == found["database"]["tables"]
    assert not list(data_dir.parent.glob(".shequ-restore-*"))
