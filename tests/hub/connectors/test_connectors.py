"""Connectors against real servers started here: HTTP (and a fake CKAN), PostgreSQL, MySQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from shequ.hub.connectors import (
    CONNECTORS,
    CkanConnector,
    FileConnector,
    FolderConnector,
    HttpConnector,
    NothingToFetch,
    SqlConnector,
    get_connector,
)
from shequ.hub.connectors import http as http_connector
from shequ.hub.connectors.sql import read_only_problem
from shequ.hub.ingest.staging import IngestError
from shequ.hub.models import Connector as ConnectorKind

STRICT = os.environ.get("SHEQU_TEST_STRICT") == "1"
TOKEN = "Bearer s3cret-token"
PEOPLE = [{"id": i, "name": f"居民{i}号", "street": "望湖街道"} for i in range(1, 24)]
CSV_BYTES = "姓名,社区\n张三,锦绣社区\n李四,和园社区\n".encode()
XLSX_BYTES = b"PK\x03\x04 not really a workbook"


def skip_or_fail(reason: str) -> None:
    if STRICT:
        pytest.fail(f"{reason} (SHEQU_TEST_STRICT=1: CI must provide it)")
    pytest.skip(reason)


# A local upstream: paged JSON APIs, failures on demand, and a fake CKAN portal ----------------


class Upstream(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: Counter[str] = Counter()
        self.queries: defaultdict[str, list[dict[str, str]]] = defaultdict(list)
        self.auth_seen: dict[str, str | None] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Upstream

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.server.hits[url.path] += 1
        self.server.queries[url.path].append(query)
        self.server.auth_seen[url.path] = self.headers.get("Authorization")
        route = ROUTES.get(url.path)
        if route is None and url.path.startswith("/ckan/files/"):
            route = ckan_file
        if route is None:
            self.answer(404, {"msg": "接口不存在"})
        else:
            route(self, query, self.server.hits[url.path])

    def answer(
        self,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)


Route = Callable[[Handler, dict[str, str], int], None]


def paged(h: Handler, q: dict[str, str], hit: int) -> None:
    if h.headers.get("Authorization") != TOKEN:
        h.answer(401, {"code": 401, "msg": "未登录"})
        return
    page, size = int(q["page"]), int(q["size"])
    records = PEOPLE[(page - 1) * size : page * size]
    h.answer(200, {"code": 0, "data": {"records": records, "total": len(PEOPLE)}})


def by_offset(h: Handler, q: dict[str, str], hit: int) -> None:
    offset, limit = int(q["offset"]), int(q["limit"])
    h.answer(200, PEOPLE[offset : offset + limit])


def by_cursor(h: Handler, q: dict[str, str], hit: int) -> None:
    start, size = int(q.get("cursor", "0")), int(q["size"])
    end = start + size
    following = str(end) if end < len(PEOPLE) else None
    h.answer(200, {"data": {"items": PEOPLE[start:end], "next": following}})


def flaky(h: Handler, q: dict[str, str], hit: int) -> None:
    if hit == 1:
        h.answer(500, {"msg": "服务器内部错误"})
    else:
        h.answer(200, [{"ok": "好"}])


def busy(h: Handler, q: dict[str, str], hit: int) -> None:
    if hit == 1:
        h.answer(429, {"msg": "请求过于频繁"}, headers={"Retry-After": q.get("wait", "7")})
    else:
        h.answer(200, [{"ok": "好"}])


def broken(h: Handler, q: dict[str, str], hit: int) -> None:
    h.answer(503, {"msg": "维护中"})


def html(h: Handler, q: dict[str, str], hit: int) -> None:
    h.answer(200, "<html>请先登录</html>".encode(), content_type="text/html; charset=utf-8")


def slow(h: Handler, q: dict[str, str], hit: int) -> None:
    time.sleep(0.5)
    h.answer(200, [])


def resource(id: str, name: str, fmt: str, url: str) -> dict[str, str]:
    return {"id": id, "name": name, "format": fmt, "url": url, "description": ""}


def package_show(h: Handler, q: dict[str, str], hit: int) -> None:
    base = h.server.base
    files = f"{base}/ckan/files"
    resources = {
        "jumin-huji": [
            resource("r-pdf", "说明", "PDF", f"{files}/readme.pdf"),
            resource("r-csv", "居民名册", "CSV", f"{files}/jumin.csv"),
            resource("r-xlsx", "汇总表", "XLSX", "/ckan/files/huizong.xlsx"),  # relative
        ],
        "only-pdf": [
            resource("p1", "报告", "PDF", f"{files}/a.pdf"),
            resource("z1", "附件", "ZIP", f"{files}/a.zip"),
        ],
        "elsewhere": [
            resource("e1", "外部", "csv", files.replace("127.0.0.1", "localhost") + "/jumin.csv"),
        ],
    }
    dataset = q.get("id", "")
    help_url = f"{base}/api/3/action/help_show?name=package_show"
    if dataset == "private" and h.headers.get("Authorization") != "ckan-key-1":
        error = {"__type": "Authorization Error", "message": "Access denied"}
        h.answer(403, {"help": help_url, "success": False, "error": error})
        return
    found = resources.get("jumin-huji" if dataset == "private" else dataset)
    if found is None:
        error = {"__type": "Not Found Error", "message": "Not found"}
        h.answer(404, {"help": help_url, "success": False, "error": error})
        return
    result = {"id": f"id-{dataset}", "name": dataset, "title": "居民名册", "resources": found}
    h.answer(200, {"help": help_url, "success": True, "result": result})


def ckan_file(h: Handler, q: dict[str, str], hit: int) -> None:
    name = urlsplit(h.path).path.rsplit("/", 1)[1]
    body = {"jumin.csv": CSV_BYTES, "huizong.xlsx": XLSX_BYTES}.get(name)
    if body is None:
        h.answer(404, b"not found", content_type="text/plain")
    else:
        h.answer(200, body, content_type="application/octet-stream")


ROUTES: dict[str, Route] = {
    "/page": paged,
    "/offset": by_offset,
    "/cursor": by_cursor,
    "/flaky": flaky,
    "/busy": busy,
    "/broken": broken,
    "/html": html,
    "/slow": slow,
    "/ckan/api/3/action/package_show": package_show,
}


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries record their waits here instead of sleeping."""
    waits: list[float] = []
    monkeypatch.setattr(http_connector, "sleep", waits.append)
    return waits


