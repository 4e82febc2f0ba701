"""Ingest integrity (issue 15): a value is stored as what it means, or its row is quarantined
with the reason; never a plausible wrong value, never silently.

Each case is built from a file like the messy ones a street office receives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from people_data import person, quarantine, table_rows

from shequ.core import pii
from shequ.hub.models import Dataset, IngestRun, Source
from shequ.hub.services.runs import ingest_file

SUCCEEDED, FAILED = IngestRun.Status.SUCCEEDED, IngestRun.Status.FAILED
WriteCsv = Callable[..., Path]


def people_rows(n: int, start: int = 1, **changes: Any) -> list[dict[str, Any]]:
    return [person(i, **changes) for i in range(start, start + n)]


# --- keys are unique across the whole table ---------------------------------------------------


def test_an_append_repeating_keys_the_table_holds_quarantines_those_rows(
    people: Dataset, write_csv: WriteCsv
) -> None:
    first = ingest_file(people, write_csv("a.csv", people_rows(995)))
    assert first.status == SUCCEEDED, first.error
    # The next delivery: 20 new people, and one already delivered (with another age).
    rows = [*people_rows(20, start=996), person(7, 年龄="55")]

    run = ingest_file(people, write_csv("b.csv", rows), mode="append")

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_written, run.rows_rejected) == (20, 1)
    assert quarantine(run) == [
        {"row": "21", "column": "person_id", "reason": "already in the table"}
    ]
    assert "1 rows repeat a key the table already holds" in run.log
    ids = [r["person_id"] for r in table_rows("people")]
    assert len(ids) == len(set(ids)) == 1015
    assert next(r for r in table_rows("people") if r["person_id"] == "P0007")["age"] == 27


def test_an_append_of_rows_the_table_holds_fails_saying_why(
    people: Dataset, write_csv: WriteCsv
) -> None:
    assert ingest_file(people, write_csv("a.csv", people_rows(995))).status == SUCCEEDED
    # 1,015 rows, 995 of them with keys already loaded (re-exported with other ages).
    rows = people_rows(995, 年龄="40") + people_rows(20, start=996)

    run = ingest_file(people, write_csv("again.csv", rows), mode="append")

    assert run.status == FAILED
    assert "995 of 1015 rows" in run.error
    assert "995 rows repeat a key the table already holds" in run.error
    assert "upsert" in run.error
    assert len(table_rows("people")) == 995


def test_an_upsert_replaces_the_rows_the_table_holds_and_never_duplicates(
    people: Dataset, write_csv: WriteCsv
) -> None:
    assert ingest_file(people, write_csv("a.csv", people_rows(995))).status == SUCCEEDED
    rows = people_rows(995, 年龄="40") + people_rows(20, start=996)

    run = ingest_file(people, write_csv("again.csv", rows), mode="upsert")

    assert run.status == SUCCEEDED, run.error
    got = table_rows("people")
    assert len(got) == len({r["person_id"] for r in got}) == 1015
    assert {r["age"] for r in got if r["person_id"] <= "P0995"} == {40}


def test_a_unique_field_may_not_repeat_a_value_held_by_another_row(
    people: Dataset, write_csv: WriteCsv, make_source: Callable[..., Source]
) -> None:
    id1 = pii.make_id_number("110101", date(1990, 1, 1), 7)
    id2 = pii.make_id_number("110101", date(1990, 1, 1), 9)
    source = make_source(max_reject_rate=0.5)
    first = ingest_file(
        people,
        write_csv("a.csv", [person(1, 身份证号=id1), person(2, 身份证号=id2)]),
        source=source,
    )
    assert first.status == SUCCEEDED, first.error

    # Append: P0003 carries P0001's ID number.
    run = ingest_file(
        people,
        write_csv("b.csv", [person(3, 身份证号=id1), person(4)]),
        mode="append",
        source=source,
    )
    assert run.status == SUCCEEDED, run.error
    assert quarantine(run) == [
        {"row": "1", "column": "id_number", "reason": "already in the table"}
    ]

    # Upsert: P0001 may keep its own number; P0004 may not take P0002's.
    run = ingest_file(
        people,
        write_csv("c.csv", [person(1, 身份证号=id1, 年龄="60"), person(4, 身份证号=id2)]),
        mode="upsert",
        source=source,
    )
    assert run.status == SUCCEEDED, run.error
    assert quarantine(run) == [
        {"row": "2", "column": "id_number", "reason": "already in the table in another row"}
    ]
    got = {r["person_id"]: (r["id_number"], r["age"]) for r in table_rows("people")}
    assert got["P0001"] == (id1, 60) and got["P0002"][0] == id2 and got["P0004"][0] is None


def test_a_replace_does_not_check_keys_against_the_rows_it_drops(
    people: Dataset, write_csv: WriteCsv
) -> None:
    assert ingest_file(people, write_csv("a.csv", people_rows(30))).status == SUCCEEDED

    run = ingest_file(people, write_csv("b.csv", people_rows(30, 年龄="33")), mode="replace")

    assert run.status == SUCCEEDED, run.error
    assert (run.rows_written, run.rows_rejected) == (30, 0)
    assert {r["age"] for r in table_rows("people")} == {33}
