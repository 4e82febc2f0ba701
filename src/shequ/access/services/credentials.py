"""Enrol a resident's face reference or card with their consent; withdraw it.

A withdrawal queues the enrolment's removal from every device of the community that could
hold it; each device confirms its own removal (``confirm_removal``), and until then the
device is told again each time it asks (``pending_removals``).
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import Consent, Credential, Device, Removal
from shequ.access.services.access import require_staff, staff_scope
from shequ.core import pii
from shequ.core.errors import Conflict, Forbidden, Invalid, NotFound
from shequ.core.models import Person
from shequ.core.services.audit import record
from shequ.core.types import User

REF_MAX = 64
PURPOSE_MAX = 200


def ref_hash(kind: str, ref: str) -> str:
    """The look-up HMAC of a vendor reference or card number (kind ``face`` or ``card``)."""
    return pii.lookup_hash(f"access_{kind}", ref.strip().upper())


def mask_ref(ref: str) -> str:
    ref = ref.strip()
    return ref[:2] + "****" + ref[-2:] if len(ref) > 4 else "****"


def _check_ref(ref: str) -> str:
    ref = ref.strip()
    if not ref or len(ref) > REF_MAX or not ref.isprintable():
        raise Invalid(
            _("Give the reference (1 to 64 printable characters)."),
            fields={"ref": [_("1 to 64 printable characters.")]},
        )
    return ref


def enrol(
    actor: User,
    person: Person,
    *,
    kind: str,
    ref: str,
    purpose: str,
    channel: str,
    given_on: date | None = None,
    user: User | None = None,
) -> Credential:
    """Record a credential and its consent together, or neither (see ``enrol_once``)."""
    return enrol_once(
        actor,
        person,
        kind=kind,
        ref=ref,
        purpose=purpose,
        channel=channel,
        given_on=given_on,
        user=user,
    )[0]


def enrol_once(
    actor: User,
    person: Person,
    *,
    kind: str,
    ref: str,
    purpose: str,
    channel: str,
    given_on: date | None = None,
    user: User | None = None,
) -> tuple[Credential, bool]:
    """Enrol a face reference or card of ``person`` with its consent; ``(credential, created)``.

    A face needs its consent first (PIPL art. 28/29, sensitive personal information): the
    purpose, the day it was given (not in the future) and the channel, all recorded with it.
    A retry of the same enrolment (same person, kind and reference, still active) answers
    the credential already recorded and writes nothing; the reference enrolled for someone
    else, or withdrawn, is a conflict (the vendor gives a new reference on re-enrolment).
    """
    require_staff(actor, person.region.code)
    errors: dict[str, list[str]] = {}
    if kind not in Credential.Kind.values:
        errors["kind"] = [_("Unknown kind.")]
    try:
        clean = _check_ref(ref)
    except Invalid as exc:
        errors.update(exc.fields or {})
        clean = ""
    purpose = purpose.strip()
    if kind == Credential.Kind.FACE and not purpose:
        errors["purpose"] = [_("Face data needs a stated purpose.")]
    if len(purpose) > PURPOSE_MAX:
        errors["purpose"] = [_("At most %(n)d characters.") % {"n": PURPOSE_MAX}]
    if channel not in Consent.Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if kind == Credential.Kind.FACE and given_on is None:
        errors["given_on"] = [_("Face data needs the day consent was given.")]
    if given_on is not None and given_on > timezone.localdate():
        errors["given_on"] = [_("Consent cannot be given in the future.")]
    if errors:
        raise Invalid(_("The enrolment is incomplete."), fields=errors)
    digest = ref_hash(kind, clean)
    same = Credential.objects.filter(region=person.region, kind=kind, ref_hash=digest).first()
    if same is not None:
        return _same(same, person), False
    try:
        with transaction.atomic():
            credential = Credential.objects.create(
                region=person.region,
                kind=kind,
                ref_enc=pii.encrypt(clean),
                ref_hash=digest,
                ref_masked=mask_ref(clean),
                person=person,
                user=user,
            )
            Consent.objects.create(
                credential=credential,
                purpose=purpose,
                given_on=given_on or timezone.localdate(),
                channel=channel,
                recorded_by=actor,
            )
            record("access.enrol", actor=actor, obj=credential, kind=kind)
    except IntegrityError:  # the same reference, enrolled at the same moment by another request
        same = Credential.objects.filter(region=person.region, kind=kind, ref_hash=digest).first()
        if same is None:
            raise
        return _same(same, person), False
    return credential, True


def _same(credential: Credential, person: Person) -> Credential:
    """The credential a retry meant, or a conflict naming the reference."""
    if credential.person_id != person.pk:
        raise Conflict(
            _("This reference is already enrolled here for someone else."),
            fields={"ref": [_("Taken.")]},
        )
    if not credential.active:
        raise Conflict(
            _("Consent for this reference was withdrawn: enrol under a new reference."),
            fields={"ref": [_("Withdrawn.")]},
        )
    return credential


def credentials_in(actor: User) -> QuerySet[Credential]:
    """Credentials of the regions where the actor is staff (masked fields only are shown)."""
    return staff_scope(Credential.objects.all(), actor, "region").select_related(
        "region", "person", "consent"
    )


def consents_in(actor: User) -> QuerySet[Consent]:
    """Consent records of the actor's staff regions, newest first, each with how many devices
    were told to delete its enrolment (``removals``) and how many confirmed (``confirmed``)."""
    qs = staff_scope(Consent.objects.all(), actor, "credential__region")
    return (
        qs.select_related("credential__region", "credential__person")
        .annotate(
            removals=Count("credential__removals"),
            confirmed=Count(
                "credential__removals", filter=Q(credential__removals__confirmed_at__isnull=False)
            ),
        )
        .order_by(F("withdrawn_at").desc(nulls_last=True), "-id")
    )


def credentials_of(user: User) -> QuerySet[Credential]:
    return Credential.objects.filter(user=user).select_related("consent", "region")


def withdraw(actor: User, credential: Credential, channel: str) -> list[Removal]:
    """Withdraw consent: the credential stops opening doors; every device is told to forget it.

    The resident themself or staff of the region; repeating it changes nothing.
    """
    if credential.user_id != actor.pk:
        require_staff(actor, credential.region.code)
    if channel not in Consent.Channel.values:
        raise Invalid(_("Unknown channel."), fields={"channel": [_("Unknown channel.")]})
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(credential=credential)
        if consent.withdrawn_at is not None:
            return list(credential.removals.all())
        consent.withdrawn_at = timezone.now()
        consent.withdrawal_channel = channel
        consent.save(update_fields=["withdrawn_at", "withdrawal_channel"])
        Credential.objects.filter(pk=credential.pk).update(active=False)
        credential.active = False
        devices = Device.objects.filter(
            point__region=credential.region, kind=credential.kind, revoked_at__isnull=True
        )
        removals = [Removal.objects.create(credential=credential, device=d) for d in devices]
        record("access.consent.withdraw", actor=actor, obj=credential, devices=len(removals))
    return removals


def pending_removals(device: Device) -> list[tuple[Removal, str]]:
    """What the device must delete: each removal with the clear reference it enrolled."""
    pending = Removal.objects.filter(device=device, confirmed_at__isnull=True).select_related(
        "credential"
    )
    return [(r, pii.decrypt(r.credential.ref_enc)) for r in pending]


def confirm_removal(device: Device, removal_id: int) -> Removal:
    """The device deleted the enrolment; a repeat answers the first confirmation."""
    removal = Removal.objects.filter(pk=removal_id).select_related("credential").first()
    if removal is None:
        raise NotFound(_("No such removal."))
    if removal.device_id != device.pk:
        raise Forbidden(_("This removal is for another device."))
    if removal.confirmed_at is None:
        Removal.objects.filter(pk=removal.pk, confirmed_at__isnull=True).update(
            confirmed_at=timezone.now()
        )
        removal.refresh_from_db()
        record("access.removal.confirm", obj=removal.credential, device=device.pk)
    return removal
