"""The public catalogue in DCAT-AP, as JSON-LD (``/catalog.jsonld``).

One ``dcat:Dataset`` per shared dataset (not-shared ones are left out), with its titles and
descriptions in Chinese and English, keywords, theme (the hub category, as a SKOS concept),
publisher (the owning department), update frequency and licence, and, once it has data, a
distribution served by the CKAN-compatible ``datastore_search``. Metadata only: no row, value or
statistic of any dataset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse

from shequ.hub.ckan.packages import catalog, ckan_time, datastore_url, org_name
from shequ.hub.ckan.params import Call
from shequ.hub.models import Category, Dataset, Sharing

ZH, EN = "zh-Hans", "en"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCIES = {
    "realtime": "UPDATE_CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "yearly": "ANNUAL",
}
SHARING_LABELS: dict[str, tuple[str, str]] = {
    Sharing.UNCONDITIONAL: ("无条件共享", "Unconditional sharing"),
    Sharing.CONDITIONAL: ("有条件共享", "Conditional sharing"),
}
CATALOG_TITLE = ("社区数据仓目录", "Community data hub catalogue")
CATALOG_DESCRIPTION = (
    "街道、社区汇集的省、市、区公共数据及回流数据的目录。数据行须经授权，通过 CKAN 兼容接口读取。",
    "Public data gathered from the province, city and district platforms and data flowing back "
    "from the sub-district and its communities. Rows are read through the CKAN-compatible API "
    "with a grant.",
)
CKAN_API_DOCS = "https://docs.ckan.org/en/2.10/api/"


def texts(zh: str, en: str) -> list[dict[str, str]]:
    """The same text in Chinese and English, each with its language tag (empty ones left out)."""
    return [{"@value": v, "@language": lang} for v, lang in ((zh, ZH), (en, EN)) if v.strip()]


def when(moment: datetime | None) -> dict[str, str] | None:
    stamp = ckan_time(moment)
    return {"@value": stamp, "@type": "xsd:dateTime"} if stamp else None


def catalog_document(call: Call) -> dict[str, Any]:
    """The DCAT-AP catalogue of the public metadata (what an anonymous caller may see)."""
    datasets = list(catalog(None, private=False))
    service = data_service(call)
    modified = max((d.updated for d in datasets), default=None)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": f"{call.site}/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": texts(*CATALOG_TITLE),
        "dct:description": texts(*CATALOG_DESCRIPTION),
        "dct:publisher": {
            "@id": f"{call.site}/catalog.jsonld#publisher",
            "@type": "foaf:Agent",
            "foaf:name": texts(*CATALOG_TITLE),
        },
        "foaf:homepage": {"@id": f"{call.site}/"},
        "dct:language": {"@id": f"{EU}language/ZHO"},
        "dcat:themeTaxonomy": {
            "@id": f"{call.site}/catalog.jsonld#categories",
            "@type": "skos:ConceptScheme",
            "dct:title": texts("数据类别", "Data categories"),
        },
        "dcat:service": service,
        "dcat:dataset": [dataset_node(call, d, service) for d in datasets],
    }
    if modified is not None:
        document["dct:modified"] = when(modified)
    return document


def data_service(call: Call) -> dict[str, Any]:
    endpoint = f"{call.site}/api/3/action/"
    return {
        "@id": endpoint,
        "@type": "dcat:DataService",
        "dct:title": texts("CKAN 兼容数据接口", "CKAN-compatible Action API"),
        "dcat:endpointURL": {"@id": endpoint},
        "dcat:endpointDescription": {"@id": f"{endpoint}help_show?name=datastore_search"},
        "dct:conformsTo": {"@id": CKAN_API_DOCS},
    }


def theme(call: Call, category: Category) -> dict[str, Any]:
    return {
        "@id": f"{call.site}/catalog.jsonld#category-{category.key}",
        "@type": "skos:Concept",
        "skos:prefLabel": texts(category.name, category.name_en),
        "skos:notation": category.key,
        "skos:inScheme": {"@id": f"{call.site}/catalog.jsonld#categories"},
    }


def publisher(call: Call, dataset: Dataset) -> dict[str, Any] | None:
    owner = dataset.owner.strip()
    if not owner:
        return None
    english = dataset.department.name_en if dataset.department is not None else ""
    return {
        "@id": f"{call.site}/catalog.jsonld#{org_name(owner)}",
        "@type": "foaf:Agent",
        "foaf:name": texts(owner, english),
    }


def dataset_node(call: Call, dataset: Dataset, service: dict[str, Any]) -> dict[str, Any]:
    page = call.site + reverse("hub:dataset", kwargs={"key": dataset.key})
    shared = SHARING_LABELS.get(dataset.sharing, ("", ""))
    node: dict[str, Any] = {
        "@id": page,
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.key,
        "dct:title": texts(dataset.title, dataset.title_en),
        "dct:description": texts(dataset.description, dataset.description_en),
        "dcat:keyword": [{"@value": str(t), "@language": ZH} for t in dataset.tags],
        "dcat:theme": theme(call, dataset.category),
        "dcat:landingPage": {"@id": page},
        "dct:issued": when(dataset.created),
        "dct:modified": when(dataset.updated),
        "dct:language": {"@id": f"{EU}language/ZHO"},
        "dct:accessRights": {
            "@id": f"{EU}access-right/RESTRICTED",
            "rdfs:label": texts(*shared),
        },
        "dcat:distribution": [],
    }
    if (agent := publisher(call, dataset)) is not None:
        node["dct:publisher"] = agent
    if dataset.frequency in FREQUENCIES:
        node["dct:accrualPeriodicity"] = {"@id": f"{EU}frequency/{FREQUENCIES[dataset.frequency]}"}
    licence = licence_node(dataset)
    if licence is not None:
        node["dct:license"] = licence
    if dataset.version is not None:
        node["dcat:distribution"].append(distribution(call, dataset, page, service, licence))
    return node


def licence_node(dataset: Dataset) -> dict[str, Any] | None:
    if not dataset.licence.strip():
        return None
    return {"@type": "dct:LicenseDocument", "rdfs:label": texts(dataset.licence, "")}


def distribution(
    call: Call,
    dataset: Dataset,
    page: str,
    service: dict[str, Any],
    licence: dict[str, Any] | None,
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": f"{page}#datastore",
        "@type": "dcat:Distribution",
        "dct:identifier": dataset.key,
        "dct:title": texts(dataset.title, dataset.title_en),
        "dct:description": texts(
            "数据行（按授权脱敏、按区域限定），经 CKAN datastore_search 读取",
            "Rows (masked and limited to the caller's regions by their grant), read with CKAN's "
            "datastore_search",
        ),
        "dcat:accessURL": {"@id": datastore_url(call, dataset.key)},
        "dcat:accessService": {"@id": service["@id"]},
        "dct:format": {"@id": f"{EU}file-type/JSON"},
        "dcat:mediaType": {"@id": "https://www.iana.org/assignments/media-types/application/json"},
        "dct:modified": when(getattr(dataset, "version_created", None) or dataset.updated),
    }
    if licence is not None:
        node["dct:license"] = licence
    return node
