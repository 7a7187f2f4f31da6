"""API Gateway (REST API, v1 proxy) events that Mangum cannot read, answered instead of raised.

An event with a field missing or of the wrong type, base64 garbage, or a ``Host`` that is not
``name[:port]`` would raise inside Mangum: it gets a 400 in the proxy response shape, a
JSON-RPC error body and one warning log line.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from aws_mcp.errors import INVALID_REQUEST

__all__ = ["answer_events", "event_problem"]

Handler = Callable[[Any, Any], dict[str, Any]]

log = logging.getLogger("aws_mcp.lambda")


def answer_events(mangum: Handler) -> Handler:
    """``mangum`` answering every event: a 400 (and one log line) for those it cannot read."""

    def answer(event: Any, context: Any) -> dict[str, Any]:
        problem = event_problem(event)
        if problem is None:
            try:
                return mangum(event, context)
            except Exception as err:  # the app answers its own errors: this is Mangum reading the event
                problem = f"{type(err).__name__} reading it"
        log.warning("malformed API Gateway event: %s", problem)
        error = {"code": INVALID_REQUEST, "message": f"Malformed API Gateway event: {problem}"}
        return {
            "statusCode": 400,
            "headers": {"content-type": "application/json"},
            "multiValueHeaders": {},
            "body": json.dumps({"jsonrpc": "2.0", "id": None, "error": error}),
            "isBase64Encoded": False,
        }

    return answer


_HOST = re.compile(r"[^:]*(:[0-9]+)?")


def event_problem(event: Any) -> str | None:
    """What makes ``event`` no REST API (v1) proxy event Mangum can read, or None."""
    if not isinstance(event, dict):
        return "the event is not an object"
    for key in ("resource", "httpMethod", "path"):
        if not _text(event.get(key)):
            return f"{key} must be text"
    context = event.get("requestContext")
    if not isinstance(context, dict):
        return "requestContext must be an object"
    if not isinstance(context.get("identity", {}), dict):
        return "requestContext.identity must be an object"
    for key, multi in (
        ("headers", False),
        ("multiValueHeaders", True),
        ("queryStringParameters", False),
        ("multiValueQueryStringParameters", True),
    ):
        if not _text_map(event.get(key), multi):
            return f"{key} must be an object of {'lists of text' if multi else 'text'}"
    body = event.get("body")
    if body is not None and not _text(body):
        return "body must be text"
    encoded = event.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        return "isBase64Encoded must be true or false"
    if encoded and body:
        try:
            base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return "body is not base64"
    # Mangum's merge of the two header maps, and its reading of the server's name and port.
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    headers.update({k.lower(): ", ".join(v) for k, v in (event.get("multiValueHeaders") or {}).items()})
    host = headers.get("host", "")
    if not _HOST.fullmatch(host):
        return "the Host header is not name[:port]"
    if ":" not in host and not str(headers.get("x-forwarded-port", "80")).strip().isdigit():
        return "the X-Forwarded-Port header is not a number"
    return None


def _text(value: Any) -> bool:
    """A str that UTF-8 can carry (no lone surrogates)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _text_map(value: Any, multi: bool) -> bool:
    if value is None:
        return True
    if not isinstance(value, Mapping):
        return False
    for name, item in value.items():
        values = item if multi else [item]
        if not _text(name) or not isinstance(values, list) or not all(_text(v) for v in values):
            return False
    return True
