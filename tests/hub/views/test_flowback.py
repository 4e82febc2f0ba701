"""Flowback pages: publish a community dataset from a file, follow it, see my subscriptions."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.translation import override

from shequ.core.models import Role
from shequ.hub.models import Category, Dataset, Grant, IngestRun, Origin, Subscription

HOME = "990102001001"
CSV = (
    "走访编号,老人姓名,联系电话,走访次数,区划代码\n"
    "V1,王伟,13900000001,1,990102001001\n"
    "V2,李芳,13900000002,2,990102001001\n"
)


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.create(key="civic", name="文明实践", name_en="Civic")


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(**extra: Any) -> dict[str, Any]:
    return {
        "region": HOME,
        "key": "elder_visits",
        "title": "高龄老人走访记录",
        "title_en": "Visits to the elderly",
        "description": "",
        "category": "civic",
        "sharing": "conditional",
        "frequency": "weekly",
        "file": SimpleUploadedFile("visits.csv", CSV.encode()),
        **extra,
    }


def test_community_staff_publish_a_dataset_from_a_file(staff: Any, category: Category) -> None:
    client = logged_in(staff)
    assert client.get("/hub/publish/").status_code == 200
    response = client.post("/hub/publish/", form())
    assert response.status_code == 302 and response["Location"] == "/hub/datasets/elder_visits/"
    ds = Dataset.objects.get(key="elder_visits")
    assert ds.origin == Origin.COMMUNITY and ds.version == 0 and ds.row_count == 2
    pii = {f["title"]: f.get("pii") for f in ds.schema["fields"]}
    assert pii["联系电话"] == "phone" and pii["老人姓名"] == "name"  # suggested from the values
    assert ds.schema["regionField"] == "region_code"
    page = client.get("/hub/datasets/elder_visits/").content.decode()
    assert 'data-testid="origin"' in page and 'data-testid="upload-form"' in page


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"key": "Bad Key"}, "key"),
        ({"region": "990103001001"}, "region"),  # not one of the user's regions
        ({"file": SimpleUploadedFile("empty.csv", b"")}, "file"),
    ],
)
def test_a_bad_publication_names_the_field_and_leaves_nothing(
    staff: Any, category: Category, extra: dict[str, Any], field: str
) -> None:
    with override("en"):
        response = logged_in(staff).post("/hub/publish/", form(**extra))
    assert response.status_code == 200
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not Dataset.objects.filter(key=form(**extra)["key"]).exists()
    assert not IngestRun.objects.exists()


def test_who_sees_the_publish_page(make_user: Any, category: Category) -> None:
    assert logged_in(make_user(Role.COMMUNITY_STAFF, HOME)).get("/hub/publish/").status_code == 200
    assert (
        logged_in(make_user(Role.DEPARTMENT_ANALYST, HOME)).get("/hub/publish/").status_code == 403
    )
    assert logged_in(make_user(Role.RESIDENT, HOME)).get("/hub/publish/").status_code == 403


def test_follow_and_unfollow_from_the_dataset_page(
    staff: Any, make_user: Any, category: Category
) -> None:
    logged_in(staff).post("/hub/publish/", form())
    ds = Dataset.objects.get(key="elder_visits")
    analyst = make_user(Role.DEPARTMENT_ANALYST, "990102001000")
    client = logged_in(analyst)
    assert 'data-testid="follow"' not in client.get("/hub/datasets/elder_visits/").content.decode()
    client.post("/hub/datasets/elder_visits/subscription/")
    assert not Subscription.objects.exists()  # no access: refused with a message
    Grant.objects.create(dataset=ds, grantee=analyst, valid_from=timezone.now(), purpose="统计")
    client.post("/hub/datasets/elder_visits/subscription/")
    assert Subscription.objects.filter(subscriber=analyst, active=True).count() == 1
    listing = client.get("/hub/subscriptions/").content.decode()
    assert "elder_visits" in listing and 'data-testid="publish-link"' not in listing
    client.post("/hub/datasets/elder_visits/subscription/")
    assert not Subscription.objects.filter(active=True).exists()
    assert 'data-testid="no-subscriptions"' in client.get("/hub/subscriptions/").content.decode()
