"""Connectors: bring a source's input from upstream into a local file (see ``base``)."""

from __future__ import annotations

from .base import Connector, Fetched, NothingToFetch
from .ckan import CkanConnector
from .file import FileConnector
from .folder import FolderConnector
from .http import HttpConnector
from .sql import SqlConnector

CONNECTORS: dict[str, type[Connector]] = {
    c.kind: c for c in (FileConnector, FolderConnector, HttpConnector, SqlConnector, CkanConnector)
}


def get_connector(kind: str) -> type[Connector]:
    """The connector class for a ``Source.connector`` value; KeyError naming the known kinds."""
    try:
        return CONNECTORS[kind]
    except KeyError:
        known = ", ".join(sorted(CONNECTORS))
        raise KeyError(f"unknown connector kind {kind!r}; known kinds: {known}") from None


__all__ = [
    "CONNECTORS",
    "CkanConnector",
    "Connector",
    "Fetched",
    "FileConnector",
    "FolderConnector",
    "HttpConnector",
    "NothingToFetch",
    "SqlConnector",
    "get_connector",
]
