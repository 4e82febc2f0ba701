"""The DCAT-AP catalogue export at /catalog.jsonld: public metadata only, in JSON-LD."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hub.factories import Hub, rows_of
from shequ.core import pii
from shequ.hub.ckan.packages import org_name
from shequ.hub.models import Dataset

pytestmark = pytest.mark.django_db
EU = "http://publications.europa.eu/resource/authority/"


@pytest.fixture
def document(hub: Hub) -> dict[str, Any]:
    Dataset.objects.filter(key="people").update(
        title="人口信息",
        title_en="People",
        description="辖区实有人口",
        description_en="Residents of the sub-district",
        owner="区公安分局",
        frequency="daily",
        tags=["人口", "实有人口"],
        licence="政务内部共享",
    )
    Dataset.objects.filter(key="parking_lots").update(title_en="", version=None)
    Dataset.objects.filter(key="health_records").update(sharing="not_shared")
    response = Client().get("/catalog.jsonld")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json; charset=utf-8"
    return dict(json.loads(response.content))


def by_key(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["dct:identifier"]: d for d in document["dcat:dataset"]}


def texts(values: list[dict[str, str]]) -> dict[str, str]:
    return {v["@language"]: v["@value"] for v in values}


def test_the_catalogue_lists_every_shared_dataset_and_no_private_one(
    document: dict[str, Any],
) -> None:
    assert document["@type"] == "dcat:Catalog"
    assert document["@id"] == "http://testserver/catalog.jsonld"
    assert set(texts(document["dct:title"])) == {"zh-Hans", "en"}
    assert sorted(by_key(document)) == [
        "parking_events",
        "parking_lots",
        "people",
        "vehicle_registrations",
    ]
    assert {d["@type"] for d in document["dcat:dataset"]} == {"dcat:Dataset"}


def test_a_dataset_carries_titles_theme_publisher_frequency_keywords_and_licence(
    document: dict[str, Any],
) -> None:
    people = by_key(document)["people"]
    assert people["@id"] == "http://testserver/hub/datasets/people/"
    assert texts(people["dct:title"]) == {"zh-Hans": "人口信息", "en": "People"}
    assert texts(people["dct:description"]) == {
        "zh-Hans": "辖区实有人口",
        "en": "Residents of the sub-district",
    }
    theme = people["dcat:theme"]
    assert theme["@type"] == "skos:Concept" and theme["skos:notation"] == "query-test"
    assert texts(theme["skos:prefLabel"]) == {"zh-Hans": "查询测试", "en": "Query test"}
    assert theme["skos:inScheme"]["@id"] == document["dcat:themeTaxonomy"]["@id"]
    publisher = people["dct:publisher"]
    assert publisher["@type"] == "foaf:Agent" and publisher["@id"].endswith(org_name("区公安分局"))
    assert texts(publisher["foaf:name"]) == {"zh-Hans": "区公安分局"}
    assert people["dct:accrualPeriodicity"] == {"@id": f"{EU}frequency/DAILY"}
    assert [k["@value"] for k in people["dcat:keyword"]] == ["人口", "实有人口"]
    assert people["dct:license"]["rdfs:label"] == [
        {"@value": "政务内部共享", "@language": "zh-Hans"}
    ]
    assert people["dct:accessRights"]["@id"] == f"{EU}access-right/RESTRICTED"
    assert people["dct:modified"]["@type"] == "xsd:dateTime"


def test_the_distribution_points_at_the_datastore_api(document: dict[str, Any]) -> None:
    (distribution,) = by_key(document)["people"]["dcat:distribution"]
    assert distribution["@type"] == "dcat:Distribution"
    assert distribution["dcat:accessURL"] == {
        "@id": "http://testserver/api/3/action/datastore_search?resource_id=people"
    }
    service = document["dcat:service"]
    assert distribution["dcat:accessService"] == {"@id": service["@id"]}
    assert service["dcat:endpointURL"] == {"@id": "http://testserver/api/3/action/"}
    assert Client().get(distribution["dcat:accessURL"]["@id"]).status_code == 403  # needs a token
    # A dataset without data has nothing to distribute yet; a missing English title is left out.
    lots = by_key(document)["parking_lots"]
    assert lots["dcat:distribution"] == [] and set(texts(lots["dct:title"])) == {"zh-Hans"}
    assert "dct:publisher" not in lots  # no owner recorded


def test_the_export_holds_no_row_data(document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False)
    for row in rows_of("people"):
        for column, kind in (("phone", "phone"), ("id_number", "id_card"), ("name", "name")):
            assert row[column] not in text
            assert pii.mask(kind, row[column]) not in text
        assert row["person_id"] not in text


def test_it_is_well_formed_json_ld(document: dict[str, Any]) -> None:
    """Every compact IRI's prefix is declared, @id values are absolute, language tags are ours."""
    prefixes = set(document["@context"])
    problems: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}[{i}]")
            return
        if not isinstance(node, dict):
            return
        if "@value" in node:
            extra = set(node) - {"@value", "@language", "@type"}
            if extra or ("@language" in node and "@type" in node):
                problems.append(f"{where}: a value object with {sorted(node)}")
            if node.get("@language") not in (None, "zh-Hans", "en"):
                problems.append(f"{where}: language {node['@language']}")
            return
        for key, value in node.items():
            if key == "@context":
                continue
            if key == "@id" and not str(value).startswith(("http://", "https://")):
                problems.append(f"{where}: relative @id {value}")
            if key == "@type":
                for t in value if isinstance(value, list) else [value]:
                    if t.split(":", 1)[0] not in prefixes:
                        problems.append(f"{where}: type {t}")
            elif not key.startswith("@") and key.split(":", 1)[0] not in prefixes:
                problems.append(f"{where}: property {key}")
            walk(value, f"{where}.{key}")

    walk(document, "$")
    assert not problems, problems


def test_a_logged_in_user_gets_the_same_public_catalogue(hub: Hub) -> None:
    Dataset.objects.filter(key="health_records").update(sharing="not_shared")
    client = Client()
    client.force_login(hub.staff)
    keys = {d["dct:identifier"] for d in client.get("/catalog.jsonld").json()["dcat:dataset"]}
    assert "health_records" not in keys and "people" in keys


def test_only_get_is_allowed(hub: Hub) -> None:
    assert Client().post("/catalog.jsonld").status_code == 405
    assert Client().head("/catalog.jsonld").status_code == 200
