"""The hub API (/api/v1/hub/…) as a role matrix.

Street staff of 望湖街道 manage the hub; community staff of 锦绣社区 and a district analyst
browse it; a resident may not enter; street staff of another district (北山街道) do not see
望湖街道's datasets. The shipped catalog is loaded for 望湖街道.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from hub.factories import compute_statistics
from shequ.core.models import Role
from shequ.core.services import tokens
from shequ.hub.models import Dataset, DatasetVersion, Grant, IngestRun, Source
from shequ.hub.services.catalog import load_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

BASE = "/api/v1/hub"
DISTRICT = "990102000000"  # 临江区
STREET = "990102001000"  # 望湖街道: the catalog's region
HOME = "990102001001"  # 锦绣社区
SIBLING = "990102001002"  # 和园社区
OTHER_STREET = "990103001000"  # 北山街道, another district
BROWSERS = ("street", "community", "analyst")
CARS = "vehicle_registrations"
SECRET = "s3cret-upstream-token"

CARS_CSV = """plate,vehicle_type,owner_name,owner_phone,region_code
浙A12345,小型汽车,张三,13812345678,990102001001
浙A23456,新能源小型汽车,李四,13912345678,990102001001
浙B34567,小型汽车,王五,13712345678,990102001002
浙B45678,大型汽车,赵六,13612345678,990102001002
"""
# Half the rows break the schema: an unknown vehicle type, a phone that is not one.
HALF_BAD_CSV = """plate,vehicle_type,owner_name,owner_phone,region_code
浙A12345,小型汽车,张三,13812345678,990102001001
浙A23456,飞行汽车,李四,13912345678,990102001001
浙B34567,小型汽车,王五,13712345678,990102001002
浙B45678,大型汽车,赵六,12345,990102001002
"""


@pytest.fixture
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def token_client(user: Any) -> Client:
    _token, raw = tokens.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def catalog(regions: dict[str, Any]) -> None:
    load_catalog(region=regions[STREET])


@pytest.fixture
def users(make_user: Any, catalog: None) -> dict[str, Any]:
    return {
        "street": make_user(Role.STREET_STAFF, STREET),
        "community": make_user(Role.COMMUNITY_STAFF, HOME),
        "analyst": make_user(Role.DEPARTMENT_ANALYST, DISTRICT),
        "resident": make_user(Role.RESIDENT, HOME),
        "other": make_user(Role.STREET_STAFF, OTHER_STREET),
    }


@pytest.fixture
def clients(users: dict[str, Any]) -> dict[str, Client]:
    return {role: token_client(user) for role, user in users.items()}


def assert_error(response: Any, status: int, *fields: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["message"]
    for name in fields:
        assert name in error["fields"], error
    return dict(error)


def upload(client: Client, key: str, text: str, name: str = "cars.csv", **form: str) -> Any:
    data = {"file": SimpleUploadedFile(name, text.encode(), "text/csv"), **form}
    return client.post(f"{BASE}/datasets/{key}/upload", data)


def post_json(client: Client, path: str, payload: Any) -> Any:
    return client.post(path, payload, content_type="application/json")


def dataset_payload(key: str = "parking_survey", **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "title": "停车需求调查",
        "title_en": "Parking demand survey",
        "category": "traffic",
        "region_code": STREET,
        "schema": {
            "fields": [
                {"name": "estate", "type": "string", "constraints": {"required": True}},
                {"name": "demand", "type": "integer", "constraints": {"minimum": 0}},
            ]
        },
        **extra,
    }


def http_source(**extra: Any) -> dict[str, Any]:
    return {
        "dataset": CARS,
        "name": "市交警车辆接口",
        "connector": "http",
        "config": {
            "url": "https://upstream.example/api/vehicles",
            "items_path": "data.records",
            "headers": {"Authorization": f"Bearer {SECRET}"},
        },
        "mode": "upsert",
        "schedule": "30 2 * * *",
        **extra,
    }


# --- who may enter ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/categories",
        "/datasets",
        f"/datasets/{CARS}",
        f"/datasets/{CARS}/versions",
        f"/datasets/{CARS}/sample",
        "/sources",
        "/runs",
    ],
)
def test_a_resident_is_refused_every_hub_endpoint(clients: dict[str, Client], path: str) -> None:
    assert_error(clients["resident"].get(BASE + path), 403)


def test_a_resident_cannot_upload_create_or_trigger(clients: dict[str, Client]) -> None:
    resident = clients["resident"]
    assert_error(upload(resident, CARS, CARS_CSV), 403)
    assert_error(post_json(resident, f"{BASE}/datasets", dataset_payload()), 403)
    assert_error(post_json(resident, f"{BASE}/sources", http_source()), 403)
    assert IngestRun.objects.count() == 0


def test_without_credentials_the_hub_answers_401(catalog: None) -> None:
    assert_error(Client().get(f"{BASE}/datasets"), 401)


# --- categories and datasets ------------------------------------------------------------------


@pytest.mark.parametrize("role", BROWSERS)
def test_browsers_see_ten_categories_and_seventy_two_datasets(
    clients: dict[str, Client], role: str
) -> None:
    categories = clients[role].get(f"{BASE}/categories").json()
    assert len(categories) == 10
    assert categories[0] == {
        "key": "population_housing",
        "name": "人口房屋类",
        "name_en": "Population and housing",
        "dataset_count": 8,
        "rows": 0,
    }
    assert sum(c["dataset_count"] for c in categories) == 72
    page = clients[role].get(f"{BASE}/datasets").json()
    assert page["count"] == 72 and len(page["items"]) == 72


def test_another_districts_staff_see_the_categories_empty(clients: dict[str, Client]) -> None:
    categories = clients["other"].get(f"{BASE}/categories").json()
    assert len(categories) == 10
    assert {c["dataset_count"] for c in categories} == {0}
    assert clients["other"].get(f"{BASE}/datasets").json() == {"items": [], "count": 0}


def test_datasets_filter_by_category(clients: dict[str, Client]) -> None:
    items = clients["community"].get(f"{BASE}/datasets", {"category": "traffic"}).json()["items"]
    assert len(items) == 9
    assert {d["category"] for d in items} == {"traffic"}
    assert CARS in {d["key"] for d in items}


@pytest.mark.parametrize(
    "query",
    [
        "车辆",  # Chinese title and description
        "motor vehicle",  # English title, every word must match
        "owner_phone",  # a column name
        "所有人身份证明号码",  # a column title
    ],
)
def test_dataset_search_matches_titles_descriptions_and_columns(
    clients: dict[str, Client], query: str
) -> None:
    found = clients["analyst"].get(f"{BASE}/datasets", {"q": query}).json()["items"]
    keys = {d["key"] for d in found}
    assert CARS in keys
    assert len(keys) < 72


def test_a_search_for_nothing_known_is_empty(clients: dict[str, Client]) -> None:
    assert clients["street"].get(f"{BASE}/datasets", {"q": "不存在的词 zzz"}).json()["count"] == 0


@pytest.mark.parametrize("role", BROWSERS)
def test_a_dataset_comes_with_its_table_schema(clients: dict[str, Client], role: str) -> None:
    body = clients[role].get(f"{BASE}/datasets/{CARS}").json()
    assert body["title"] == "机动车登记信息"
    assert body["sharing"] == "conditional"
    assert body["region_code"] == STREET
    assert body["schema"]["regionField"] == "region_code"
    plate = body["schema"]["fields"][0]
    assert (plate["name"], plate["pii"], plate["grade"]) == ("plate", "plate", "important")


def test_another_districts_staff_get_404_for_this_streets_dataset(
    clients: dict[str, Client],
) -> None:
    other = clients["other"]
    for path in ("", "/versions", "/sample"):
        assert_error(other.get(f"{BASE}/datasets/{CARS}{path}"), 404)
    assert_error(upload(other, CARS, CARS_CSV), 404)
    assert_error(clients["street"].get(f"{BASE}/datasets/no_such_thing"), 404)


# --- creating and updating datasets -----------------------------------------------------------


def test_street_staff_create_and_update_a_dataset(clients: dict[str, Client]) -> None:
    response = post_json(clients["street"], f"{BASE}/datasets", dataset_payload())
    assert response.status_code == 201, response.content
    assert response.json()["schema"]["fields"][1]["name"] == "demand"
    update = dataset_payload(title="停车需求调查（2025）")
    response = post_json(clients["street"], f"{BASE}/datasets", update)
    assert response.status_code == 201
    assert Dataset.objects.get(key="parking_survey").title == "停车需求调查（2025）"


@pytest.mark.parametrize("role", ["community", "analyst"])
def test_browsers_cannot_create_datasets(clients: dict[str, Client], role: str) -> None:
    assert_error(post_json(clients[role], f"{BASE}/datasets", dataset_payload()), 403)
    assert not Dataset.objects.filter(key="parking_survey").exists()


@pytest.mark.parametrize(
    "schema",
    [
        {"fields": []},
        {"fields": [{"name": "Bad Name"}]},
        {"fields": [{"name": "a", "type": "money"}]},
        {"fields": [{"name": "a"}], "primaryKey": ["b"]},
        {"columns": []},
    ],
)
def test_a_bad_schema_is_a_422_naming_schema(
    clients: dict[str, Client], schema: dict[str, Any]
) -> None:
    create = post_json(clients["street"], f"{BASE}/datasets", dataset_payload(schema=schema))
    assert_error(create, 422, "schema")
    update = dataset_payload(key=CARS, category="traffic", schema=schema)
    assert_error(post_json(clients["street"], f"{BASE}/datasets", update), 422, "schema")
    assert Dataset.objects.get(key=CARS).schema["fields"][0]["name"] == "plate"


def test_another_districts_staff_cannot_take_over_a_dataset_by_its_key(
    clients: dict[str, Client],
) -> None:
    payload = dataset_payload(key=CARS, region_code=OTHER_STREET, title="被改写")
    assert_error(post_json(clients["other"], f"{BASE}/datasets", payload), 403)
    cars = Dataset.objects.get(key=CARS)
    assert (cars.title, cars.region.code if cars.region else None) == ("机动车登记信息", STREET)


# --- upload, versions, sample -----------------------------------------------------------------


def test_street_staff_upload_a_csv_and_get_a_succeeded_run(clients: dict[str, Client]) -> None:
    response = upload(clients["street"], CARS, CARS_CSV, mode="upsert")
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["status"] == "succeeded", run
    assert (run["rows_read"], run["rows_written"], run["rows_rejected"]) == (4, 4, 0)
    assert run["version"] == 0
    assert run["input_name"] == "cars.csv"
    assert len(run["file_hash"]) == 64 and run["bytes_read"] > 0
    assert run["has_quarantine"] is False
    assert Dataset.objects.get(key=CARS).row_count == 4


@pytest.mark.parametrize("role", ["community", "analyst"])
def test_browsers_cannot_upload(clients: dict[str, Client], role: str) -> None:
    assert_error(upload(clients[role], CARS, CARS_CSV), 403)
    assert IngestRun.objects.count() == 0


@pytest.mark.parametrize(
    ("form", "field"),
    [({"mode": "merge"}, "mode"), ({"mode": "upsert"}, "mode")],
)
def test_an_upload_in_an_unknown_or_impossible_mode_is_a_422(
    clients: dict[str, Client], form: dict[str, str], field: str
) -> None:
    post_json(clients["street"], f"{BASE}/datasets", dataset_payload())  # no primary key
    assert_error(
        upload(clients["street"], "parking_survey", "estate,demand\n锦绣,3\n", **form), 422, field
    )
    assert IngestRun.objects.count() == 0


def test_an_upload_with_half_its_rows_bad_fails_and_commits_nothing(
    clients: dict[str, Client],
) -> None:
    run = upload(clients["street"], CARS, HALF_BAD_CSV).json()
    assert run["status"] == "failed"
    assert run["version"] is None
    assert "2 of 4 rows" in run["error"]
    assert run["has_quarantine"] is True
    assert not DatasetVersion.objects.exists()
    cars = Dataset.objects.get(key=CARS)
    assert (cars.version, cars.row_count) == (None, 0)


def test_the_quarantine_file_lists_each_rejected_row_and_why(
    clients: dict[str, Client],
) -> None:
    run = upload(clients["street"], CARS, HALF_BAD_CSV).json()
    response = clients["street"].get(f"{BASE}/runs/{run['id']}/quarantine")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"{CARS}-run-{run['id']}-quarantine.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["row"], r["column"]) for r in rows] == [("2", "vehicle_type"), ("4", "owner_phone")]
    assert "12345" not in rows[1]["reason"]  # a phone number is personal: quoted masked
    # Browsers of the dataset may read it; outsiders may not.
    assert clients["community"].get(f"{BASE}/runs/{run['id']}/quarantine").status_code == 200
    assert_error(clients["other"].get(f"{BASE}/runs/{run['id']}/quarantine"), 404)
    assert_error(clients["resident"].get(f"{BASE}/runs/{run['id']}/quarantine"), 403)


def test_a_run_without_rejects_has_no_quarantine_file(clients: dict[str, Client]) -> None:
    run = upload(clients["street"], CARS, CARS_CSV).json()
    assert_error(clients["street"].get(f"{BASE}/runs/{run['id']}/quarantine"), 404)


def test_versions_carry_stats_and_lineage(clients: dict[str, Client]) -> None:
    first = upload(clients["street"], CARS, CARS_CSV, mode="upsert").json()
    more = CARS_CSV.splitlines()[0] + "\n浙C56789,挂车,钱七,13512345678,990102001001\n"
    second = upload(clients["street"], CARS, more, mode="append").json()
    compute_statistics()  # the job queued at each commit
    versions = clients["street"].get(f"{BASE}/datasets/{CARS}/versions").json()["items"]
    assert [v["version"] for v in versions] == [1, 0]
    newest, oldest = versions
    assert (newest["previous"], newest["run_id"], newest["rows_added"]) == (0, second["id"], 1)
    assert (oldest["previous"], oldest["run_id"], oldest["operation"]) == (
        None,
        first["id"],
        "upsert",
    )
    assert newest["file_hash"] == second["file_hash"]
    stats = newest["stats"]
    assert stats["rows"] == newest["row_count"] == 5
    assert stats["columns"]["brand_model"]["nulls"] == 5
    assert stats["columns"]["vehicle_type"]["min"] is not None
    # Personal values never become statistics.
    assert stats["columns"]["owner_name"]["min"] is None


def test_community_staff_get_no_min_or_max_drawn_from_other_communities(
    clients: dict[str, Client],
) -> None:
    upload(clients["street"], CARS, CARS_CSV)
    compute_statistics()
    versions = clients["community"].get(f"{BASE}/datasets/{CARS}/versions").json()["items"]
    region = versions[0]["stats"]["columns"]["region_code"]
    assert (region["min"], region["max"]) == (None, None)
    assert region["distinct"] >= 1


@pytest.fixture
def granted(users: dict[str, Any]) -> None:
    """Street, community and analyst hold a grant on CARS: a sample is a query."""
    from datetime import timedelta

    from django.utils import timezone

    dataset = Dataset.objects.get(key=CARS)
    for role in ("street", "community", "analyst"):
        Grant.objects.create(
            dataset=dataset,
            grantee=users[role],
            columns=[],
            clear_columns=[],
            valid_from=timezone.now() - timedelta(minutes=1),
        )


def test_the_sample_needs_a_grant(clients: dict[str, Client]) -> None:
    upload(clients["street"], CARS, CARS_CSV)
    response = clients["street"].get(f"{BASE}/datasets/{CARS}/sample")
    assert CARS in assert_error(response, 403)["message"]
    assert "13812345678" not in response.content.decode()
    assert "138****5678" not in response.content.decode()


def test_the_sample_is_masked(clients: dict[str, Client], granted: None) -> None:
    upload(clients["street"], CARS, CARS_CSV)
    body = clients["street"].get(f"{BASE}/datasets/{CARS}/sample").json()
    assert body["columns"][0] == "plate"
    rows = {r["owner_phone"]: r for r in body["rows"]}
    assert set(rows) == {"138****5678", "139****5678", "137****5678", "136****5678"}
    first = rows["138****5678"]
    assert (first["plate"], first["owner_name"]) == ("浙A***45", "张*")
    text = json.dumps(body, ensure_ascii=False)
    for clear in ("浙A12345", "张三", "13812345678"):
        assert clear not in text


def test_the_sample_keeps_to_the_users_communities(
    clients: dict[str, Client], granted: None
) -> None:
    upload(clients["street"], CARS, CARS_CSV)
    mine = clients["community"].get(f"{BASE}/datasets/{CARS}/sample").json()["rows"]
    assert {r["region_code"] for r in mine} == {HOME}
    assert len(mine) == 2
    everyone = clients["analyst"].get(f"{BASE}/datasets/{CARS}/sample").json()["rows"]
    assert {r["region_code"] for r in everyone} == {HOME, SIBLING}


def test_the_sample_of_a_version_that_does_not_exist_is_a_404(
    clients: dict[str, Client], granted: None
) -> None:
    upload(clients["street"], CARS, CARS_CSV)
    response = clients["street"].get(f"{BASE}/datasets/{CARS}/sample", {"version": 7})
    assert "no version 7" in assert_error(response, 404)["message"]
    old = clients["street"].get(f"{BASE}/datasets/{CARS}/sample", {"version": 0, "limit": 1})
    assert len(old.json()["rows"]) == 1


def test_an_empty_dataset_has_an_empty_sample(clients: dict[str, Client], granted: None) -> None:
    body = clients["community"].get(f"{BASE}/datasets/{CARS}/sample").json()
    assert body["rows"] == [] and "plate" in body["columns"]


# --- sources ----------------------------------------------------------------------------------


def test_street_staff_add_a_source_whose_secrets_are_encrypted_at_rest(
    clients: dict[str, Client],
) -> None:
    response = post_json(clients["street"], f"{BASE}/sources", http_source())
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["dataset"], body["connector"], body["mode"]) == (CARS, "http", "upsert")
    assert body["next_run"] is not None
    assert "config" not in body
    with connection.cursor() as cursor:
        cursor.execute("SELECT config FROM hub_source WHERE id = %s", [body["id"]])
        stored = cursor.fetchone()[0]
    assert SECRET not in stored and "Authorization" not in stored
    assert set(json.loads(stored)["headers"]) == {"enc"}


def test_a_database_sources_connection_url_is_encrypted_at_rest(
    clients: dict[str, Client],
) -> None:
    payload = http_source(
        connector="sql",
        config={"url": f"postgresql://reader:{SECRET}@db.example/cars", "table": "vehicles"},
    )
    response = post_json(clients["street"], f"{BASE}/sources", payload)
    assert response.status_code == 201, response.content
    source = Source.objects.get(pk=response.json()["id"])
    assert SECRET not in json.dumps(source.config)
    assert source.config["table"] == "vehicles"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"items_path": "data"}, "config.url"),
        ({"url": "ftp://upstream.example/x"}, "config.url"),
        ({"url": "https://upstream.example/x", "timout": 3}, "config.timout"),
        ({"url": "https://upstream.example/x", "retries": -1}, "config.retries"),
    ],
)
def test_an_invalid_source_config_is_a_422_naming_the_key(
    clients: dict[str, Client], config: dict[str, Any], field: str
) -> None:
    response = post_json(clients["street"], f"{BASE}/sources", http_source(config=config))
    assert_error(response, 422, field)
    assert not Source.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"connector": "ftp"}, "connector"),
        ({"schedule": "every day"}, "schedule"),
        ({"max_reject_rate": 2}, "max_reject_rate"),
    ],
)
def test_other_bad_source_fields_are_named(
    clients: dict[str, Client], extra: dict[str, Any], field: str
) -> None:
    assert_error(post_json(clients["street"], f"{BASE}/sources", http_source(**extra)), 422, field)


@pytest.mark.parametrize("role", ["community", "analyst"])
def test_browsers_cannot_add_sources(clients: dict[str, Client], role: str) -> None:
    assert_error(post_json(clients[role], f"{BASE}/sources", http_source()), 403)


def test_another_districts_staff_cannot_add_a_source_to_this_streets_dataset(
    clients: dict[str, Client],
) -> None:
    assert_error(post_json(clients["other"], f"{BASE}/sources", http_source()), 404)


def test_sources_are_listed_to_those_who_see_their_dataset(clients: dict[str, Client]) -> None:
    made = post_json(clients["street"], f"{BASE}/sources", http_source()).json()
    for role in BROWSERS:
        listed = clients[role].get(f"{BASE}/sources").json()["items"]
        assert [s["id"] for s in listed] == [made["id"]]
    only = clients["street"].get(f"{BASE}/sources", {"dataset": "public_cameras"}).json()
    assert only["items"] == []
    assert clients["other"].get(f"{BASE}/sources").json()["count"] == 0


def test_triggering_a_source_queues_a_run(clients: dict[str, Client]) -> None:
    source = post_json(clients["street"], f"{BASE}/sources", http_source()).json()
    response = clients["street"].post(f"{BASE}/sources/{source['id']}/run")
    assert response.status_code == 202, response.content
    run = response.json()
    assert (run["status"], run["source_id"], run["mode"]) == ("queued", source["id"], "upsert")
    assert_error(clients["community"].post(f"{BASE}/sources/{source['id']}/run"), 403)
    assert_error(clients["other"].post(f"{BASE}/sources/{source['id']}/run"), 404)
    assert_error(clients["resident"].post(f"{BASE}/sources/{source['id']}/run"), 403)
    assert IngestRun.objects.count() == 1


# --- runs -------------------------------------------------------------------------------------


def test_runs_are_listed_and_read_by_those_who_see_the_dataset(
    clients: dict[str, Client],
) -> None:
    good = upload(clients["street"], CARS, CARS_CSV).json()
    bad = upload(clients["street"], CARS, HALF_BAD_CSV, name="bad.csv").json()
    for role in BROWSERS:
        runs = clients[role].get(f"{BASE}/runs").json()["items"]
        assert [r["id"] for r in runs] == [bad["id"], good["id"]]
        assert clients[role].get(f"{BASE}/runs/{good['id']}").json()["status"] == "succeeded"
    one = clients["street"].get(f"{BASE}/runs", {"dataset": CARS, "page_size": 1}).json()
    assert [r["id"] for r in one["items"]] == [bad["id"]] and one["count"] == 2
    assert clients["street"].get(f"{BASE}/runs", {"dataset": "public_cameras"}).json()["count"] == 0
    assert clients["other"].get(f"{BASE}/runs").json()["count"] == 0
    assert_error(clients["other"].get(f"{BASE}/runs/{good['id']}"), 404)


def test_the_same_file_appended_twice_is_skipped_the_second_time(
    clients: dict[str, Client],
) -> None:
    upload(clients["street"], CARS, CARS_CSV)
    again = upload(clients["street"], CARS, CARS_CSV).json()
    assert again["status"] == "skipped"
    assert Dataset.objects.get(key=CARS).row_count == 4


def test_other_districts_staff_manage_their_own_datasets(clients: dict[str, Client]) -> None:
    payload = dataset_payload(key="beishan_parking", region_code=OTHER_STREET)
    assert post_json(clients["other"], f"{BASE}/datasets", payload).status_code == 201
    run = upload(clients["other"], "beishan_parking", "estate,demand\n北山一区,12\n").json()
    assert run["status"] == "succeeded"
    assert_error(clients["street"].get(f"{BASE}/datasets/beishan_parking"), 404)
    assert_error(clients["street"].get(f"{BASE}/runs/{run['id']}"), 404)


def test_an_uploads_file_name_keeps_no_directories(clients: dict[str, Client]) -> None:
    run = upload(clients["street"], CARS, CARS_CSV, name="../../etc/车辆.csv").json()
    assert run["status"] == "succeeded"
    assert run["input_name"] == "车辆.csv"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/datasets"),  # api: the catalog
        ("get", "/subscriptions"),  # api_flowback
        ("get", "/requests?mine=1"),  # api_requests
        ("get", "/query/functions"),  # api_query
        ("post", "/query"),  # api_query, audited
    ],
)
def test_the_refusal_of_a_resident_is_in_their_language(
    users: dict[str, Any], method: str, path: str
) -> None:
    said = {}
    for language in ("zh-hans", "en"):
        client = token_client(users["resident"])
        call = getattr(client, method)
        kwargs = {"data": {"sql": "SELECT 1"}, "content_type": "application/json"}
        response = call(
            BASE + path, **(kwargs if method == "post" else {}), HTTP_ACCEPT_LANGUAGE=language
        )
        said[language] = assert_error(response, 403)["message"]
    assert said["zh-hans"] == "数据仓仅供工作人员和部门分析人员使用。", said
    assert said["en"] == "The data hub is for staff and department analysts.", said