def read_lines(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def fetch_http(tmp_path: Path, **config: Any) -> Any:
    return HttpConnector.fetch(config, tmp_path / "work")


# HTTP JSON API ------------------------------------------------------------------------------


def test_it_walks_numbered_pages_and_keeps_chinese_text(upstream: Upstream, tmp_path: Path) -> None:
    fetched = fetch_http(
        tmp_path,
        url=f"{upstream.base}/page",
        items_path="data.records",
        paging={"style": "page", "size": 10},
        headers={"Authorization": TOKEN},
    )
    assert fetched.format == "jsonl"
    assert fetched.path == tmp_path / "work" / "http.jsonl"
    assert read_lines(fetched.path) == PEOPLE
    assert "居民1号" in fetched.path.read_text(encoding="utf-8")  # not \\u escapes
    assert [q["page"] for q in upstream.queries["/page"]] == ["1", "2", "3"]
    assert fetched.notes == ["23 items from 3 pages"]


def test_it_stops_on_an_empty_page_when_the_last_page_is_full(
    upstream: Upstream, tmp_path: Path
) -> None:
    fetched = fetch_http(
        tmp_path,
        url=f"{upstream.base}/page",
        items_path="data.records",
        paging={"style": "page", "size": 23},
        headers={"Authorization": TOKEN},
    )
    assert len(read_lines(fetched.path)) == 23
    assert upstream.hits["/page"] == 2


def test_it_walks_offsets_of_a_bare_list_keeping_the_urls_own_query(
    upstream: Upstream, tmp_path: Path
) -> None:
    fetched = fetch_http(
        tmp_path,
        url=f"{upstream.base}/offset?region=990102001000",
        items_path="",
        paging={"style": "offset", "size": 5},
        params={"类别": "户籍"},
    )
    assert read_lines(fetched.path) == PEOPLE
    queries = upstream.queries["/offset"]
    assert [q["offset"] for q in queries] == ["0", "5", "10", "15", "20"]
    assert all(q["region"] == "990102001000" and q["类别"] == "户籍" for q in queries)


def test_it_follows_cursors_until_there_is_no_next_one(upstream: Upstream, tmp_path: Path) -> None:
    fetched = fetch_http(
        tmp_path,
        url=f"{upstream.base}/cursor",
        items_path="data.items",
        paging={"style": "cursor", "size": 10, "next_cursor_path": "data.next"},
    )
    assert read_lines(fetched.path) == PEOPLE
    assert [q.get("cursor") for q in upstream.queries["/cursor"]] == [None, "10", "20"]


def test_it_fails_at_once_without_authorization_and_hides_the_token(
    upstream: Upstream, tmp_path: Path, sleeps: list[float]
) -> None:
    config = {"url": f"{upstream.base}/page", "items_path": "data.records"}
    with pytest.raises(IngestError, match="HTTP 401") as caught:
        fetch_http(tmp_path, **config, paging={"style": "page"})
    assert "未登录" in str(caught.value)  # the upstream's own reason
    assert "page 1 of http://127.0.0.1" in str(caught.value)
    assert upstream.hits["/page"] == 1 and sleeps == []

    headers = {"Authorization": "Bearer wrong-token"}
    with pytest.raises(IngestError) as caught:
        fetch_http(tmp_path, **config, paging={"style": "page"}, headers=headers)
    assert "wrong-token" not in str(caught.value)


def test_it_retries_a_server_error_and_then_succeeds(
    upstream: Upstream, tmp_path: Path, sleeps: list[float]
) -> None:
    fetched = fetch_http(tmp_path, url=f"{upstream.base}/flaky")
    assert read_lines(fetched.path) == [{"ok": "好"}]
    assert upstream.hits["/flaky"] == 2
    assert sleeps == [1.0]


def test_it_waits_as_long_as_retry_after_says(
    upstream: Upstream, tmp_path: Path, sleeps: list[float]
) -> None:
    fetch_http(tmp_path, url=f"{upstream.base}/busy")
    assert upstream.hits["/busy"] == 2
    assert sleeps == [7.0]


def test_it_caps_a_very_long_retry_after(
    upstream: Upstream, tmp_path: Path, sleeps: list[float]
) -> None:
    fetch_http(tmp_path, url=f"{upstream.base}/busy?wait=86400")
    assert sleeps == [http_connector.MAX_WAIT]


def test_it_gives_up_after_the_retries_with_exponential_backoff(
    upstream: Upstream, tmp_path: Path, sleeps: list[float]
) -> None:
    with pytest.raises(IngestError, match=r"HTTP 503 .*gave up after 3 attempts"):
        fetch_http(tmp_path, url=f"{upstream.base}/broken", retries=2, backoff=0.5)
    assert upstream.hits["/broken"] == 3
    assert sleeps == [0.5, 1.0]


def test_it_retries_when_nothing_listens(tmp_path: Path, sleeps: list[float]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(IngestError, match=r"connection failed.*gave up after 3 attempts"):
        fetch_http(tmp_path, url=f"http://127.0.0.1:{port}/x", retries=2)
    assert sleeps == [1.0, 2.0]


def test_it_reports_a_timeout(upstream: Upstream, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"timed out; gave up after 1 attempt$"):
        fetch_http(tmp_path, url=f"{upstream.base}/slow", timeout=0.1, retries=0)


def test_a_404_fails_at_once_naming_the_url(
    upstream: Upstream, tmp_path: Path, sleeps: list[float]
) -> None:
    with pytest.raises(IngestError) as caught:
        fetch_http(tmp_path, url=f"{upstream.base}/gone", retries=5)
    message = str(caught.value)
    assert f"page 1 of {upstream.base}/gone" in message
    assert "HTTP 404 Not Found" in message and "接口不存在" in message
    assert upstream.hits["/gone"] == 1 and sleeps == []


def test_a_non_json_answer_names_the_page(upstream: Upstream, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"page 1 of .*/html: the answer is not JSON \(text/html"):
        fetch_http(tmp_path, url=f"{upstream.base}/html")


def test_a_wrong_items_path_names_the_page_and_the_path(upstream: Upstream, tmp_path: Path) -> None:
    with pytest.raises(IngestError) as caught:
        fetch_http(
            tmp_path,
            url=f"{upstream.base}/page",
            items_path="data.rows",
            paging={"style": "page", "size": 10},
            headers={"Authorization": TOKEN},
        )
    message = str(caught.value)
    assert "page 1 of" in message and "items_path 'data.rows' not found" in message
    assert "at data the keys are: records, total" in message  # keys only: values may be PII


def test_items_path_must_lead_to_a_list(upstream: Upstream, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="items_path 'data' holds a dict, not a list"):
        fetch_http(tmp_path, url=f"{upstream.base}/cursor?size=5", items_path="data")


def test_it_refuses_to_go_past_max_pages(upstream: Upstream, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="still more pages after max_pages=2"):
        fetch_http(
            tmp_path,
            url=f"{upstream.base}/page",
            items_path="data.records",
            paging={"style": "page", "size": 5},
            headers={"Authorization": TOKEN},
            max_pages=2,
        )


# SQL: PostgreSQL ----------------------------------------------------------------------------

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MYSQL_URL = "mysql://root@127.0.0.1:3306/test"
ROWS = 10_050
PASSWORD = "Zx9-very-secret"


@pytest.fixture
def pg() -> Iterator[Any]:
    import psycopg

    try:
        conn = psycopg.connect(PG_URL, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL unreachable at {PG_URL}: {exc}")
    with conn:
        yield conn


@pytest.fixture
def pg_table(pg: Any) -> Iterator[str]:
    table = f"shequ_test_{uuid.uuid4().hex[:12]}"
    pg.execute(
        f"CREATE TABLE {table} (id integer PRIMARY KEY, name text NOT NULL, born date, "
        "seen timestamptz, amount numeric(12, 2), note text, flag boolean, photo bytea)"
    )
    pg.execute(f"CREATE SEQUENCE {table}_seq")
    pg.execute(
        f"INSERT INTO {table} SELECT i, '居民' || i, date '1950-01-01' + i, "
        "timestamptz '2024-01-01 08:00:00+08' + i * interval '1 minute', i * 1.25, "
        "CASE WHEN i % 10 = 0 THEN NULL ELSE '备注' || i END, i % 2 = 0, "
        "CASE WHEN i = 1 THEN '\\x00ff'::bytea END "
        f"FROM generate_series(1, {ROWS}) AS i"
    )
    yield table
    pg.execute(f"DROP TABLE IF EXISTS {table}")
    pg.execute(f"DROP SEQUENCE IF EXISTS {table}_seq")


def rows_by_id(path: Path) -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in pq.read_table(path).to_pylist()}


def test_postgresql_table_arrives_in_batches_with_its_values(pg_table: str, tmp_path: Path) -> None:
    config = {"url": PG_URL, "table": f"public.{pg_table}", "batch_size": 1000}
    fetched = SqlConnector.fetch(config, tmp_path)
    assert fetched.format == "parquet" and fetched.path == tmp_path / "sql.parquet"
    assert fetched.notes[0] == f"{ROWS} rows"
    parquet = pq.ParquetFile(fetched.path)
    assert parquet.metadata.num_rows == ROWS
    assert parquet.num_row_groups == 11  # one per fetchmany batch: memory stays bounded
    schema = parquet.schema_arrow
    assert schema.field("born").type == pa.date32()
    assert schema.field("seen").type == pa.timestamp("us", tz="UTC")
    assert schema.field("amount").type == pa.string()  # numeric kept exact
    rows = rows_by_id(fetched.path)
    assert rows[1] == {
        "id": 1,
        "name": "居民1",
        "born": dt.date(1950, 1, 2),
        "seen": dt.datetime(2024, 1, 1, 0, 1, tzinfo=dt.UTC),
        "amount": "1.25",
        "note": "备注1",
        "flag": False,
        "photo": "00ff",
    }
    assert rows[10]["note"] is None and rows[10]["photo"] is None
    assert rows[ROWS]["amount"] == str(Decimal("1.25") * ROWS)


def test_postgresql_query_is_read_with_comments_and_a_final_semicolon(
    pg_table: str, tmp_path: Path
) -> None:
    query = (
        f"-- 前 2500 户\nSELECT id, name FROM {pg_table} WHERE id <= 2500 /* 锦绣 */ ORDER BY id;"
    )
    fetched = SqlConnector.fetch({"url": PG_URL, "query": query, "batch_size": 1000}, tmp_path)
    table = pq.read_table(fetched.path)
    assert table.column_names == ["id", "name"]
    assert table.num_rows == 2500
    assert table.column("name")[2499].as_py() == "居民2500"


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM {t}",
        "SELECT 1; DROP TABLE {t}",
        "WITH gone AS (DELETE FROM {t} RETURNING *) SELECT * FROM gone",
        "SELECT * INTO copy_of_it FROM {t}",
    ],
)
def test_postgresql_writing_queries_are_refused_and_change_nothing(
    pg: Any, pg_table: str, tmp_path: Path, query: str
) -> None:
    config = {"url": PG_URL, "query": query.format(t=pg_table)}
    with pytest.raises(ValidationError) as invalid:
        SqlConnector.validate_config(config)
    assert set(invalid.value.message_dict) == {"query"}
    with pytest.raises(IngestError, match="invalid configuration: query"):
        SqlConnector.fetch(config, tmp_path)
    assert pg.execute(f"SELECT count(*) FROM {pg_table}").fetchone() == (ROWS,)


