"""Compact JSON for what the server writes on every call: replies, tool results, metric lines.

orjson encodes the 13 kB ``tools/list`` reply in about 8 µs where the standard library takes
about 90 µs. It refuses one thing the standard library encodes and that can reach us: an
integer beyond 64 bits (a client may choose one as its JSON-RPC id, which we must echo
exactly), so that falls back to the standard library. Parsing stays with the standard
library: requests are small, and orjson reads such integers as floats.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "dumps_text"]


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def dumps_text(value: Any) -> str:
    return dumps(value).decode()
