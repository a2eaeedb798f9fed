"""Two-factor login with time-based one-time passwords (TOTP, RFC 6238) and one-time recovery codes.

Any authenticator app (Google Authenticator, Microsoft Authenticator, FreeOTP...) reads the QR code of the
set-up page; it shows a new 6-digit code every 30 seconds. A code is accepted within one step either side
of the server's clock (phones drift) and never twice: the last accepted step is kept on the user. Ten recovery
codes, shown once when two-factor login is turned on, each replace a code once (a lost phone); only their
sha256 digests are stored — they are random, so a fast digest is enough.

Offered to administrators, the secretariat and approvers (the accounts that change or sign what others
see); with TOTP_REQUIRED set, those accounts must turn it on before using the app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import secrets
import time

import pyotp
import segno
from flask import current_app

from .models import Role, User

ROLES = frozenset({Role.ADMIN, Role.SECRETARIAT, Role.APPROVER})
DIGITS = 6
INTERVAL = 30
VALID_WINDOW = 1  # steps either side of now
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off paper


def offered_to(user: User) -> bool:
    """May `user` turn on two-factor login (they hold a role it is meant for)?"""
    return bool(user.roles & ROLES)


def required_for(user: User) -> bool:
    """Must `user` have two-factor login before using the app?"""
    return bool(current_app.config.get("TOTP_REQUIRED")) and offered_to(user)


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    issuer = current_app.config.get("TOTP_ISSUER") or "Thi đua - Khen thưởng"
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=user.username, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The otpauth:// address as a PNG QR code in a data: URI (the CSP allows data: images, no request)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=5, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def normalize(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").upper()


def matching_step(secret: str, code: str, *, after: int | None = None, now: float | None = None) -> int | None:
    """The time step `code` is valid for (within VALID_WINDOW of now), or None. Steps at or before `after`
    (the last one accepted) are refused, so a code seen over a shoulder cannot be replayed."""
    code = normalize(code)
    if not re.fullmatch(rf"\d{{{DIGITS}}}", code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = int((time.time() if now is None else now) // INTERVAL)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes like "K7QM-2XRP-9TNA" (60 bits each)."""
    return ["-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4)) for _ in range(3))
            for _ in range(RECOVERY_CODES)]


def digest(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()


def stored_recovery(codes: list[str]) -> str:
    return "\n".join(digest(c) for c in codes)


def take_recovery_code(user: User, code: str) -> bool:
    """Use up one of `user`'s recovery codes: True (and the code is gone) when it was one of them."""
    wanted = digest(code)
    remaining = (user.totp_recovery or "").split()
    for stored in remaining:
        if hmac.compare_digest(stored, wanted):
            remaining.remove(stored)
            user.totp_recovery = "\n".join(remaining)
            return True
    return False


def recovery_left(user: User) -> int:
    return len((user.totp_recovery or "").split())