def test_postgresql_runs_the_query_in_a_read_only_transaction(
    pg: Any, pg_table: str, tmp_path: Path
) -> None:
    query = f"SELECT nextval('{pg_table}_seq')"  # passes the simple check, yet writes
    with pytest.raises(IngestError, match="read-only transaction"):
        SqlConnector.fetch({"url": PG_URL, "query": query}, tmp_path)
    assert pg.execute(f"SELECT is_called FROM {pg_table}_seq").fetchone() == (False,)
    assert not (tmp_path / "sql.parquet").exists()


def test_postgresql_duplicate_names_and_odd_types_become_text(pg: Any, tmp_path: Path) -> None:
    query = (
        'SELECT 1 AS a, 2 AS a, \'{"社区": "锦绣"}\'::jsonb AS j, ARRAY[1, 2] AS arr, '
        "'NaN'::numeric AS nan, 3.0e-10::numeric AS small"
    )
    fetched = SqlConnector.fetch({"url": PG_URL, "query": query}, tmp_path)
    assert pq.read_table(fetched.path).to_pylist() == [
        {"a": 1, "a_2": 2, "j": '{"社区": "锦绣"}', "arr": "[1, 2]", "nan": "NaN",
         "small": "0.00000000030"}
    ]  # fmt: skip
    assert fetched.notes == ["1 row", "column 'a' renamed 'a_2'"]


