"""Setting up, checking and replacing a person's authenticator and recovery codes."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
# The demo accounts' authenticator: its key is public (README), so only `load_demo` uses it,
# and `manage.py demo_totp_code` prints codes for devices of this name only.
DEMO_DEVICE_NAME = "Demo authenticator (public key)"
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"  # the RFC 6238 test key
DEMO_TOTP_KEY_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@dataclass(frozen=True)
class PendingAuthenticator:
    device: TOTPDevice
    qr_svg: SafeString
    secret: str  # base32, for typing into an app by hand


def totp_pending(*, user: User) -> PendingAuthenticator:
    """The unconfirmed authenticator being set up (made on first call, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=AUTHENTICATOR_NAME).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    qr = segno.make(device.config_url, error="m")
    # segno writes the SVG itself from the otpauth URL; no user text is interpolated.
    svg = qr.svg_inline(scale=5, dark="#000", light="#fff", title="QR code for your authenticator app")
    secret = _base32(device.bin_key)
    return PendingAuthenticator(device=device, qr_svg=mark_safe(svg), secret=secret)  # noqa: S308


def _base32(key: bytes) -> str:
    from base64 import b32encode

    return b32encode(key).decode()


@transaction.atomic
def totp_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm ``device`` with a code from the app. Replaces any earlier authenticator and
    issues fresh recovery codes, returned once (they are stored only as used/unused tokens)."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(token.strip()):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_issue(user=user)


@transaction.atomic
def recovery_codes_issue(*, user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.OTP_RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(*, user: User) -> int:
    left: int = StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
    return left


def token_check(*, user: User, token: str) -> Device | None:
    """The confirmed device that accepts ``token`` (an app code or a recovery code), or None.

    Each device's own throttling applies: repeated wrong codes make it wait longer each time.
    """
    token = "".join(token.split())
    if not token:
        return None
    for device in devices_for_user(user, confirmed=True):
        if device.verify_is_allowed()[0] and device.verify_token(token):
            return device
    return None


@transaction.atomic
def two_factor_remove(*, user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def demo_device_ensure(*, user: User) -> bool:
    """Give a demo account the public demo authenticator (idempotent). True when created."""
    _device, created = TOTPDevice.objects.get_or_create(
        user=user, name=DEMO_DEVICE_NAME, defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True}
    )
    return bool(created)
