"""hub.query: masking equal to pii.mask, clear columns through grants, row scope by role,
versions and time travel, the audit trail, exports, system queries and the CLI."""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest
from django.utils import timezone

from hub.factories import (
    HOME,
    SCHEMAS,
    SIBLING,
    Hub,
    grant,
    hub_person,
    ingest,
    make_hub_dataset,
    rows_of,
)
from shequ.core import pii
from shequ.core.models import AuditEvent, Department, Membership, Role
from shequ.hub.cli.query import add_query_parser
from shequ.hub.models import Grant
from shequ.hub.query import QueryError, run_query, run_query_system
from shequ.hub.query.export import FORMATS, export_file
from shequ.hub.query.masking import KINDS, masked_select
from shequ.hub.query.sandbox import SANDBOXES, row_scope_sql

# ---------------------------------------------------------------------------------------------
# Masking in SQL is pii.mask
# ---------------------------------------------------------------------------------------------

SAMPLES: dict[str, list[str | None]] = {
    "id_card": [
        pii.make_id_number("330106", date(1990, 1, 1), 123),
        " 33010619900101123x ",
        "３３０１０６１９９００１０１１２３Ｘ",
        "123",
        "abcdefghijklmnopqrstuvwxyz",
        "1",
    ],
    "phone": [
        "13812345678",
        "+86 138-1234-5678",
        "0086 13812345678",
        "8613812345678",
        "１３８１２３４５６７８",
        "12345",
        " 138 1234 5678 ",
        "(138)1234.5678",
        "138\u00a01234\u30005678",
    ],
    "plate": ["浙A12345", "浙a·12345", "浙A D12345", "浙AD12345F", "ab", "浙A1234I", " 浙Ｂ12345 "],
    "name": ["张三", "欧阳小明", "Alice Smith", "A", " 李 ", "Bob", "𠀀x"],
    "address": ["浙江省杭州市西湖区文三路1号", "abc", "ab", "a", " 北京 "],
    "birth_date": [
        "1990-05-17",
        "19900517",
        " 1990年5月17日 ",
        "１９９０-05-17",
        "May 1990",
        "199",
    ],
    "face": ["x", "abc"],
    "health": ["diabetes"],
}


def _sql_masked(kind: str, values: list[str | None]) -> list[str | None]:
    con = duckdb.connect()
    try:
        source = "(SELECT unnest(?::VARCHAR[]) AS v, generate_subscripts(?::VARCHAR[], 1) AS i)"
        sql = f"SELECT v FROM ({masked_select(source, [('v', kind), ('i', None)])}) ORDER BY i"
        return [row[0] for row in con.execute(sql, [values, values]).fetchall()]
    finally:
        con.close()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_sql_masking_equals_pii_mask(kind: str) -> None:
    rng = random.Random(kind)
    alphabet = "0123456789Xx+-() ·.浙A李BOI\u3000１"
    values = [*SAMPLES[kind], None, "", "  ", "\t"]
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 22))) for _ in range(300)]
    assert _sql_masked(kind, values) == [pii.mask(kind, v) for v in values]


def test_row_scope_is_an_exact_prefix_range() -> None:
    assert row_scope_sql("r", None) == "TRUE"
    assert row_scope_sql("r", ()) == "FALSE"
    assert row_scope_sql("r", (HOME, SIBLING, "990102001")) == (
        "((\"r\" >= '990102001' AND \"r\" < '990102002'))"
    )
    assert row_scope_sql("r", (HOME, SIBLING)).count(" OR ") == 0  # adjacent: merged
    assert row_scope_sql("r", (HOME, "990103001001")).count(" OR ") == 1
    sql = row_scope_sql("r", ("9901020010", HOME, "990103001001"))
    con = duckdb.connect()
    codes = [HOME, SIBLING, "990102001000", "990102001", "990102001019", "9901020011", None]
    codes += ["990103001001", "990103001002", "99010300100"]
    kept = [
        c for c in codes if con.execute(f"SELECT {sql} FROM (SELECT ? AS r)", [c]).fetchone()[0]
    ]
    assert kept == [HOME, SIBLING, "990102001000", "990102001019", "990103001001"]


# ---------------------------------------------------------------------------------------------
# Grants: clear columns, column lists, revocation; row scope by role
# ---------------------------------------------------------------------------------------------


