"""Lambda entry point: the only module that knows about Lambda. All setup happens at import (init).

Init does what every first request would otherwise pay for, and nothing more: build the app
and read the default region's circuit states (which builds the state tables' client, loads
botocore's shared data and opens the connection to DynamoDB). The garbage collector stays
off meanwhile: init allocates a great many long-lived objects (FastAPI's and the tools'
pydantic models, botocore's) and collecting while they are built only slows the cold start.
Freezing them afterwards keeps every later collection from scanning them again.

An event Mangum cannot read (a field missing or of the wrong type, base64 garbage, a ``Host``
that is not ``name[:port]``...) is answered with a 400 in the API Gateway proxy response shape,
a JSON-RPC error body and one warning log line, instead of an unhandled exception.
"""

import asyncio
import base64
import binascii
import gc
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

gc.disable()
# Mangum runs each invocation in an asyncio task; its name ("Task-42") would ride on every log line.
logging.logAsyncioTasks = False  # type: ignore[attr-defined]  # (3.12+; not in typeshed yet)

from mangum import Mangum  # noqa: E402

from aws_mcp.aws.clients import ClientFactory  # noqa: E402
from aws_mcp.config import Settings  # noqa: E402
from aws_mcp.http import create_app  # noqa: E402
from aws_mcp.tools import build_registry  # noqa: E402

settings = Settings.from_env()
registry = build_registry(settings, ClientFactory(settings))
registry.prime()
# Mangum runs every invocation on the current event loop: make it now, at init (Python no longer
# makes one on demand without a DeprecationWarning, and 3.14 not at all).
asyncio.set_event_loop(asyncio.new_event_loop())
# lifespan="off": Mangum would otherwise run startup/shutdown on every invocation.
# one_request_at_a_time: Lambda sends an instance one invocation at a time.
_mangum = Mangum(create_app(settings, registry=registry, one_request_at_a_time=True), lifespan="off")
log = logging.getLogger("aws_mcp.lambda")


def answer(event: Any, context: Any) -> dict[str, Any]:
    """The proxy response to one API Gateway event: the app's, or a 400 when Mangum cannot read it."""
    problem = event_problem(event)
    if problem is None:
        try:
            response: dict[str, Any] = _mangum(event, context)
        except Exception as err:  # the app answers its own errors: this is Mangum reading the event
            problem = f"{type(err).__name__} reading it"
        else:
            return response
    log.warning("malformed API Gateway event: %s", problem)
    error = {"code": -32600, "message": f"Malformed API Gateway event: {problem}"}
    return {
        "statusCode": 400,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {},
        "body": json.dumps({"jsonrpc": "2.0", "id": None, "error": error}),
        "isBase64Encoded": False,
    }


# What template.yaml's Handler (app.handler) names.
handler = answer

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


gc.freeze()
gc.enable()
