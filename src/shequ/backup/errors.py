"""The one error of backup and restore."""

from __future__ import annotations

from shequ.core.errors import ServiceError


class BackupError(ServiceError):
    """A backup that cannot be made, verified or restored; its message says why and what to do."""

    status = 409
    default_code = "backup"