def test_postgresql_errors_never_show_the_password(pg: Any, tmp_path: Path) -> None:
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/shequ_no_such_db"
    with pytest.raises(IngestError) as caught:
        SqlConnector.fetch({"url": url, "table": "residents"}, tmp_path)
    message = str(caught.value)
    assert 'database "shequ_no_such_db" does not exist' in message
    assert PASSWORD not in message
    assert "postgresql://postgres:***@127.0.0.1:5432/shequ_no_such_db" in message


def test_postgresql_missing_table_is_named(pg: Any, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r'relation "public\.shequ_absent" does not exist'):
        SqlConnector.fetch({"url": PG_URL, "table": "public.shequ_absent"}, tmp_path)


# SQL: MySQL / MariaDB -----------------------------------------------------------------------


@pytest.fixture
def my() -> Iterator[Any]:
    import pymysql

    try:
        conn = pymysql.connect(
            host="127.0.0.1", user="root", password="", database="test", charset="utf8mb4",
            connect_timeout=3, autocommit=True,
        )  # fmt: skip
    except pymysql.MySQLError as exc:
        skip_or_fail(f"MySQL/MariaDB unreachable at {MYSQL_URL}: {exc}")
    yield conn
    conn.close()


@pytest.fixture
def my_table(my: Any) -> Iterator[str]:
    table = f"shequ_test_{uuid.uuid4().hex[:12]}"
    with my.cursor() as cur:
        cur.execute(
            f"CREATE TABLE {table} (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, born DATE, "
            "seen DATETIME, amount DECIMAL(12, 2), note VARCHAR(40), flag TINYINT(1), "
            "photo BLOB) DEFAULT CHARSET=utf8mb4"
        )
        rows = [
            (
                i,
                f"居民{i}",
                dt.date(1950, 1, 1) + dt.timedelta(days=i),
                dt.datetime(2024, 1, 1, 8) + dt.timedelta(minutes=i),
                Decimal("1.25") * i,
                None if i % 10 == 0 else f"备注{i}",
                i % 2 == 0,
                b"\x00\xff" if i == 1 else None,
            )
            for i in range(1, ROWS + 1)
        ]
        cur.executemany(
            f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows
        )  # fmt: skip
    yield table
    with my.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")


