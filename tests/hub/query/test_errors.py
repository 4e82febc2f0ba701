"""Query errors in the user's language and terms; datasets and fields named by their titles.

Every error of the SQL console, the API and the CLI is a message code with parameters: the line
and column in the SQL as written, the token there, and "did you mean …?" among the datasets the
user may see and the fields they may read. No message shows a library's class or text.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from hub.factories import ELSEWHERE, HOME, SCHEMAS, Hub, hub_category, rows_of
from shequ.core.models import AuditEvent, Region, Role
from shequ.core.services import tokens
from shequ.hub.cli.query import add_query_parser
from shequ.hub.models import Dataset
from shequ.hub.query import QueryError, run_query, run_query_system
from shequ.hub.query.errors import MESSAGES

pytestmark = pytest.mark.django_db

OWN_PEOPLE = sum(1 for r in rows_of("people") if r["region_code"] == HOME)


@pytest.fixture
def titled(hub: Hub) -> Hub:
    """The datasets with Chinese titles, as in the catalog."""
    for key, title in {
        "people": "户籍人口信息",
        "vehicle_registrations": "机动车登记信息",
        "parking_events": "停车记录",
        "parking_lots": "停车场",
        "health_records": "健康档案",
    }.items():
        Dataset.objects.filter(key=key).update(title=title, title_en="")
    return hub


def error_of(user: Any, sql: str, **params: Any) -> QueryError:
    with pytest.raises(QueryError) as caught:
        run_query(user, sql, **params)
    return caught.value


def texts(error: QueryError) -> dict[str, str]:
    with translation.override("zh-hans"):
        zh = error.text
    with translation.override("en"):
        en = error.text
    return {"zh": zh, "en": en}


# ---------------------------------------------------------------------------------------------
# No library internals, in either language
# ---------------------------------------------------------------------------------------------

MALFORMED = [
    "SELECT FROM",
    "SELECT * FROM",
    "SELECT * FROM people WHERE",
    "SELECT (1",
    "SELECT 1)",
    "SELECT 'abc",
    'SELECT "abc',
    "SELEC * FROM people",
    "SELECT * FROM people WHER age = 1",
    "SELECT * FROM people WHERE age BETWEEN 1",
    "SELECT * FROM people WHERE phone = 1 '13900000001'",
    "SELECT * FROM people\nWHERE age >",
    "SELECT * FROM people ORDER BY",
    "SELECT CASE WHEN age > 1 THEN 2 FROM people",
    "SELECT * FROM people LIMIT",
    "SELECT count( FROM people",
    "SELECT * FROM people JOIN ON x",
    "SELECT 1 +",
    "SELECT * FROM (SELECT 1",
    "WITH x AS SELECT 1 SELECT * FROM x",
    "SELECT * FROM people WHERE age IN (1,",
    "SELECT $$",
    "SELECT `a` FROM people",
    "SELECT * FROM people p WHERE p.",
    "SELECT 1 1 1",
    "SELECT * FROM people UNION",
    "SELECT cast(age as) FROM people",
    "SELECT nmae FROM people",
    "SELECT p.nmae FROM people p",
    "SELECT q.name FROM people p",
    "SELECT plate FROM parking_events, vehicle_registrations",
    "SELECT name, count(*) FROM people",
    "SELECT lower(age) FROM people",
    "SELECT CAST(name AS INT) FROM people",
    "SELECT CAST(phone AS INT) FROM people",
    "SELECT age + 'x' FROM people",
    "SELECT * FROM people ORDER BY 50",
    "SELECT * FROM people WHERE age = 'abc'",
    "SELECT sum(name) FROM people",
    "SELECT * FROM people UNION SELECT 1",
    "SELECT strptime(name, '%Y') FROM people",
    "SELECT regexp_matches(name, '(') FROM people",
    "SELECT * FROM peple",
    "SELECT * FROM 户籍人口",
    "SELECT * FROM health_records",
    "SELECT getenv('HOME')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "DROP TABLE people",
    "SELECT 1; SELECT 2",
]
INTERNALS = (
    "sqlglot",
    "<class",
    "Binder Error",
    "Parser Error",
    "Conversion Error",
    "Invalid Input Error",
    "Catalog Error",
    "duckdb",
    "Exception",
    "Token(",
    "TokenType",
    "SENTINEL",
    "Required keyword",
    "expressions.",
    "Values list",
    "object at 0x",
    "Traceback",
)


def test_at_least_thirty_malformed_queries_are_checked() -> None:
    assert len(MALFORMED) >= 30


@pytest.mark.parametrize("sql", MALFORMED)
def test_no_message_shows_library_internals(titled: Hub, sql: str) -> None:
    error = error_of(titled.staff, sql)
    assert error.code in MESSAGES, (error.code, error.message)
    for language, text in texts(error).items():
        for marker in INTERNALS:
            assert marker.lower() not in text.lower(), f"{language}: {text}"
    zh = texts(error)["zh"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.replace("户籍人口", "")), zh


def test_values_of_the_data_are_never_repeated(titled: Hub) -> None:
    # A failed conversion would otherwise show a (masked or clear) value of a row.
    system = run_query_system("SELECT name, phone FROM people LIMIT 5", clear=True, purpose="t")
    values = {v for row in system.rows_json() for v in row}
    for sql in ("SELECT CAST(name AS INT) FROM people", "SELECT CAST(phone AS INT) FROM people"):
        error = error_of(titled.staff, sql)
        assert error.code == "conversion"
        for text in texts(error).values():
            assert "*" not in text and not any(v in text for v in values), text
        with pytest.raises(QueryError) as caught:
            run_query_system(sql, clear=True, purpose="t")
        assert not any(v in caught.value.message for v in values)


# ---------------------------------------------------------------------------------------------
# Where, and which token
# ---------------------------------------------------------------------------------------------


def test_a_parse_error_says_line_column_and_token(titled: Hub) -> None:
    error = error_of(titled.staff, "SELECT age\nFROM people\nWHERE age >")
    assert error.status == 400 and error.code == "syntax_incomplete"
    assert error.where == (3, 11)
    said = texts(error)
    assert "第 3 行第 11 列" in said["zh"] and "“>”" in said["zh"]
    assert "line 3, column 11" in said["en"] and "“>”" in said["en"]


def test_an_unexpected_token_is_named_where_it_is(titled: Hub) -> None:
    error = error_of(titled.staff, "SELECT *\n  FROM people WHER age = 1")
    assert error.code == "syntax_unexpected" and error.where == (2, 20)
    assert "“age”" in texts(error)["zh"]


def test_an_unclosed_quote_is_found(titled: Hub) -> None:
    error = error_of(titled.staff, "SELECT name FROM people\nWHERE name = '张")
    assert error.code == "syntax_unclosed" and error.where == (2, 14)
    assert "张" not in texts(error)["zh"]


def test_a_string_literal_is_not_repeated_as_the_token(titled: Hub) -> None:
    error = error_of(titled.staff, "SELECT * FROM people WHERE phone = 1 '13900000001'")
    assert error.code == "syntax_unexpected" and error.where == (1, 38)
    for text in texts(error).values():
        assert "1390000000" not in text, text


# ---------------------------------------------------------------------------------------------
# Did you mean …?
# ---------------------------------------------------------------------------------------------


def test_an_unknown_column_suggests_the_field_with_its_title(titled: Hub) -> None:
    error = error_of(titled.staff, "SELECT person_id,\n       nmae FROM people")
    assert error.status == 400 and error.code == "unknown_column"
    assert error.where == (2, 8)
    said = texts(error)
    assert "您是不是要找 name (姓名)？" in said["zh"] and "第 2 行第 8 列" in said["zh"]
    assert "Did you mean name (姓名)?" in said["en"]
    # The English test message the existing tests rely on still names the column.
    assert '"nmae" not found' in error.message


def test_a_field_title_close_to_the_written_name_is_suggested(titled: Hub) -> None:
    error = error_of(titled.staff, 'SELECT "手机" FROM people')
    assert [s.name for s in error.suggestions] == ["phone"]


def test_an_unknown_dataset_suggests_by_key_and_by_title(titled: Hub) -> None:
    error = error_of(titled.staff, "SELECT * FROM peple")
    assert error.status == 404 and error.code == "unknown_dataset"
    assert "您是不是要找 people (户籍人口信息)？" in texts(error)["zh"]
    error = error_of(titled.staff, "SELECT * FROM 户籍人口")
    assert [s.name for s in error.suggestions] == ["people"]


def test_a_dataset_the_user_may_not_see_is_never_suggested(titled: Hub, make_user: Any) -> None:
    Dataset.objects.create(
        key="people_private",
        title="户籍人口信息（北山）",
        title_en="",
        category=hub_category(),
        region=Region.objects.get(code=ELSEWHERE),
        tier="street",
        sharing="conditional",
        schema=SCHEMAS["people"],
    )
    for sql in ("SELECT * FROM people_privat", "SELECT * FROM 户籍人口信息（北山"):
        error = error_of(titled.staff, sql)
        assert "people_private" not in {s.name for s in error.suggestions}
        assert "people_private" not in error.message and "（北山）" not in error.message
    # Named exactly, it is as unknown as a dataset that does not exist.
    hidden_error = error_of(titled.staff, "SELECT * FROM people_private")
    ghost_error = error_of(titled.staff, "SELECT * FROM people_ghost")
    assert (hidden_error.status, hidden_error.code) == (ghost_error.status, ghost_error.code)
    assert error_of(titled.staff, "SELECT * FROM 户籍人口信息（北山）").status == 404
    # Someone who may see it is offered it: the test above can fail.
    there = make_user(Role.COMMUNITY_STAFF, ELSEWHERE)
    error = error_of(there, "SELECT * FROM people_privat")
    assert "people_private" in {s.name for s in error.suggestions}


# ---------------------------------------------------------------------------------------------
# Titles as names
# ---------------------------------------------------------------------------------------------


def test_a_chinese_dataset_title_is_a_table_name(titled: Hub) -> None:
    by_key = run_query(titled.staff, "SELECT person_id, phone FROM people ORDER BY 1")
    for sql in (
        "SELECT person_id, phone FROM 户籍人口信息 ORDER BY 1",
        'SELECT person_id, phone FROM "户籍人口信息" ORDER BY 1',
        "SELECT 户籍人口信息.person_id, phone FROM 户籍人口信息 ORDER BY 1",
        "SELECT p.person_id, p.phone FROM 户籍人口信息 AS p ORDER BY 1",
    ):
        result = run_query(titled.staff, sql)
        # The same masked rows of the same region as by key.
        assert result.rows_json() == by_key.rows_json() and result.rows == OWN_PEOPLE, sql
        assert result.datasets == {"people": by_key.datasets["people"]}
    assert all("*" in row[1] for row in by_key.rows_json())


def test_a_title_reaches_only_what_a_key_would(titled: Hub, make_user: Any) -> None:
    error = error_of(titled.staff, "SELECT * FROM 健康档案")
    assert error.status == 403 and error.dataset == "health_records"
    outsider = make_user(Role.COMMUNITY_STAFF, ELSEWHERE)
    assert error_of(outsider, "SELECT * FROM 户籍人口信息").status == 403


def test_ambiguous_dataset_titles_list_the_candidates(titled: Hub) -> None:
    Dataset.objects.filter(key="parking_events").update(title="停车场")
    error = error_of(titled.staff, "SELECT * FROM 停车场")
    assert error.status == 400 and error.code == "ambiguous_dataset"
    zh = texts(error)["zh"]
    assert "parking_events (停车场)" in zh and "parking_lots (停车场)" in zh


def test_a_field_title_is_a_quoted_column_name(titled: Hub) -> None:
    result = run_query(
        titled.staff,
        'SELECT "人员编号", "姓名", 年龄 FROM 户籍人口信息 WHERE "年龄" >= 30 '
        'ORDER BY "人员编号" LIMIT 3',
    )
    assert result.columns == ["人员编号", "姓名", "年龄"]
    expected = run_query(
        titled.staff,
        "SELECT person_id, name, age FROM people WHERE age >= 30 ORDER BY person_id LIMIT 3",
    )
    assert result.rows_json() == expected.rows_json()
    assert all(row[1].endswith("*") for row in result.rows_json())  # still masked


def test_a_field_title_outside_the_grant_does_not_resolve(titled: Hub, make_user: Any) -> None:
    analyst = make_user(Role.COMMUNITY_STAFF, HOME)
    titled.grant(analyst, titled["people"], columns=["person_id", "age", "region_code"])
    error = error_of(analyst, 'SELECT "手机号" FROM people')
    assert error.code == "unknown_column"
    assert "phone" not in {s.name for s in error.suggestions}
    assert "phone" not in texts(error)["zh"]


def test_an_alias_of_the_query_wins_over_a_field_title(titled: Hub) -> None:
    sql = 'WITH x AS (SELECT age AS "姓名" FROM people) SELECT max("姓名") FROM x'
    oldest = run_query(titled.staff, "SELECT max(age) FROM people").rows_json()
    assert run_query(titled.staff, sql).rows_json() == oldest


def test_ambiguous_field_titles_list_the_candidates(titled: Hub) -> None:
    schema = dict(SCHEMAS["parking_lots"])
    schema["fields"] = [dict(f, title="停车场") for f in schema["fields"]]
    Dataset.objects.filter(key="parking_lots").update(schema=schema)
    error = error_of(titled.staff, 'SELECT "停车场" FROM parking_lots')
    assert error.code == "ambiguous_field"
    assert "capacity, lot_id, lot_name" in error.message


# ---------------------------------------------------------------------------------------------
# The console, the API and the CLI speak the user's language
# ---------------------------------------------------------------------------------------------


def console(user: Any, sql: str, language: str = "zh-hans") -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.post("/hub/query/", {"sql": sql})  # only a POST runs the SQL
    assert response.status_code == 200
    return response.content.decode()


def test_the_console_shows_the_error_in_chinese_with_where_and_a_suggestion(titled: Hub) -> None:
    html = console(titled.staff, "SELECT nmae\nFROM 户籍人口信息")
    assert 'data-testid="query-error"' in html
    assert "第 1 行第 8 列" in html and "您是不是要找 name (姓名)？" in html
    assert "<mark>nmae</mark>" in html
    english = console(titled.staff, "SELECT nmae\nFROM 户籍人口信息", "en")
    assert "Line 1, column 8" in english and "Did you mean name (姓名)?" in english


def test_the_console_offers_a_request_for_a_dataset_named_by_title(titled: Hub) -> None:
    # The request link comes from QueryError.dataset, not from parsing an English message.
    html = console(titled.staff, "SELECT * FROM 健康档案")
    assert 'data-testid="query-request-link"' in html and "您没有数据集" in html
    assert 'href="/hub/datasets/health_records/request/"' in html


def api_error(user: Any, sql: str, language: str | None = None) -> tuple[int, str]:
    _token, raw = tokens.issue(user, "test")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    response = Client(**headers).post(
        "/api/v1/hub/query", json.dumps({"sql": sql}), content_type="application/json"
    )
    return response.status_code, response.json()["error"]["message"]


def test_the_api_answers_in_chinese_by_default_and_in_english_on_request(titled: Hub) -> None:
    status, message = api_error(titled.staff, "SELECT * FROM people WHERE")
    assert status == 400 and "SQL 无法解析：第 1 行第 22 列" in message
    status, message = api_error(titled.staff, "SELECT * FROM people WHERE", "en")
    assert "could not be parsed at line 1, column 22" in message
    status, message = api_error(titled.staff, "SELECT * FROM peple")
    assert status == 404 and "people (户籍人口信息)" in message


def test_the_cli_prints_the_error_in_the_platform_language(
    titled: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    root = argparse.ArgumentParser()
    add_query_parser(root.add_subparsers(dest="hub_command", required=True))
    args = root.parse_args(["query", "SELECT nmae FROM 户籍人口信息", "--user", "jinxiu"])
    with translation.override("zh-hans"):
        assert args.hub_func(args) == 1
    err = capsys.readouterr().err
    assert "第 1 行第 8 列" in err and "name (姓名)" in err and "Binder" not in err


def test_a_clear_field_named_by_its_title_is_flagged_and_audited(
    titled: Hub, make_user: Any
) -> None:
    analyst = make_user(Role.COMMUNITY_STAFF, HOME)
    titled.grant(analyst, titled["people"], clear_columns=["name"])
    result = run_query(analyst, 'SELECT "姓名" FROM 户籍人口信息 ORDER BY person_id LIMIT 1')
    assert result.columns == ["姓名"] and result.clear_pii == ["people.name"]
    own = [r["name"] for r in rows_of("people") if r["region_code"] == HOME]
    assert result.rows_json() == [[own[0]]]
    event = AuditEvent.objects.filter(action="hub.query").latest("id")
    assert event.details["clear_pii"] == ["people.name"]


def test_the_position_is_in_the_sql_as_written_after_as_of(titled: Hub) -> None:
    # AS OF VERSION 0 is rewritten to AT (VERSION => 0) before parsing: the column must not move.
    sql = "SELECT * FROM people AS OF VERSION 0 AS p WHER p.age = 1"
    error = error_of(titled.staff, sql)
    assert error.code == "syntax_unexpected"
    assert error.where == (1, sql.index("WHER") + 1), error.message
    sql = "SELECT * FROM people AS OF VERSION 0\nWHERE age >"
    assert error_of(titled.staff, sql).where == (2, 11)


# ---------------------------------------------------------------------------------------------
# SQL that sqlglot alone would repair into another query: refused where it is broken
# ---------------------------------------------------------------------------------------------

# (SQL, message code, the text at the reported line and column). Each of these was accepted
# and run as a different query (an item dropped, a cross join, an alias made of a keyword), or
# failed with the position lost; DuckDB's own parser reads the SQL as written first.
REPAIRED = [
    ("SELECT person_id,, name FROM people", "syntax_unexpected", ", name"),
    ("SELECT person_id,\n       , name\nFROM people", "syntax_unexpected", ", name"),
    ("SELECT p.name FROM people p\nJOIN vehicle_registrations v ON", "syntax_incomplete", "ON"),
    ("SELECT p.name FROM people p JOIN parking_lots l USING", "syntax_incomplete", "USING"),
    ("SELECT p.name FROM people p LEFT JOIN vehicle_registrations v", "syntax_incomplete", "v"),
    ("SELECT region_code FROM people GROUP BY", "syntax_incomplete", "GROUP BY"),
    ("SELECT region_code FROM people GROUP BY ALL,", "syntax_incomplete", ","),
    ("SELECT FROM people", "syntax_no_columns", "FROM"),
    ("SELECT count(*) FROM (SELECT DISTINCT\nFROM people)", "syntax_no_columns", "FROM"),
    ("SELECT DISTINCT ON FROM people", "syntax_unexpected", "FROM"),
    ("SELECT name FROM people OFFSET", "syntax_incomplete", "OFFSET"),
    ("SELECT name FROM people AS", "syntax_incomplete", "AS"),
    ("SELECT count(*) FILTER FROM people", "syntax_unexpected", "FROM"),
    ("SELECT CASE WHEN age > 1 THEN 2 END END FROM people", "syntax_unexpected", "END FROM"),
    ("SELECT name FROM people LIMIT 1, 2", "syntax_unexpected", ", 2"),
    ("SELECT '张三' AS 名,, age FROM 户籍人口信息", "syntax_unexpected", ", age"),
    # Both parsers read these, differently: DuckDB's reading is the one written.
    ("SELECT name FROM people WHERE !(age > 30)", "syntax_expected", "!("),
    ("SELECT !(age > 30) AS young FROM people", "syntax_expected", "!("),
    ("SELECT name FROM people\nWHERE NOT (age > 30 OR name IS NULL,)", "syntax_unexpected", ",)"),
    ("SELECT (age,) AS a FROM people", "syntax_unexpected", ",)"),
    (
        "SELECT p.name FROM people AS OF VERSION 0 AS p JOIN vehicle_registrations v ON",
        "syntax_incomplete",
        "ON",
    ),
]


def at(sql: str, where: tuple[int, int] | None) -> str:
    assert where is not None
    line, col = where
    return sql.splitlines()[line - 1][col - 1 :]


@pytest.mark.parametrize(("sql", "code", "there"), REPAIRED)
def test_sql_that_would_be_repaired_is_refused_where_it_is_broken(
    titled: Hub, sql: str, code: str, there: str
) -> None:
    error = error_of(titled.staff, sql)
    assert (error.status, error.code) == (400, code), error.message
    assert at(sql, error.where).startswith(there), (error.where, error.message)
    line, col = error.where or (0, 0)
    said = texts(error)
    assert f"第 {line} 行第 {col} 列" in said["zh"], said["zh"]
    assert f"line {line}, column {col}" in said["en"].lower(), said["en"]
    assert not AuditEvent.objects.filter(action="hub.query").exists()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT person_id, name, FROM people ORDER BY person_id",
        "SELECT person_id, name FROM people ORDER BY person_id,",
        "SELECT person_id, name FROM people WHERE age IN (30, 40,) OR TRUE ORDER BY person_id",
        "SELECT person_id, name FROM people WHERE name !~~ '%zzz%' ORDER BY person_id",
    ],
)
def test_what_duckdb_reads_as_sqlglot_does_runs_as_written(titled: Hub, sql: str) -> None:
    # DuckDB's own SQL allows a trailing comma in a list, and !~~ is NOT LIKE: the same rows.
    plain = "SELECT person_id, name FROM people ORDER BY person_id"
    assert run_query(titled.staff, sql).rows_json() == run_query(titled.staff, plain).rows_json()


def test_a_version_pin_before_an_alias_still_parses(titled: Hub) -> None:
    # The hub writes people AT (VERSION => 0) AS p; DuckDB alone accepts only people AS p AT (…).
    for sql in (
        "SELECT count(*) FROM people AT (VERSION => 0) AS p",
        "SELECT count(*) FROM people AS OF VERSION 0 AS p",
    ):
        assert run_query(titled.staff, sql).rows_json() == [[OWN_PEOPLE]]