def test_everything_personal_is_masked_without_a_clear_grant(hub: Hub) -> None:
    result = run_query(hub.staff, "SELECT * FROM people ORDER BY person_id")
    first = result.table.to_pylist()[0]
    clear = hub_person(0)
    for column in ("name", "id_number", "phone", "address"):
        kind = {"id_number": "id_card"}.get(column, column)
        assert first[column] == pii.mask(kind, clear[column])
    assert first["person_id"] == clear["person_id"] and first["age"] == clear["age"]
    assert result.clear_pii == []


def test_a_grant_in_clear_shows_that_column_and_is_reported(hub: Hub) -> None:
    hub.grant(hub.staff, hub["people"], clear_columns=["phone"])
    result = run_query(hub.staff, "SELECT name, phone FROM people ORDER BY person_id")
    assert result.table.to_pylist()[0] == {"name": "王*", "phone": hub_person(0)["phone"]}
    assert result.clear_pii == ["people.phone"]
    event = AuditEvent.objects.filter(action="hub.query").latest("id")
    assert event.details["clear_pii"] == ["people.phone"]
    # A query that does not return the clear column does not report it.
    assert run_query(hub.staff, "SELECT count(*) FROM people").clear_pii == []
    assert run_query(hub.staff, "SELECT * FROM people LIMIT 1").clear_pii == ["people.phone"]


def test_clear_columns_join_on_clear_keys(hub: Hub) -> None:
    hub.grant(hub.staff, hub["people"], clear_columns=["id_number"])
    hub.grant(hub.staff, hub["vehicle_registrations"], clear_columns=["owner_id"])
    result = run_query(
        hub.staff,
        "SELECT count(*) AS n FROM people p JOIN vehicle_registrations v "
        "ON v.owner_id = p.id_number",
    )
    own_owners = [r for r in rows_of("vehicle_registrations") if r["region_code"] == HOME]
    assert result.table.to_pylist() == [{"n": len(own_owners)}]


def test_columns_outside_the_grant_do_not_exist(hub: Hub, make_user: Any) -> None:
    analyst = make_user(Role.COMMUNITY_STAFF, HOME)
    grant(analyst, hub["people"], columns=["person_id", "age", "region_code"])
    result = run_query(analyst, "SELECT * FROM people LIMIT 1")
    assert result.columns == ["person_id", "age", "region_code"]
    with pytest.raises(QueryError) as caught:
        run_query(analyst, "SELECT phone FROM people")
    assert caught.value.status == 400 and '"phone" not found' in caught.value.message


def test_a_revoked_grant_gives_no_access(hub: Hub, make_user: Any) -> None:
    analyst = make_user(Role.COMMUNITY_STAFF, HOME)
    issued = grant(analyst, hub["people"])
    assert run_query(analyst, "SELECT count(*) FROM people").rows == 1
    Grant.objects.create(
        kind=Grant.Kind.REVOKE, revokes=issued, dataset=issued.dataset, valid_from=timezone.now()
    )
    with pytest.raises(QueryError) as caught:
        run_query(analyst, "SELECT count(*) FROM people")
    assert caught.value.status == 403


def test_a_department_grant_counts(hub: Hub, make_user: Any, regions: Any) -> None:
    department = Department.objects.create(name="网格办", region=regions[HOME])
    analyst = make_user(None)
    Membership.objects.create(
        user=analyst, region=regions[HOME], role=Role.DEPARTMENT_ANALYST, department=department
    )
    Grant.objects.create(
        dataset=hub["parking_lots"],
        grantee_department=department,
        valid_from=timezone.now() - timedelta(minutes=1),
    )
    assert run_query(analyst, "SELECT count(*) AS n FROM parking_lots").table.to_pylist() == [
        {"n": 10}
    ]


@pytest.mark.parametrize(
    ("role", "region", "rows", "regions_seen"),
    [
        (Role.COMMUNITY_STAFF, HOME, 40, [HOME]),
        (Role.COMMUNITY_STAFF, SIBLING, 40, [SIBLING]),
        (Role.STREET_STAFF, "990102001000", 80, [HOME, SIBLING]),
        (Role.STREET_STAFF, "990103001000", 40, ["990103001001"]),
        (Role.PLATFORM_ADMIN, "990000000000", 120, [HOME, SIBLING, "990103001001"]),
    ],
)
def test_rows_are_those_of_the_users_regions(
    hub: Hub, make_user: Any, role: str, region: str, rows: int, regions_seen: list[str]
) -> None:
    user = make_user(role, region)
    grant(user, hub["people"])
    result = run_query(user, "SELECT region_code, count(*) AS n FROM people GROUP BY 1 ORDER BY 1")
    assert [r["region_code"] for r in result.table.to_pylist()] == regions_seen
    assert sum(r["n"] for r in result.table.to_pylist()) == rows


