"""The request-metadata headers of MCP 2026-07-28 Streamable HTTP, and their value encoding."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from typing import Final

# Lower-case header name -> every value received for it (duplicates matter: a
# router reading the first copy and a server reading the last must not disagree).
Headers = Mapping[str, Sequence[str]]

PROTOCOL_VERSION: Final = "mcp-protocol-version"
METHOD: Final = "mcp-method"
NAME: Final = "mcp-name"
ROUTING: Final = (PROTOCOL_VERSION, METHOD, NAME)

# Methods whose params field is mirrored into Mcp-Name.
NAME_FIELD: Final = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}

_SENTINEL: Final = re.compile(r"=\?base64\?(?P<payload>[A-Za-z0-9+/=]*)\?=")


def single(headers: Headers, name: str) -> str | None:
    """The one value of ``name``, or None when absent. Callers check duplicates first."""
    values = headers.get(name)
    return values[-1] if values else None


def duplicated_routing_header(headers: Headers) -> str | None:
    for name in ROUTING:
        if len(headers.get(name, ())) > 1:
            return name
    return None


def decode_value(value: str | None) -> str | None:
    """Undo the ``=?base64?...?=`` sentinel; None for a malformed sentinel, so it never matches."""
    if value is None:
        return None
    match = _SENTINEL.fullmatch(value)
    if match is None:
        return value
    payload = match["payload"]
    try:
        raw = base64.b64decode(payload, validate=True)
        return raw.decode("utf-8") if base64.b64encode(raw).decode("ascii") == payload else None
    except (binascii.Error, UnicodeDecodeError):
        return None
