"""Signing secrets and request signatures, shared by inbound events and outbound webhooks.

A signing secret is never stored. It is derived when needed as

    HMAC-SHA256(SECRET_KEY, "<purpose>:<identifier>:<salt>")   (hex)

where the identifier is public (an integration key's key_id, a webhook subscription's id) and
the salt is random and stored on the row. Whoever reads the database learns neither secret;
rotating ACCORD_SECRET_KEY invalidates all of them (reissue keys, rotate webhook secrets).

A signature header reads ``t=<unix seconds>,v1=<hex>``, with
``v1 = HMAC-SHA256(secret, "<t>.<raw body>")``; several ``v1=`` entries may be given (any one
matching is enough), and a timestamp more than five minutes away from now is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

from django.conf import settings

from accord.core.errors import AccordError

SIGNATURE_HEADER = "X-Accord-Signature"
TOLERANCE_SECONDS = 300
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


class SignatureRejected(AccordError):
    """A request's signature is missing, malformed, wrong or too old (answered with 401)."""

    code = "signature_invalid"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def new_salt() -> str:
    return secrets.token_hex(16)


def derive_secret(purpose: str, identifier: str, salt: str) -> str:
    message = f"{purpose}:{identifier}:{salt}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def compute_signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},v1={compute_signature(secret, stamp, body)}"


def _parse(header: str) -> tuple[int, list[str]]:
    stamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and (value.isascii() and value.isdigit()) and len(value) <= 12:
            stamp = int(value)
        elif name == "v1" and _HEX_DIGEST.fullmatch(value.strip().lower()):
            signatures.append(value.strip().lower())
    if stamp is None or not signatures:
        raise SignatureRejected(
            "signature_invalid",
            f"{SIGNATURE_HEADER} is malformed: expected 't=<unix seconds>,v1=<hex HMAC-SHA256>'.",
        )
    return stamp, signatures


def verify_signature(
    secret: str, header: str | None, body: bytes, *, now: float | None = None
) -> None:
    """Raise `SignatureRejected` unless ``header`` signs ``body`` with ``secret`` within the
    tolerance."""
    if not header:
        raise SignatureRejected(
            "signature_missing",
            f"This integration key requires signed requests: send {SIGNATURE_HEADER}: "
            "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<raw body>'>.",
        )
    stamp, candidates = _parse(header)
    current = time.time() if now is None else now
    if abs(current - stamp) > TOLERANCE_SECONDS:
        raise SignatureRejected(
            "signature_expired",
            f"The signature's timestamp is more than {TOLERANCE_SECONDS // 60} minutes from the "
            "server's clock; sign each request when it is sent (and check the sender's clock).",
        )
    expected = compute_signature(secret, stamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureRejected(
            "signature_invalid",
            "The signature does not match the body: sign the exact bytes sent, with the "
            "integration key's signing secret.",
        )