def test_a_grant_row_scope_widens_the_rows(hub: Hub, make_user: Any) -> None:
    user = make_user(Role.COMMUNITY_STAFF, HOME)
    grant(user, hub["people"], row_scope=[SIBLING])
    assert run_query(user, "SELECT count(*) AS n FROM people").table.to_pylist() == [{"n": 80}]


def test_users_sharing_a_sandbox_database_never_share_views(hub: Hub, make_user: Any) -> None:
    """Queries over the same files reuse one locked database; each has its own views."""
    clear_user = make_user(Role.COMMUNITY_STAFF, HOME)
    grant(clear_user, hub["people"], clear_columns=["phone"])
    sql = "SELECT phone FROM people ORDER BY person_id LIMIT 1"
    before = len(SANDBOXES.open)
    assert run_query(clear_user, sql).table.to_pylist() == [{"phone": hub_person(0)["phone"]}]
    assert run_query(hub.staff, sql).table.to_pylist() == [{"phone": "139****0000"}]
    assert run_query(clear_user, sql).table.to_pylist() == [{"phone": hub_person(0)["phone"]}]
    assert len(SANDBOXES.open) <= before + 1


def test_a_sandbox_database_cannot_be_unlocked(hub: Hub) -> None:
    con = SANDBOXES.connect([])
    try:
        for statement in (
            "SET enable_external_access = true",
            "SET allowed_paths = ['/']",
            "SET lock_configuration = false",
            "SET TimeZone = 'UTC'",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(statement)
        with pytest.raises(duckdb.Error):
            con.execute("SELECT * FROM read_text('/etc/passwd')")
    finally:
        con.close()


def test_evicting_a_sandbox_database_does_not_break_a_running_query(
    hub: Hub, settings: Any
) -> None:
    settings.HUB_QUERY_DATABASES = 1
    con = SANDBOXES.connect([])
    try:
        run_query(hub.staff, "SELECT count(*) FROM parking_lots")  # evicts the first database
        assert con.execute("SELECT 42").fetchall() == [(42,)]
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Versions and time travel
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def two_versions(hub: Hub, tmp_path: Path) -> Hub:
    """people at version 0 (120 rows) and version 1 (the first 60, renamed)."""
    changed = [dict(hub_person(i), name="新名字") for i in range(60)]
    assert ingest(hub["people"], changed, tmp_path) == 1
    return hub


def test_the_current_version_by_default_and_any_version_on_request(two_versions: Hub) -> None:
    hub, sql = two_versions, "SELECT count(*) AS n, max(name) AS m FROM people"
    current = run_query(hub.staff, sql)
    assert current.table.to_pylist() == [{"n": 20, "m": "新**"}]
    assert current.datasets == {"people": 1}
    old = run_query(hub.staff, sql, version=0)
    assert old.table.to_pylist()[0]["n"] == 40 and old.datasets == {"people": 0}
    assert run_query(hub.staff, sql, version={"people": 0}).table.to_pylist()[0]["n"] == 40


def test_versions_in_sql_compare_two_versions(two_versions: Hub) -> None:
    result = run_query(
        two_versions.staff,
        "SELECT count(*) AS gone FROM people AS OF VERSION 0 AS old "
        "WHERE old.person_id NOT IN (SELECT person_id FROM people)",
    )
    assert result.table.to_pylist() == [{"gone": 20}]
    assert result.datasets == {"people@v0": 0, "people": 1}


def test_as_of_a_time_reads_the_version_of_that_time(two_versions: Hub) -> None:
    hub = two_versions
    now = timezone.now()
    assert run_query(hub.staff, "SELECT count(*) FROM people", as_of=now).datasets == {"people": 1}
    with pytest.raises(QueryError) as caught:
        run_query(hub.staff, "SELECT count(*) FROM people", as_of=now - timedelta(days=3650))
    assert caught.value.status == 404 and "no version at or before" in caught.value.message
    with pytest.raises(QueryError):
        run_query(hub.staff, "SELECT 1 FROM people", as_of="not a time")


def test_unknown_versions_are_404_and_misdirected_ones_400(hub: Hub) -> None:
    with pytest.raises(QueryError) as caught:
        run_query(hub.staff, "SELECT * FROM people", version=7)
    assert caught.value.status == 404 and "no version 7" in caught.value.message
    with pytest.raises(QueryError) as caught:
        run_query(hub.staff, "SELECT * FROM people", version={"parking_lots": 0})
    assert caught.value.status == 400 and "parking_lots" in caught.value.message


def test_a_dataset_without_data_is_an_empty_table(hub: Hub, make_user: Any) -> None:
    SCHEMAS["empty_people"] = SCHEMAS["people"]
    try:
        empty = make_hub_dataset("empty_people")
    finally:
        del SCHEMAS["empty_people"]
    hub.grant(hub.staff, empty)
    result = run_query(hub.staff, "SELECT * FROM empty_people")
    assert result.rows == 0 and result.columns[:2] == ["person_id", "name"]
    assert result.datasets == {"empty_people": None}


# ---------------------------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------------------------


def test_every_query_is_audited_with_what_it_read(hub: Hub) -> None:
    run_query(hub.staff, "SELECT lot_id, count(*) FROM parking_events GROUP BY 1")
    event = AuditEvent.objects.filter(action="hub.query").latest("id")
    assert event.actor == hub.staff
    assert event.region_code == HOME
    details = event.details
    assert details["sql"].startswith("SELECT lot_id")
    assert details["datasets"] == {"parking_events": 0}
    assert details["rows"] == 10
    assert isinstance(details["duration_ms"], int)
    assert details["clear_pii"] == [] and details["truncated"] is False
    assert details["grants"]


def test_refusals_are_audited_too(hub: Hub) -> None:
    with pytest.raises(QueryError):
        run_query(hub.staff, "SELECT * FROM health_records")
    event = AuditEvent.objects.filter(action="hub.query.refused").latest("id")
    assert event.actor == hub.staff
    assert event.details["status"] == 403 and "health_records" in event.details["error"]
    long_sql = "SELECT 1 FROM people WHERE " + " OR ".join(["age = 1"] * 500)
    run_query(hub.staff, long_sql)
    event = AuditEvent.objects.filter(action="hub.query").latest("id")
    assert len(event.details["sql"]) == 2000 and event.details["sql_truncated"] is True


def test_audit_never_holds_clear_values(hub: Hub) -> None:
    run_query(hub.staff, "SELECT * FROM people")
    text = json.dumps(AuditEvent.objects.filter(action="hub.query").latest("id").details)
    assert hub_person(0)["phone"] not in text and hub_person(0)["id_number"] not in text


def test_a_fault_of_the_hub_is_500_and_audited(hub: Hub, settings: Any) -> None:
    for path in (Path(settings.DATA_DIR) / "hub" / "tables" / "parking_lots").glob("*.parquet"):
        path.unlink()
    with pytest.raises(QueryError) as caught:
        run_query(hub.staff, "SELECT count(*) FROM parking_lots")
    assert caught.value.status == 500 and "parking_lots" in caught.value.message
    event = AuditEvent.objects.filter(action="hub.query.refused").latest("id")
    assert event.details["status"] == 500


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------

EXPORT_SQL = "SELECT person_id, name, phone, age, born, seen_at FROM people ORDER BY person_id"


def _export(hub: Hub, fmt: str) -> bytes:
    result = run_query(hub.staff, EXPORT_SQL)
    handle = export_file(result, fmt)
    try:
        return handle.read()
    finally:
        handle.close()


def test_csv_export_has_a_bom_and_masked_values(hub: Hub) -> None:
    data = _export(hub, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["person_id", "name", "phone", "age", "born", "seen_at"]
    assert rows[1] == [
        "P0000",
        "王*",
        "139****0000",
        "20",
        "1950-01-01",
        "2026-10-01T00:15:00+08:00",
    ]
    assert len(rows) == 41


def test_xlsx_export_opens_with_openpyxl_and_is_masked(hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(_export(hub, "xlsx"))
    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("person_id", "name", "phone", "age", "born", "seen_at")
    assert rows[1][:4] == ("P0000", "王*", "139****0000", 20)
    assert rows[1][5].isoformat() == "2026-10-01T00:15:00"  # local time
    assert len(rows) == 41


def test_parquet_export_is_readable_and_masked(hub: Hub, tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(_export(hub, "parquet"))
    table = pq.read_table(path)
    assert table.num_rows == 40
    assert set(table.column("phone").to_pylist()) == {
        pii.mask("phone", r["phone"]) for r in rows_of("people") if r["region_code"] == HOME
    }


def test_unknown_export_format(hub: Hub) -> None:
    assert set(FORMATS) == {"csv", "xlsx", "parquet"}
    with pytest.raises(QueryError):
        export_file(run_query(hub.staff, "SELECT 1 AS x FROM parking_lots"), "pdf")


# ---------------------------------------------------------------------------------------------
# System queries (apps, jobs, the CLI)
# ---------------------------------------------------------------------------------------------


def test_system_queries_see_every_row_masked(hub: Hub) -> None:
    result = run_query_system("SELECT count(*) AS n, max(phone) AS p FROM people")
    assert result.table.to_pylist() == [
        {"n": 120, "p": pii.mask("phone", hub_person(119)["phone"])}
    ]
    event = AuditEvent.objects.filter(action="hub.query").latest("id")
    assert event.actor is None and event.details["system"] is True
    assert event.details["clear_requested"] is False


def test_system_queries_in_clear_only_on_request_and_audited(hub: Hub) -> None:
    result = run_query_system(
        "SELECT phone FROM people ORDER BY person_id LIMIT 1", clear=True, purpose="迁移"
    )
    assert result.table.to_pylist() == [{"phone": hub_person(0)["phone"]}]
    assert result.clear_pii == ["people.phone"]
    details = AuditEvent.objects.filter(action="hub.query").latest("id").details
    assert details["clear_requested"] is True and details["purpose"] == "迁移"
    assert details["clear_pii"] == ["people.phone"]


def test_system_queries_follow_the_same_policy(hub: Hub) -> None:
    with pytest.raises(QueryError) as caught:
        run_query_system("SELECT * FROM read_csv('/etc/passwd')")
    assert caught.value.status == 400
    with pytest.raises(QueryError) as caught:
        run_query_system("SELECT * FROM nothing_here")
    assert caught.value.status == 404


def test_results_are_arrow_for_apps(hub: Hub) -> None:
    result = run_query(
        hub.staff, "SELECT lot_id, sum(amount) AS total FROM parking_events GROUP BY 1 ORDER BY 1"
    )
    assert result.table.schema.names == ["lot_id", "total"]
    assert result.table.column("lot_id").to_pylist() == list(range(10))
    assert result.rows_json(8, 5) == result.rows_json()[8:]


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def _cli(*argv: str) -> int:
    root = argparse.ArgumentParser()
    sub = root.add_subparsers(dest="hub_command", required=True)
    add_query_parser(sub)
    args = root.parse_args(["query", *argv])
    return int(args.hub_func(args))


def test_cli_query_as_system_is_masked(hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("SELECT person_id, phone FROM people ORDER BY 1 LIMIT 2", "--format", "json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows"] == [["P0000", "139****0000"], ["P0001", "139****0001"]]


def test_cli_query_as_a_user_and_formats(hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    sql = "SELECT person_id, name FROM people ORDER BY 1 LIMIT 2"
    assert _cli(sql, "--user", "jinxiu", "--format", "csv") == 0
    assert capsys.readouterr().out.splitlines() == ["person_id,name", "P0000,王*", "P0003,刘*"]
    assert _cli(sql, "--user", "jinxiu") == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[2].split() == ["P0000", "王*"]
    assert "2 rows" in captured.err


def test_cli_clear_and_errors(hub: Hub, capsys: pytest.CaptureFixture[str]) -> None:
    sql = "SELECT phone FROM people ORDER BY person_id LIMIT 1"
    assert _cli(sql, "--clear", "--purpose", "核对", "--format", "csv") == 0
    assert hub_person(0)["phone"] in capsys.readouterr().out
    assert _cli(sql, "--clear", "--user", "jinxiu") == 2
    assert _cli("SELECT getenv('HOME')") == 1
    assert "getenv" in capsys.readouterr().err
    assert _cli("SELECT 1", "--user", "nobody-here") == 2
