"""Errors of the parking services that are not invalid input (those are ValidationError)."""

from __future__ import annotations


class Conflict(Exception):
    """The request is valid but the state forbids it now (sold out, already paid …): HTTP 409."""

    def __init__(self, message: str, code: str = "conflict") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class SoldOut(Conflict):
    def __init__(self, message: str) -> None:
        super().__init__(message, "sold_out")


class Throttled(Exception):
    """Too many attempts: HTTP 429."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
