"""Residents log in with their phone number and a one-time code (短信验证码).

The code is sent through the channel named by ``SHEQU_PARKING_OTP_CHANNEL`` (an SMS gateway
behind a webhook channel), or printed on the console where ``SHEQU_PARKING_OTP_CONSOLE`` is on
(development and the demo). Only HMACs of phone and code are kept; a code expires, allows a few
attempts, a phone gets few codes per hour, and repeated wrong codes lock the phone out.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import sys
from datetime import timedelta
from typing import TypeGuard

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.core import pii
from shequ.core.models import Channel, Membership, Role
from shequ.core.services import login as lockout
from shequ.core.services.audit import record
from shequ.core.services.notify import deliver
from shequ.core.transports.base import Message
from shequ.core.types import Requester, User
from shequ.parking.models import Estate, PhoneCode, ResidentAccount
from shequ.parking.services.errors import Throttled

log = logging.getLogger(__name__)

CODE_MINUTES = 5
CODE_ATTEMPTS = 5
RESEND_SECONDS = 60
CODES_PER_HOUR = 5


def _phone(raw: str) -> str:
    try:
        return pii.validate_phone(raw)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from exc


def _lock_key(phone_hash: str) -> str:
    return f"otp:{phone_hash}"


def _code_hash(phone: str, code: str) -> str:
    return pii.lookup_hash("otp", f"{phone}/{code}")


def _throttle(phone_hash: str) -> None:
    until = lockout.locked_until(_lock_key(phone_hash))
    if until is not None:
        raise Throttled(
            _("Too many wrong codes. Try again after %(t)s.")
            % {"t": f"{timezone.localtime(until):%H:%M}"}
        )
    now = timezone.now()
    recent = PhoneCode.objects.filter(phone_hash=phone_hash, created__gt=now - timedelta(hours=1))
    if recent.filter(created__gt=now - timedelta(seconds=RESEND_SECONDS)).exists():
        raise Throttled(_("A code was sent less than a minute ago; wait before asking again."))
    if recent.count() >= CODES_PER_HOUR:
        raise Throttled(_("Too many codes for this number in the last hour."))


def send_code(phone_raw: str, *, estate: Estate | None = None, ip: str | None = None) -> PhoneCode:
    """Create and send a one-time code for a phone number."""
    phone = _phone(phone_raw)
    phone_hash = pii.lookup_hash("phone", phone)
    _throttle(phone_hash)
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():  # a code that could not be sent is not kept
        entry = PhoneCode.objects.create(
            phone_hash=phone_hash,
            code_hash=_code_hash(phone, code),
            estate=estate,
            expires_at=timezone.now() + timedelta(minutes=CODE_MINUTES),
            ip=ip,
        )
        _deliver(phone, code)
    return entry


def _deliver(phone: str, code: str) -> None:
    text = _("Your shequ parking login code is %(code)s, valid for %(n)d minutes.") % {
        "code": code,
        "n": CODE_MINUTES,
    }
    channel_id = settings.PARKING_OTP_CHANNEL
    if channel_id:
        channel = Channel.objects.filter(pk=channel_id, enabled=True).first()
        if channel is None:
            raise ImproperlyConfigured("SHEQU_PARKING_OTP_CHANNEL names no enabled channel")
        deliver(channel, Message(title=phone, body=text))
    elif settings.PARKING_OTP_CONSOLE:
        # Development and the demo: the code appears where the server runs.
        print(f"[shequ parking] login code for {pii.mask_phone(phone)}: {code}", file=sys.stdout)
        sys.stdout.flush()
    else:
        raise ImproperlyConfigured("no way to send login codes: set SHEQU_PARKING_OTP_CHANNEL")


def verify_code(phone_raw: str, code: str, signed_in: Requester | None = None) -> User:
    """Check a code; return the resident's user (created at the first login).

    ``signed_in``: the user already logged in (with a password) who confirms a phone: a new
    phone becomes that user's resident account instead of a second user.
    """
    phone = _phone(phone_raw)
    phone_hash = pii.lookup_hash("phone", phone)
    key = _lock_key(phone_hash)
    if lockout.locked_until(key) is not None:
        raise Throttled(_("Too many wrong codes. Try again later."))
    now = timezone.now()
    entry = (
        PhoneCode.objects.filter(phone_hash=phone_hash, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created")
        .first()
    )
    wrong = ValidationError({"code": [_("The code is wrong or has expired.")]})
    if entry is None:
        raise wrong
    # Count the attempt first, atomically: parallel guesses cannot exceed the limit.
    counted = PhoneCode.objects.filter(pk=entry.pk, attempts__lt=CODE_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    good = hmac.compare_digest(entry.code_hash, _code_hash(phone, code.strip()))
    if not counted or not good:
        if lockout.register_failure(key) is not None:
            raise Throttled(_("Too many wrong codes. Try again later."))
        raise wrong
    # Spend the code: of two requests with the right code, only one logs in.
    if not PhoneCode.objects.filter(pk=entry.pk, used_at__isnull=True).update(used_at=now):
        raise wrong
    lockout.register_success(key)
    return _resident_user(phone, phone_hash, entry.estate, signed_in)


def _resident_user(
    phone: str, phone_hash: str, estate: Estate | None, owner: Requester | None = None
) -> User:
    with transaction.atomic():
        account = (
            ResidentAccount.objects.select_related("user").filter(phone_hash=phone_hash).first()
        )
        if account is None:
            if _may_own_phone(owner):
                user = owner
            else:
                user = User.objects.create_user(username=f"r{phone_hash[:16]}")
                user.set_unusable_password()
                user.save(update_fields=["password"])
            account = ResidentAccount.objects.create(
                user=user,
                phone_enc=pii.encrypt(phone),
                phone_hash=phone_hash,
                phone_masked=pii.mask_phone(phone),
                estate=estate,
            )
            record("parking.resident.create", actor=user, obj=account)
        elif estate is not None and account.estate_id != estate.pk:
            account.estate = estate
            account.save(update_fields=["estate"])
        if estate is not None:
            Membership.objects.get_or_create(
                user=account.user, region=estate.region, role=Role.RESIDENT
            )
    return account.user


def _may_own_phone(user: Requester | None) -> TypeGuard[User]:
    """A signed-in resident without a phone account (password login) gets the phone's account;
    staff and others keep their account apart from any resident one."""
    if not isinstance(user, User) or account_of(user) is not None:
        return False
    return Membership.objects.filter(user=user, role=Role.RESIDENT).exists()


def resident_for_phone(
    phone_raw: str, estate: Estate | None = None, owner: User | None = None
) -> User:
    """The resident user of a phone number, made if new (the demo; staff registering someone).

    ``owner``: an existing user without a resident account who gets this phone's account.
    """
    phone = _phone(phone_raw)
    return _resident_user(phone, pii.lookup_hash("phone", phone), estate, owner)


def account_of(user: Requester) -> ResidentAccount | None:
    if not isinstance(user, User):  # nobody signed in
        return None
    return ResidentAccount.objects.filter(user=user).select_related("estate").first()


def phone_of(account: ResidentAccount) -> str:
    return pii.decrypt(account.phone_enc)
