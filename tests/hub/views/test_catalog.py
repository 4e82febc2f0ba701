"""The hub pages (/hub/…) from every side: a manager (street staff), browsers (community staff,
district analyst), a resident, staff of another district, and an anonymous visitor.

The shipped catalog is loaded for 望湖街道; pages render in Chinese and in English.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shequ.core.models import Role
from shequ.hub.models import Dataset, IngestRun, Source
from shequ.hub.services import sources
from shequ.hub.services.catalog import load_catalog
from shequ.web.modules import modules_for

pytestmark = [pytest.mark.django_db]

DISTRICT = "990102000000"
STREET = "990102001000"
HOME = "990102001001"
OTHER_STREET = "990103001000"
CARS = "vehicle_registrations"
BROWSERS = ("street", "community", "analyst")
HEADER = "plate,vehicle_type,owner_name,owner_phone,region_code\n"
GOOD_ROWS = [
    "浙A12345,小型汽车,张三,13812345678,990102001001",
    "浙A23456,新能源小型汽车,李四,13912345678,990102001001",
    "浙B34567,小型汽车,王五,13712345678,990102001002",
]
# One of five rows is bad (20%): too many for the default 5% limit, so nothing is committed.
ONE_BAD = (
    HEADER
    + "\n".join(
        [
            *GOOD_ROWS,
            "浙C45678,飞行汽车,赵六,13612345678,990102001001",
            "浙C56789,挂车,钱七,13512345678,990102001002",
        ]
    )
    + "\n"
)
GOOD = HEADER + "\n".join(GOOD_ROWS) + "\n"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def users(make_user: Any, regions: dict[str, Any]) -> dict[str, Any]:
    load_catalog(region=regions[STREET])
    return {
        "street": make_user(Role.STREET_STAFF, STREET),
        "community": make_user(Role.COMMUNITY_STAFF, HOME),
        "analyst": make_user(Role.DEPARTMENT_ANALYST, DISTRICT),
        "resident": make_user(Role.RESIDENT, HOME),
        "other": make_user(Role.STREET_STAFF, OTHER_STREET),
    }


@pytest.fixture
def clients(users: dict[str, Any]) -> dict[str, Client]:
    made = {}
    for role, user in users.items():
        made[role] = Client(HTTP_ACCEPT_LANGUAGE="en")
        made[role].force_login(user)
    return made


def upload(client: Client, text: str = GOOD, name: str = "cars.csv", **form: str) -> Any:
    data = {"file": SimpleUploadedFile(name, text.encode(), "text/csv"), "mode": "append", **form}
    return client.post(reverse("hub:dataset", args=[CARS]), data)


def made_run(users: dict[str, Any], text: str = GOOD) -> IngestRun:
    upload_file = SimpleUploadedFile("cars.csv", text.encode(), "text/csv")
    return sources.ingest_upload(users["street"], Dataset.objects.get(key=CARS), upload_file)


def http_source_form(**extra: Any) -> dict[str, Any]:
    return {
        "name": "市交警车辆接口",
        "dataset": CARS,
        "connector": "http",
        "config": json.dumps(
            {"url": "https://upstream.example/api", "headers": {"X-Key": "s3cret"}}
        ),
        "mode": "append",
        "schedule": "30 2 * * *",
        "max_reject_rate": "0.05",
        **extra,
    }


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def pages(run: IngestRun) -> list[str]:
    return [
        reverse("hub:catalog"),
        reverse("hub:catalog") + "?q=车辆",
        reverse("hub:catalog") + "?category=traffic",
        reverse("hub:dataset", args=[CARS]),
        reverse("hub:runs"),
        reverse("hub:runs") + f"?dataset={CARS}",
        reverse("hub:run", args=[run.pk]),
        reverse("hub:sources"),
    ]


# --- who may see what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", BROWSERS)
def test_every_hub_page_renders_for_managers_and_browsers(
    clients: dict[str, Client], users: dict[str, Any], role: str
) -> None:
    run = made_run(users, ONE_BAD)
    for url in pages(run):
        response = clients[role].get(url)
        assert response.status_code == 200, url


def test_the_home_page_offers_the_hub_to_staff_and_analysts_only(users: dict[str, Any]) -> None:
    assert "hub" in {m.key for m in modules_for(users["community"])}
    assert "hub" in {m.key for m in modules_for(users["analyst"])}
    assert "hub" not in {m.key for m in modules_for(users["resident"])}


def test_a_resident_gets_403_on_every_hub_page(
    clients: dict[str, Client], users: dict[str, Any]
) -> None:
    run = made_run(users, ONE_BAD)
    for url in [*pages(run), reverse("hub:quarantine", args=[run.pk])]:
        assert clients["resident"].get(url).status_code == 403, url
    assert upload(clients["resident"]).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(users: dict[str, Any]) -> None:
    response = Client().get(reverse("hub:catalog"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_another_districts_staff_get_404_on_this_streets_dataset_and_runs(
    clients: dict[str, Client], users: dict[str, Any]
) -> None:
    run = made_run(users, ONE_BAD)
    source = sources.save_source(
        users["street"],
        run.dataset,
        name="望湖投递目录",
        connector="folder",
        config={"path": f"{settings.DATA_DIR}/drop"},
    )
    other = clients["other"]
    for url in (
        reverse("hub:dataset", args=[CARS]),
        reverse("hub:run", args=[run.pk]),
        reverse("hub:quarantine", args=[run.pk]),
    ):
        assert other.get(url).status_code == 404, url
    assert other.post(reverse("hub:source-run", args=[source.pk])).status_code == 404
    assert upload(other).status_code == 404
    assert "vehicle_registrations" not in text_of(other.get(reverse("hub:runs")))
    assert "望湖投递目录" not in text_of(other.get(reverse("hub:sources")))


# --- catalog ----------------------------------------------------------------------------------


def test_the_catalog_shows_ten_categories_with_counts(clients: dict[str, Client]) -> None:
    response = clients["community"].get(reverse("hub:catalog"))
    page = text_of(response)
    assert len(response.context["categories"]) == 10
    assert page.count('data-testid="hub-group"') == 10
    assert page.count('data-testid="dataset-link"') == 72
    assert "Traffic management" in page and "9 items" in page
    assert "Motor vehicle registrations" in page and "区交警大队" in page
    assert "Conditional" in page and "Unconditional" in page


def test_the_catalog_search_finds_datasets_by_chinese_title_and_column(
    clients: dict[str, Client],
) -> None:
    for query in ("车辆", "owner_phone", "motor vehicle"):
        response = clients["analyst"].get(reverse("hub:catalog"), {"q": query})
        keys = {d.key for _c, ds in response.context["groups"] for d in ds}
        assert CARS in keys and len(keys) < 72, query
    nothing = clients["analyst"].get(reverse("hub:catalog"), {"q": "zzz不存在"})
    assert 'data-testid="hub-nothing"' in text_of(nothing)


def test_a_category_shows_its_datasets_only(clients: dict[str, Client]) -> None:
    response = clients["street"].get(reverse("hub:catalog"), {"category": "traffic"})
    groups = response.context["groups"]
    assert [c.key for c, _ds in groups] == ["traffic"]
    assert len(groups[0][1]) == 9


# --- dataset ----------------------------------------------------------------------------------


def test_the_dataset_page_shows_schema_grades_and_pii(clients: dict[str, Client]) -> None:
    page = text_of(clients["community"].get(reverse("hub:dataset", args=[CARS])))
    assert "Licence plate" in page and "primary key" in page
    assert 'hub-grade-core">Core' in page
    assert 'hub-pii">ID number' in page
    assert "Sample rows are shown only to users with a grant on this dataset." in page


def test_only_managers_see_the_upload_form(clients: dict[str, Client]) -> None:
    url = reverse("hub:dataset", args=[CARS])
    assert 'data-testid="upload-form"' in text_of(clients["street"].get(url))
    for role in ("community", "analyst"):
        assert 'data-testid="upload-form"' not in text_of(clients[role].get(url))


@pytest.mark.parametrize("role", ["community", "analyst"])
def test_browsers_may_not_post_an_upload(clients: dict[str, Client], role: str) -> None:
    assert upload(clients[role]).status_code == 403
    assert not IngestRun.objects.exists()


def test_an_upload_ingests_and_redirects_to_its_run(clients: dict[str, Client]) -> None:
    response = upload(clients["street"])
    run = IngestRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hub:run", args=[run.pk])
    assert (run.status, run.rows_written, run.version) == ("succeeded", 3, 0)
    page = text_of(clients["street"].get(response["Location"]))
    assert "The file was ingested." in page
    assert 'data-testid="run-version"' in page


def test_the_dataset_page_shows_masked_sample_rows_and_versions(
    clients: dict[str, Client], users: dict[str, Any]
) -> None:
    upload(clients["street"])
    ungranted = text_of(clients["community"].get(reverse("hub:dataset", args=[CARS])))
    assert 'data-testid="sample-no-grant"' in ungranted and "浙A***45" not in ungranted
    from datetime import timedelta

    from django.utils import timezone

    from shequ.hub.models import Grant

    for role in ("community", "street"):
        Grant.objects.create(
            dataset=Dataset.objects.get(key=CARS),
            grantee=users[role],
            columns=[],
            clear_columns=[],
            valid_from=timezone.now() - timedelta(minutes=1),
        )
    page = text_of(clients["community"].get(reverse("hub:dataset", args=[CARS])))
    assert "浙A***45" in page and "张*" in page
    assert "浙A12345" not in page and "13812345678" not in page
    assert "浙B***67" not in page  # 和园社区's row: not this community's
    assert 'data-testid="version"' in page and "none (first version)" in page
    street = text_of(clients["street"].get(reverse("hub:dataset", args=[CARS])))
    assert "浙B***67" in street


def test_an_upload_with_too_many_bad_rows_shows_them_on_the_run_page(
    clients: dict[str, Client],
) -> None:
    response = upload(clients["street"], ONE_BAD)
    run = IngestRun.objects.get()
    assert run.status == "failed" and run.version is None
    page = text_of(clients["street"].get(response["Location"]))
    assert "nothing was committed" in page
    assert 'data-testid="quarantine-table"' in page
    assert "vehicle_type" in page and "飞行汽车" in page
    assert reverse("hub:quarantine", args=[run.pk]) in page


def test_an_upload_without_a_file_shows_the_error_on_the_form(clients: dict[str, Client]) -> None:
    response = clients["street"].post(reverse("hub:dataset", args=[CARS]), {"mode": "append"})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not IngestRun.objects.exists()


def test_an_upsert_into_a_dataset_without_primary_key_is_refused_on_the_form(
    clients: dict[str, Client], users: dict[str, Any]
) -> None:
    url = reverse("hub:dataset", args=["population_statistics"])
    data = {"file": SimpleUploadedFile("p.csv", b"a\n1\n"), "mode": "upsert"}
    Dataset.objects.filter(key="population_statistics").update(
        schema={"fields": [{"name": "a", "type": "integer"}]}
    )
    response = clients["street"].post(url, data)
    assert response.status_code == 200
    assert "primary key" in " ".join(response.context["form"].errors["mode"])


# --- runs and quarantine ----------------------------------------------------------------------


def test_the_quarantine_csv_is_served_to_those_who_see_the_dataset(
    clients: dict[str, Client], users: dict[str, Any]
) -> None:
    run = made_run(users, ONE_BAD)
    url = reverse("hub:quarantine", args=[run.pk])
    response = clients["community"].get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].replace('"', "") == "row,column,reason"
    assert "vehicle_type" in body


def test_a_run_without_rejects_has_no_quarantine_csv(
    clients: dict[str, Client], users: dict[str, Any]
) -> None:
    run = made_run(users)
    assert clients["street"].get(reverse("hub:quarantine", args=[run.pk])).status_code == 404


def test_the_runs_page_filters_by_dataset(
    clients: dict[str, Client], users: dict[str, Any]
) -> None:
    run = made_run(users)
    mine = clients["analyst"].get(reverse("hub:runs"), {"dataset": CARS})
    assert [r.pk for r in mine.context["page"]] == [run.pk]
    other = clients["analyst"].get(reverse("hub:runs"), {"dataset": "public_cameras"})
    assert list(other.context["page"]) == []


# --- sources ----------------------------------------------------------------------------------


def test_a_manager_adds_a_source_and_its_secret_is_stored_encrypted(
    clients: dict[str, Client],
) -> None:
    response = clients["street"].post(reverse("hub:sources"), http_source_form())
    assert response.status_code == 302, text_of(response)
    source = Source.objects.get()
    assert "s3cret" not in json.dumps(source.config)
    assert source.next_run is not None
    assert "市交警车辆接口" in text_of(clients["community"].get(reverse("hub:sources")))


@pytest.mark.parametrize(
    ("extra", "field", "says"),
    [
        ({"config": "{url: nope}"}, "config", "Not valid JSON"),
        ({"config": "[1, 2]"}, "config", "JSON object"),
        ({"config": '{"url": "ftp://x"}'}, "config", "url: "),
        ({"config": '{"url": "https://x.example", "pages": 1}'}, "config", "pages: "),
        ({"schedule": "every night"}, "schedule", "cron"),
        ({"max_reject_rate": "1.5"}, "max_reject_rate", ""),
        ({"dataset": "public_cameras_nope"}, "dataset", ""),
    ],
)
def test_source_errors_are_shown_next_to_their_fields(
    clients: dict[str, Client], extra: dict[str, str], field: str, says: str
) -> None:
    response = clients["street"].post(reverse("hub:sources"), http_source_form(**extra))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert says in errors
    assert f'data-testid="error-{field}"' in text_of(response)
    assert not Source.objects.exists()


def test_browsers_see_no_source_form_and_may_not_post_one(clients: dict[str, Client]) -> None:
    for role in ("community", "analyst"):
        assert 'data-testid="source-form"' not in text_of(clients[role].get(reverse("hub:sources")))
        assert clients[role].post(reverse("hub:sources"), http_source_form()).status_code == 403
    assert not Source.objects.exists()


def test_run_now_queues_a_run_for_managers_only(
    clients: dict[str, Client], users: dict[str, Any]
) -> None:
    source = sources.save_source(
        users["street"],
        Dataset.objects.get(key=CARS),
        name="望湖投递目录",
        connector="folder",
        config={"path": f"{settings.DATA_DIR}/drop"},
    )
    url = reverse("hub:source-run", args=[source.pk])
    assert clients["community"].post(url).status_code == 403
    assert clients["street"].get(url).status_code == 405
    response = clients["street"].post(url)
    run = IngestRun.objects.get()
    assert response["Location"] == reverse("hub:run", args=[run.pk])
    assert run.status == "queued"
    page = text_of(clients["street"].get(response["Location"]))
    assert 'http-equiv="refresh"' in page


# --- languages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Data catalog"), ("zh-hans", "数据目录")],
)
def test_the_pages_render_in_both_languages(
    users: dict[str, Any], language: str, heading: str
) -> None:
    run = made_run(users, ONE_BAD)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(users["street"])
    for url in pages(run):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == language
    catalog = text_of(client.get(reverse("hub:catalog")))
    assert f"<h1>{heading}</h1>" in catalog
    if language == "zh-hans":
        shown = " ".join(re.sub(r"<[^>]*>", " ", text_of(client.get(url))) for url in pages(run))
        english = [w for w in ENGLISH_UI if w in shown]
        assert not english, f"English on the Chinese pages: {english}"


ENGLISH_UI = [
    "Data catalog",
    "Upload a file",
    "Ingest runs",
    "Add a source",
    "Rejected rows",
    "Sample rows",
    "Column statistics",
    "Personal information",
    "Conditional",
    "Run now",
    "Recent runs",
]


# --- query counts -----------------------------------------------------------------------------


def test_the_catalog_page_takes_a_fixed_number_of_queries(
    clients: dict[str, Client], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(10):
        response = clients["community"].get(reverse("hub:catalog"))
    assert response.status_code == 200


def test_the_sources_page_does_not_query_per_source(
    clients: dict[str, Client], users: dict[str, Any]
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert clients["street"].get(reverse("hub:sources")).status_code == 200
        return len(captured)

    def add(n: int) -> None:
        dataset = Dataset.objects.get(key=CARS)
        source = sources.save_source(
            users["street"],
            dataset,
            name=f"目录{n}",
            connector="folder",
            config={"path": f"{settings.DATA_DIR}/d"},
        )
        sources.queue_run(source)

    add(1)
    one = queries()
    add(2)
    add(3)
    assert queries() == one


def test_the_home_tile_and_the_catalog_page_show_the_same_count(
    clients: dict[str, Client], users: dict[str, Any]
) -> None:
    """Issue 13: the tile said 72 items while the catalog listed 75 (with the flowback ones)."""
    from shequ.hub.services.catalog import summary

    extra = Dataset.objects.get(key=CARS)
    extra.pk, extra.key, extra.title = None, "flowback_extra", "回流数据"
    extra.save()
    for role in ("street", "analyst"):
        seen = summary(users[role])
        assert seen.datasets == 73 if role == "street" else seen.datasets > 0
        home = clients[role].get("/").content.decode()
        tile = f"Catalog of public data: {seen.categories} categories, {seen.datasets} items."
        assert tile in home, role
        page = clients[role].get(reverse("hub:catalog")).content.decode()
        assert f"{seen.datasets} datasets." in page, role


def test_the_dataset_page_says_statistics_are_being_computed_then_shows_them(
    clients: dict[str, Client], django_capture_on_commit_callbacks: Any
) -> None:
    from huey.contrib.djhuey import HUEY

    from shequ.hub.models import DatasetVersion

    url = reverse("hub:dataset", args=[CARS])
    versions = f"/api/v1/hub/datasets/{CARS}/versions"
    with django_capture_on_commit_callbacks() as queued:
        upload(clients["street"])
    assert DatasetVersion.objects.get(dataset__key=CARS).row_count == 3
    page = text_of(clients["street"].get(url))
    assert 'data-testid="stats-pending"' in page and 'data-testid="stats"' not in page
    assert "Column statistics are being computed" in page
    assert clients["street"].get(versions).json()["items"][0]["stats_ready"] is False

    HUEY.immediate = True  # the worker runs the job queued at the commit
    try:
        for callback in queued:
            callback()
    finally:
        HUEY.immediate = False

    page = text_of(clients["street"].get(url))
    assert 'data-testid="stats"' in page and 'data-testid="stats-pending"' not in page
    assert "Distinct (approx.)" in page
    ready = clients["street"].get(versions).json()["items"][0]
    assert ready["stats_ready"] is True and ready["stats"]["rows"] == 3