def my_count(my: Any, table: str) -> int:
    with my.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        return int(cur.fetchone()[0])


def test_mysql_table_arrives_in_batches_with_its_values(my_table: str, tmp_path: Path) -> None:
    config = {"url": MYSQL_URL, "table": f"test.{my_table}", "batch_size": 1000}
    fetched = SqlConnector.fetch(config, tmp_path)
    assert fetched.format == "parquet"
    parquet = pq.ParquetFile(fetched.path)
    assert parquet.metadata.num_rows == ROWS
    assert parquet.num_row_groups == 11
    assert parquet.schema_arrow.field("born").type == pa.date32()
    assert parquet.schema_arrow.field("seen").type == pa.timestamp("us")
    rows = rows_by_id(fetched.path)
    assert rows[1] == {
        "id": 1,
        "name": "居民1",
        "born": dt.date(1950, 1, 2),
        "seen": dt.datetime(2024, 1, 1, 8, 1),
        "amount": "1.25",
        "note": "备注1",
        "flag": 0,
        "photo": "00ff",
    }
    assert rows[10]["note"] is None and rows[2]["flag"] == 1


def test_mysql_query_is_read(my_table: str, tmp_path: Path) -> None:
    query = f"SELECT id, name AS 姓名 FROM {my_table} WHERE id <= 2500 # 前 2500 户\nORDER BY id"
    fetched = SqlConnector.fetch({"url": MYSQL_URL, "query": query, "batch_size": 1000}, tmp_path)
    table = pq.read_table(fetched.path)
    assert table.column_names == ["id", "姓名"]
    assert table.num_rows == 2500
    assert table.column("姓名")[0].as_py() == "居民1"


def test_mysql_unsigned_bigints_and_times_survive(my: Any, tmp_path: Path) -> None:
    query = "SELECT 18446744073709551615 AS big, CAST('-838:59:59' AS TIME) AS t"
    fetched = SqlConnector.fetch({"url": MYSQL_URL, "query": query}, tmp_path)
    assert pq.read_table(fetched.path).to_pylist() == [
        {"big": 18446744073709551615, "t": "-838:59:59"}
    ]
    assert fetched.notes == ["1 row"]


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM {t}",
        "SELECT 1; DROP TABLE {t}",
        "SELECT 1 /*!50000 ; DROP TABLE {t} */",
        "SELECT * FROM {t} INTO OUTFILE '/tmp/shequ.csv'",
    ],
)
def test_mysql_writing_queries_are_refused_and_change_nothing(
    my: Any, my_table: str, tmp_path: Path, query: str
) -> None:
    config = {"url": MYSQL_URL, "query": query.format(t=my_table)}
    with pytest.raises(IngestError, match="invalid configuration: query"):
        SqlConnector.fetch(config, tmp_path)
    assert my_count(my, my_table) == ROWS


