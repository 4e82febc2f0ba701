"""Access fixtures: 锦绣花园's north gate with a face terminal, residents, hub statuses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from access.factories import HOME, STREET, add_device, add_point, ingest
from shequ.access.models import AccessPoint, Device
from shequ.access.providers import forget_snapshots
from shequ.access.providers.elders import ELDERS
from shequ.access.services import devices
from shequ.core.models import Role
from shequ.hub.services.catalog import load_catalog


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh(settings: Any) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ACCESS_STATUS_CHECK_SECONDS = 0  # each check looks at the dataset's version
    settings.LANGUAGE_CODE = "zh-hans"
    forget_snapshots()
    ELDERS.forget()
    devices.forget_devices()
    yield
    forget_snapshots()
    ELDERS.forget()


@pytest.fixture
def hub(regions: dict[str, Any]) -> None:
    load_catalog(region=regions[STREET])


@pytest.fixture
def load(hub: None, tmp_path: Path) -> Callable[..., int]:
    return lambda key, rows: ingest(tmp_path, key, rows)


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Any:
    return make_user(Role.PLATFORM_ADMIN, "990000000000", username="root")


@pytest.fixture
def point(regions: dict[str, Any]) -> AccessPoint:
    return add_point(regions[HOME])


@pytest.fixture
def terminal(staff: Any, point: AccessPoint) -> tuple[Device, str]:
    return add_device(staff, point, "face")
