"""Staff: enrol a resident's face reference or card with its consent; list them, masked."""

from datetime import date
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema
from ninja.pagination import paginate

from shequ.access.api.common import router
from shequ.access.models import Credential
from shequ.access.services import credentials
from shequ.core.api import PageOf
from shequ.core.errors import Invalid
from shequ.core.inputs import Day, Id
from shequ.core.models import Person
from shequ.core.pagination import Pages
from shequ.core.permissions import Perm, scope
from shequ.core.schemas import READ, WRITE, errors
from shequ.core.types import user_of


class ConsentIn(Schema):
    purpose: str = Field(..., min_length=1, max_length=credentials.PURPOSE_MAX)
    given_on: Day = Field(..., description="the day the resident gave consent (not later)")
    channel: Literal["paper", "app", "staff"]


class EnrolIn(Schema):
    person_id: Id
    kind: Literal["face", "card"]
    ref: str = Field(
        ...,
        min_length=1,
        max_length=credentials.REF_MAX,
        description="the vendor's person reference (face) or the card number",
    )
    consent: ConsentIn | None = Field(
        None, description="required for a face (PIPL art. 28): purpose, day, channel"
    )
    username: str = Field(
        "", max_length=150, description="the resident's account, to see it under My consent"
    )


class ConsentOut(Schema):
    purpose: str
    given_on: date
    channel: str
    withdrawn: bool


class CredentialOut(Schema):
    id: int
    region: str
    person_id: int
    who: str = Field(..., description="the person's masked name; clear only through reveal")
    kind: str
    ref: str = Field(..., description="masked")
    active: bool
    consent: ConsentOut | None


def _out(credential: Credential) -> dict[str, Any]:
    consent = getattr(credential, "consent", None)
    return {
        "id": credential.pk,
        "region": credential.region.code,
        "person_id": credential.person_id,
        "who": credential.person.name_masked,
        "kind": credential.kind,
        "ref": credential.ref_masked,
        "active": credential.active,
        "consent": None
        if consent is None
        else {
            "purpose": consent.purpose,
            "given_on": consent.given_on,
            "channel": consent.channel,
            "withdrawn": consent.withdrawn_at is not None,
        },
    }


@router.post(
    "/credentials",
    response={201: CredentialOut, 200: CredentialOut, **errors(WRITE)},
    summary="Enrol a resident's face reference or card (201; a retry answers 200, unchanged)",
)
def enrol(request: HttpRequest, payload: EnrolIn) -> tuple[int, dict[str, Any]]:
    actor = user_of(request)
    person = get_object_or_404(
        scope(Person.objects.select_related("region"), actor, Perm.VIEW_PEOPLE),
        pk=payload.person_id,
    )
    if payload.kind == "face" and payload.consent is None:
        raise Invalid(
            _("Face data needs the resident's consent first."),
            fields={"consent": [_("Purpose, day and channel of the consent.")]},
        )
    account = None
    if payload.username:
        account = get_user_model().objects.filter(username=payload.username).first()
        if account is None:
            raise Invalid(_("No such account."), fields={"username": [_("No such account.")]})
    consent = payload.consent
    credential, created = credentials.enrol_once(
        actor,
        person,
        kind=payload.kind,
        ref=payload.ref,
        purpose=consent.purpose if consent else "",
        channel=consent.channel if consent else "staff",
        given_on=consent.given_on if consent else None,
        user=account,
    )
    credential = credentials.credentials_in(actor).get(pk=credential.pk)
    return (201 if created else 200), _out(credential)


class CredentialFilter(Schema):
    person_id: Id | None = None
    kind: Literal["face", "card"] | None = None
    active: bool | None = None


@router.get(
    "/credentials",
    response={200: list[CredentialOut], **errors(READ)},
    summary="Credentials of the regions where the caller is staff (masked)",
)
@paginate(Pages, page_size=100)
def list_credentials(request: HttpRequest, filters: Query[CredentialFilter]) -> Any:
    qs = credentials.credentials_in(user_of(request)).order_by("-id")
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    return PageOf(qs, _out)
