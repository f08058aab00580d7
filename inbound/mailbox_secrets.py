"""Mailbox passwords and client secrets, encrypted at rest with a key from the environment.

``MAILBOX_SECRET_KEY`` (a Fernet key) encrypts them; without it a key is derived from
``SECRET_KEY`` with HKDF. The plain secret exists only in memory while connecting.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnreadable(ValueError):
    pass


def _fernet() -> Fernet:
    key = settings.MAILBOX_SECRET_KEY
    if not key:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"postbag-mailbox", info=b"mailbox secrets").derive(
            settings.SECRET_KEY.encode()
        )
        key = base64.urlsafe_b64encode(derived).decode()
    return Fernet(key)


def secret_seal(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def secret_open(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable(
            "The stored password cannot be decrypted (MAILBOX_SECRET_KEY or SECRET_KEY has changed): enter it again."
        ) from error
