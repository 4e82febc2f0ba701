"""The one error every part of ``hub.query`` raises."""

from __future__ import annotations


class QueryError(Exception):
    """A query was refused or failed; ``status`` is the HTTP status that fits.

    400: the SQL is not allowed or does not run; 403: no grant for a dataset; 404: no such
    dataset or version; 408: the query ran out of time and was cancelled; 500: a fault of the
    hub (a dataset's files cannot be read).
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message
