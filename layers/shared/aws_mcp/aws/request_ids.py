"""Collect the AWS request ids of the calls a tool makes, for its audit record.

A botocore ``after-call`` hook on every client appends to a per-call collector held
in a context variable, so concurrent tool calls on shared clients never mix ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["collect_request_ids", "record_request_id"]

_collector: ContextVar[list[str] | None] = ContextVar("aws_mcp_request_ids", default=None)


@contextmanager
def collect_request_ids() -> Iterator[list[str]]:
    ids: list[str] = []
    token = _collector.set(ids)
    try:
        yield ids
    finally:
        _collector.reset(token)


def record_request_id(parsed: Any = None, **_: Any) -> None:
    """botocore ``after-call`` handler: keeps the id of every answered call, errors included."""
    ids = _collector.get()
    if ids is None or not isinstance(parsed, dict):
        return
    request_id = parsed.get("ResponseMetadata", {}).get("RequestId")
    if request_id:
        ids.append(str(request_id))
