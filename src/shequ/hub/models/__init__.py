"""Data hub (数据仓) catalog, sources and ingestion runs, requests and grants, subscriptions.

Rows themselves live in Delta Lake tables under ``SHEQU_DATA_DIR/hub/<dataset key>``;
these models hold the catalog and the bookkeeping around them. One module per concept.
"""

from shequ.hub.models.catalog import Category, Dataset, DatasetVersion, Origin, Sharing, Tier
from shequ.hub.models.flowback import Subscription, VersionNotice
from shequ.hub.models.requests import DataRequest, Grant
from shequ.hub.models.sources import Connector, IngestRun, Mode, Source

__all__ = [
    "Category",
    "Connector",
    "DataRequest",
    "Dataset",
    "DatasetVersion",
    "Grant",
    "IngestRun",
    "Mode",
    "Origin",
    "Sharing",
    "Source",
    "Subscription",
    "Tier",
    "VersionNotice",
]