def test_mysql_errors_never_show_the_password(my: Any, tmp_path: Path) -> None:
    url = f"mysql://root:{PASSWORD}@127.0.0.1:3306/test"
    with pytest.raises(IngestError) as caught:
        SqlConnector.fetch({"url": url, "table": "residents"}, tmp_path)
    message = str(caught.value)
    assert "error 1045: Access denied for user 'root'" in message
    assert PASSWORD not in message and "mysql://root:***@127.0.0.1:3306/test" in message


def test_mysql_missing_table_is_named(my: Any, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"error 1146: Table 'test.shequ_absent' doesn't exist"):
        SqlConnector.fetch({"url": MYSQL_URL, "table": "shequ_absent"}, tmp_path)


def test_the_read_only_check_looks_past_literals_and_comments() -> None:
    assert read_only_problem("SELECT 'DELETE; DROP' AS x -- drop\n") is None
    assert read_only_problem('SELECT "update" FROM t') is None
    assert read_only_problem("WITH a AS (SELECT 1) SELECT * FROM a") is None
    assert read_only_problem("SELECT $$;drop$$") is None
    assert read_only_problem("SELECT 'it''s' ; ") is None
    sneaky = "SELECT 'a\\'; DROP TABLE t; -- '"  # backslash escapes the quote in MySQL only
    assert read_only_problem(sneaky, "mysql") is None
    assert read_only_problem(sneaky, "postgresql") == "Only one statement is allowed."
    assert read_only_problem("/* SELECT */ UPDATE t SET a = 1") is not None
    assert read_only_problem("SELECT 'unclosed") is not None


# CKAN ---------------------------------------------------------------------------------------


def ckan(upstream: Upstream, tmp_path: Path, **config: Any) -> Any:
    return CkanConnector.fetch({"url": f"{upstream.base}/ckan/", **config}, tmp_path)


def test_ckan_picks_the_first_readable_resource(upstream: Upstream, tmp_path: Path) -> None:
    fetched = ckan(upstream, tmp_path, dataset="jumin-huji")
    assert fetched.format == "csv"
    assert fetched.path == tmp_path / "jumin.csv"
    assert fetched.path.read_bytes() == CSV_BYTES
    assert fetched.name == f"{upstream.base}/ckan/files/jumin.csv"
    assert "resource 居民名册 (r-csv)" in fetched.notes[0]
    assert upstream.queries["/ckan/api/3/action/package_show"] == [{"id": "jumin-huji"}]


def test_ckan_picks_a_resource_by_id_or_by_name(upstream: Upstream, tmp_path: Path) -> None:
    by_id = ckan(upstream, tmp_path / "a", dataset="jumin-huji", resource="r-xlsx")
    by_name = ckan(upstream, tmp_path / "b", dataset="jumin-huji", resource="汇总表")
    for fetched in (by_id, by_name):
        assert fetched.format == "xlsx"
        assert fetched.path.name == "huizong.xlsx"
        assert fetched.path.read_bytes() == XLSX_BYTES
    assert by_id.name == f"{upstream.base}/ckan/files/huizong.xlsx"  # relative url resolved


def test_ckan_unknown_resource_lists_what_the_dataset_has(
    upstream: Upstream, tmp_path: Path
) -> None:
    with pytest.raises(IngestError, match=r"no resource '户籍'; it has: 说明 \(r-pdf, PDF\)"):
        ckan(upstream, tmp_path, dataset="jumin-huji", resource="户籍")


def test_ckan_success_false_is_reported_with_ckans_reason(
    upstream: Upstream, tmp_path: Path, sleeps: list[float]
) -> None:
    with pytest.raises(IngestError) as caught:
        ckan(upstream, tmp_path, dataset="no-such-dataset")
    message = str(caught.value)
    assert "dataset 'no-such-dataset'" in message
    assert "HTTP 404" in message and "Not Found Error: Not found" in message
    assert sleeps == []


def test_ckan_without_a_readable_format_lists_the_formats_found(
    upstream: Upstream, tmp_path: Path
) -> None:
    with pytest.raises(
        IngestError, match="has no CSV/XLSX/XLS/JSON resource; formats found: PDF, ZIP"
    ):
        ckan(upstream, tmp_path, dataset="only-pdf")


def test_ckan_sends_the_api_key_to_the_portal(upstream: Upstream, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="Authorization Error: Access denied"):
        ckan(upstream, tmp_path, dataset="private")
    fetched = ckan(upstream, tmp_path, dataset="private", api_key="ckan-key-1")
    assert fetched.path.read_bytes() == CSV_BYTES
    assert upstream.auth_seen["/ckan/files/jumin.csv"] == "ckan-key-1"


