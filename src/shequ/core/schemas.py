"""API schemas of the core app read straight from the models, and the API's one error shape
that every app's routes declare.

A ``resolve_<field>`` reads what the model names differently (a related object's code). What a
caller may see of a person is the service's decision (``people.masked``, ``people.reveal``):
``PersonOut`` only shapes the record it is given.
"""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from shequ.core.models import AuditEvent, Channel, Department, Membership, Region
from shequ.core.permissions import perms_of
from shequ.core.types import User


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = Field(..., description="messages per field in error")


class Error(Schema):
    """The API's one error shape: a route declares its 4xx answers with it, e.g.
    ``response={200: ThingOut, frozenset({403, 404}): Error}``; ``shequ.api.declare_errors``
    adds those the shared handlers can give too (its ``ERROR_SCHEMA`` is this shape)."""

    error: ErrorDetail


class HealthOut(Schema):
    status: str
    database: str
    data_dir: str
    version: str


class MembershipOut(Schema):
    region_code: str
    region_name: str
    role: str
    department: str | None = None

    @staticmethod
    def resolve_region_code(obj: Membership) -> str:
        return obj.region.code

    @staticmethod
    def resolve_region_name(obj: Membership) -> str:
        return obj.region.name

    @staticmethod
    def resolve_department(obj: Membership) -> str | None:
        return obj.department.name if obj.department else None


class MeOut(Schema):
    username: str
    name: str
    memberships: list[MembershipOut]
    permissions: list[str]

    @staticmethod
    def resolve_username(obj: User) -> str:
        return obj.get_username()

    @staticmethod
    def resolve_name(obj: User) -> str:
        return obj.get_full_name() or obj.get_username()

    @staticmethod
    def resolve_memberships(obj: User) -> list[Membership]:
        return list(obj.memberships.select_related("region", "department"))

    @staticmethod
    def resolve_permissions(obj: User) -> list[str]:
        return sorted(perms_of(obj))


class RegionIn(Schema):
    code: str = Field(..., pattern=r"^\d{12}$", description="12-digit division code")
    name: str = Field(..., min_length=1, max_length=100)
    name_en: str = ""
    level: str
    parent_code: str | None = Field(None, pattern=r"^\d{12}$")
    centre_lat: float | None = Field(None, ge=-90, le=90)
    centre_lon: float | None = Field(None, ge=-180, le=180)
    boundary: dict | None = None


class RegionOut(Schema):
    code: str
    name: str
    name_en: str
    level: str
    parent_code: str | None
    centre_lat: float | None
    centre_lon: float | None

    @staticmethod
    def resolve_parent_code(obj: Region) -> str | None:
        return obj.parent.code if obj.parent_id and obj.parent else None


class DepartmentIn(Schema):
    region_code: str = Field(..., pattern=r"^\d{12}$")
    code: str = Field(..., pattern=r"^[a-z0-9_-]{1,50}$")
    name: str = Field(..., min_length=1, max_length=100)
    name_en: str = ""
    kind: str


class DepartmentOut(Schema):
    id: int
    region_code: str
    code: str
    name: str
    name_en: str
    kind: str

    @staticmethod
    def resolve_region_code(obj: Department) -> str:
        return obj.region.code


class PersonIn(Schema):
    region_code: str = Field(..., pattern=r"^\d{12}$")
    name: str = Field(..., min_length=1, max_length=50)
    id_number: str = ""
    phone: str = ""
    address: str = Field("", max_length=200)


class PersonOut(Schema):
    """A ``people.PersonRecord``: masked values, or clear ones after an audited reveal."""

    id: int
    region_code: str
    name: str
    id_number: str
    phone: str
    address: str


class RevealIn(Schema):
    reason: str = Field(..., min_length=2, max_length=300)


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    days: int | None = Field(None, ge=1, le=3650)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created: datetime
    expires_at: datetime | None
    last_used: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(..., description="The clear token. Shown once; store it now.")


class AuditOut(Schema):
    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    region_code: str
    ip: str | None
    details: dict

    @staticmethod
    def resolve_actor(obj: AuditEvent) -> str:
        return obj.actor_name


class InboxOut(Schema):
    id: int
    at: datetime
    title: str
    body: str
    url: str
    level: str
    read_at: datetime | None


class ChannelIn(Schema):
    region_code: str = Field(..., pattern=r"^\d{12}$")
    name: str = Field(..., min_length=1, max_length=100)
    kind: str
    config: dict = Field(default_factory=dict)


class ChannelOut(Schema):
    id: int
    region_code: str
    name: str
    kind: str
    enabled: bool
    disabled_reason: str
    last_error: str
    last_sent: datetime | None

    @staticmethod
    def resolve_region_code(obj: Channel) -> str:
        return obj.region.code


class DeliveryOut(Schema):
    status: str
    attempts: int
    error: str


# The statuses each kind of route can answer with an Error. A route reading the caller's own
# things can be refused (401, 403), miss (404) and get bad parameters (422); a write can also
# find the state changed (409) or get a body that cannot be read (400) or is too large (413).
READ = frozenset({401, 403, 404, 422})
WRITE = READ | {400, 409, 413}
# Routes open to anybody (a device's own token, a payment provider) cannot be refused a login.
PUBLIC_READ = frozenset({404, 422})
PUBLIC_WRITE = frozenset({400, 404, 409, 413, 422})


def errors(statuses: frozenset[int], *more: int) -> dict[frozenset[int], type[Error]]:
    """The ``response=`` entry for a route's error answers."""
    return {statuses | set(more): Error}
