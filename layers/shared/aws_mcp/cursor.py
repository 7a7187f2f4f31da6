"""Opaque pagination cursors: a small JSON position, base64url-encoded, for tools/list and tools."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: object) -> dict[str, Any] | None:
    """The position, or None when ``cursor`` is not one of ours (callers say what to do instead)."""
    if not isinstance(cursor, str):
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        return None
    return position if isinstance(position, dict) else None