def test_ckan_keeps_the_api_key_from_other_hosts(upstream: Upstream, tmp_path: Path) -> None:
    fetched = ckan(upstream, tmp_path, dataset="elsewhere", api_key="ckan-key-1")
    assert fetched.path.read_bytes() == CSV_BYTES
    assert upstream.auth_seen["/ckan/api/3/action/package_show"] == "ckan-key-1"
    assert upstream.auth_seen["/ckan/files/jumin.csv"] is None


# Drop folder --------------------------------------------------------------------------------


def drop(folder: Path, name: str, age: float, body: bytes = b"x") -> Path:
    path = folder / name
    path.write_bytes(body)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "共享目录"
    folder.mkdir()
    drop(folder, "b.csv", 100)
    drop(folder, "a.xlsx", 200)
    drop(folder, "c.json", 50)
    drop(folder, "fresh.csv", 0)  # still being copied, perhaps
    for name in (".hidden.csv", "d.csv.part", "e.tmp", "~$f.xlsx", "g.pdf"):
        drop(folder, name, 300)
    (folder / "sub.csv").mkdir()
    return folder


def test_folder_lists_settled_files_oldest_first(inbox: Path) -> None:
    assert FolderConnector.pending({"path": str(inbox)}) == [
        inbox / "a.xlsx",
        inbox / "b.csv",
        inbox / "c.json",
    ]
    assert FolderConnector.pending({"path": str(inbox), "pattern": "*.csv"}) == [inbox / "b.csv"]


def test_folder_takes_an_unsettled_file_once_it_has_settled(inbox: Path) -> None:
    later = time.time() + 5
    assert inbox / "fresh.csv" in FolderConnector.pending({"path": str(inbox)}, now=later)
    config = {"path": str(inbox), "settle_seconds": 0}
    assert inbox / "fresh.csv" in FolderConnector.pending(config)


def test_folder_fetch_returns_the_oldest_file_in_place(inbox: Path, tmp_path: Path) -> None:
    fetched = FolderConnector.fetch({"path": str(inbox)}, tmp_path / "work")
    assert fetched.path == inbox / "a.xlsx" and fetched.format == "xlsx"
    assert fetched.notes == [
        f"2 more file(s) waiting in {inbox}",
        "ignored files of unknown type: g.pdf",
    ]
    assert not (tmp_path / "work").exists()  # no copy


def test_folder_mark_done_moves_the_file_and_keeps_an_earlier_namesake(inbox: Path) -> None:
    config = {"path": str(inbox)}
    first = FolderConnector.mark_done(config, inbox / "a.xlsx")
    assert first == inbox / "done" / "a.xlsx" and first.exists()
    assert FolderConnector.pending(config)[0] == inbox / "b.csv"

    drop(inbox, "a.xlsx", 500, b"second")
    second = FolderConnector.mark_done(config, inbox / "a.xlsx")
    assert second.parent == inbox / "done" and second.name.startswith("a.")
    assert second.suffix == ".xlsx" and second != first
    assert second.read_bytes() == b"second" and first.read_bytes() == b"x"


def test_folder_mark_failed_and_a_custom_done_dir(inbox: Path, tmp_path: Path) -> None:
    config = {"path": str(inbox), "done_dir": str(tmp_path / "归档"), "failed_dir": "bad"}
    assert FolderConnector.mark_done(config, inbox / "b.csv") == tmp_path / "归档" / "b.csv"
    assert FolderConnector.mark_failed(config, inbox / "c.json") == inbox / "bad" / "c.json"


def test_folder_refuses_to_move_a_file_from_elsewhere(inbox: Path, tmp_path: Path) -> None:
    stranger = drop(tmp_path, "other.csv", 100)
    with pytest.raises(IngestError, match="is not a file of this folder"):
        FolderConnector.mark_done({"path": str(inbox)}, stranger)


def test_an_empty_folder_has_nothing_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(NothingToFetch, match="no settled file matching"):
        FolderConnector.fetch({"path": str(tmp_path)}, tmp_path / "work")
    with pytest.raises(IngestError, match="not a directory"):
        FolderConnector.pending({"path": str(tmp_path / "missing")})


# Single file --------------------------------------------------------------------------------


def test_file_takes_its_format_from_the_extension_or_the_config(tmp_path: Path) -> None:
    path = drop(tmp_path, "居民名册.XLSX", 0)
    fetched = FileConnector.fetch({"path": str(path)}, tmp_path / "work")
    assert (fetched.path, fetched.format, fetched.name) == (path, "xlsx", "居民名册.XLSX")
    upload = drop(tmp_path, "upload-7f3a", 0)
    config = {"path": str(upload), "format": "csv", "name": "名册.csv"}
    fetched = FileConnector.fetch(config, tmp_path / "work")
    assert (fetched.format, fetched.name) == ("csv", "名册.csv")


