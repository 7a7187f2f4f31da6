"""Webhook signatures: HMAC-SHA256 over the timestamp and the body, checked in constant time.

Headers (outbound, and expected on inbound events)::

    X-Aws-Mcp-Timestamp: 1767225600
    X-Aws-Mcp-Signature: sha256=<hex of HMAC-SHA256(signing_secret, "<timestamp>.<body>")>

The timestamp is signed with the body, so a captured request cannot be replayed once it is older
than ``TOLERANCE_SECONDS`` (the scheme Stripe and Slack use). Standard library ``hmac``: a signature
scheme is a few lines over it and no library fixes this header format.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Final

from aws_mcp.errors import SignatureRejectedError

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "TOLERANCE_SECONDS", "sign", "signature_headers", "verify"]

SIGNATURE_HEADER: Final = "X-Aws-Mcp-Signature"
TIMESTAMP_HEADER: Final = "X-Aws-Mcp-Timestamp"
TOLERANCE_SECONDS: Final = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(secret: str, body: bytes, headers: Mapping[str, str], now: float) -> None:
    """Refuse (SignatureRejectedError) unless ``headers`` sign ``body`` with ``secret``, recently."""
    lowered = {k.lower(): v for k, v in headers.items()}
    given = lowered.get(SIGNATURE_HEADER.lower())
    raw_time = lowered.get(TIMESTAMP_HEADER.lower())
    if not given or not raw_time:
        raise SignatureRejectedError(f"Signed events carry {TIMESTAMP_HEADER} and {SIGNATURE_HEADER}")
    try:
        timestamp = int(raw_time)
    except ValueError:
        raise SignatureRejectedError(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureRejectedError(f"{TIMESTAMP_HEADER} is more than {TOLERANCE_SECONDS} s from now")
    if not hmac.compare_digest(sign(secret, timestamp, body), given):
        raise SignatureRejectedError("The signature does not match the body")