def test_file_that_is_missing_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="not found"):
        FileConnector.fetch({"path": str(tmp_path / "gone.csv")}, tmp_path)


# Configuration and registry -----------------------------------------------------------------


def bad_keys(connector: Any, config: Any) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        connector.validate_config(config)
    return set(caught.value.message_dict)


def test_validate_config_names_the_bad_key() -> None:
    assert bad_keys(HttpConnector, {"items_path": "data"}) == {"url"}
    assert bad_keys(HttpConnector, {"url": "ftp://example.org/x"}) == {"url"}
    assert bad_keys(HttpConnector, {"url": "http://x", "paging": {"style": "sideways"}}) == {
        "paging"
    }
    assert bad_keys(HttpConnector, {"url": "http://x", "item_path": "data"}) == {"item_path"}
    assert bad_keys(HttpConnector, {"url": "http://x", "retries": -1, "timeout": "30"}) == {
        "retries",
        "timeout",
    }
    assert bad_keys(SqlConnector, {"table": "residents"}) == {"url"}
    assert bad_keys(SqlConnector, {"url": "oracle://h/db", "table": "t"}) == {"url"}
    assert bad_keys(SqlConnector, {"url": PG_URL, "table": "residents; DROP TABLE x"}) == {"table"}
    assert bad_keys(SqlConnector, {"url": PG_URL, "table": "a.b.c"}) == {"table"}
    assert bad_keys(SqlConnector, {"url": PG_URL}) == {"query"}
    assert bad_keys(CkanConnector, {"dataset": "jumin"}) == {"url"}
    assert bad_keys(CkanConnector, {"url": "http://x"}) == {"dataset"}
    assert bad_keys(FolderConnector, {"path": "relative/dir"}) == {"path"}
    assert bad_keys(FileConnector, {"path": "/x/report.pdf"}) == {"path"}
    assert bad_keys(FileConnector, "not an object") == {"__all__"}


def test_validate_config_says_what_is_wrong_without_echoing_secrets() -> None:
    with pytest.raises(ValidationError) as caught:
        HttpConnector.validate_config({"url": "http://x", "paging": {"style": "sideways"}})
    assert "'sideways'" in caught.value.message_dict["paging"][0]
    with pytest.raises(ValidationError) as caught:
        HttpConnector.validate_config({"url": "http://x", "headers": {"Authorization": 42}})
    assert "42" not in str(caught.value.message_dict)


def test_validate_config_fills_defaults_and_is_idempotent() -> None:
    http = HttpConnector.validate_config({"url": "https://api.example.cn/v1/residents"})
    assert (http["timeout"], http["retries"], http["backoff"], http["max_pages"]) == (
        30,
        3,
        1.0,
        10000,
    )
    assert http["paging"]["style"] == "none"
    paged = HttpConnector.validate_config({"url": "http://x", "paging": {"style": "page"}})
    assert (paged["paging"]["start"], paged["paging"]["size"]) == (1, 500)
    sql = SqlConnector.validate_config({"url": MYSQL_URL, "table": "jumin"})
    assert sql["batch_size"] == 50000
    folder = FolderConnector.validate_config({"path": f"{settings.DATA_DIR}/drop"})
    assert (folder["pattern"], folder["done_dir"]) == ("*.*", f"{settings.DATA_DIR}/drop/done")
    for connector, config in [
        (HttpConnector, paged),
        (SqlConnector, sql),
        (FolderConnector, folder),
        (CkanConnector, {"url": "http://x", "dataset": "d"}),
        (FileConnector, {"path": f"{settings.DATA_DIR}/a.csv"}),
    ]:
        once = connector.validate_config(config)
        assert connector.validate_config(once) == once


def test_fetch_with_a_bad_config_is_an_ingest_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"http source: invalid configuration: url: This"):
        HttpConnector.fetch({}, tmp_path)


def test_every_source_kind_has_a_connector() -> None:
    assert set(CONNECTORS) == set(ConnectorKind.values)
    assert get_connector("sql") is SqlConnector
    assert SqlConnector.secret_keys == ("url",)
    assert HttpConnector.secret_keys == ("headers",)
    assert CkanConnector.secret_keys == ("api_key",)
    with pytest.raises(KeyError, match="known kinds: ckan, file, folder, http, sql"):
        get_connector("ftp")


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_server_paths_outside_the_import_folders_are_refused(
    kind: str, settings: Any, tmp_path: Path
) -> None:
    settings.HUB_IMPORT_DIRS = [str(tmp_path / "inbox")]
    for path in ("/etc/passwd" if kind == "file" else "/etc", str(tmp_path / "inbox/../var")):
        with pytest.raises(ValidationError) as info:
            get_connector(kind).validate_config({"path": path})
        assert "import folder" in str(info.value.message_dict["path"])
