"""The MCP endpoint over HTTP (Streamable HTTP, JSON responses): transport checks, then the dispatcher.

The same app runs under Mangum on Lambda and under uvicorn locally; nothing
here calls AWS. Every refusal carries a JSON-RPC error body so clients can
tell our 4xx from a proxy's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import INVALID_REQUEST, PARSE_ERROR
from aws_mcp.jsontext import dumps
from aws_mcp.protocol import Dispatcher, Reply
from aws_mcp.tools import ToolRegistry, build_registry

__all__ = ["MCP_PATH", "create_app"]

MCP_PATH: Final = "/mcp"
_JSON: Final = "application/json"


def create_app(
    settings: Settings,
    *,
    clients: ClientFactory | None = None,
    registry: ToolRegistry | None = None,
    one_request_at_a_time: bool = False,
) -> FastAPI:
    """The ASGI app, serving ``registry`` (by default, the catalog on ``clients``).

    ``one_request_at_a_time``: the host never overlaps requests (Lambda), so a tool call
    may block the event loop instead of paying a worker-thread hop per call.
    """
    if registry is None:
        registry = build_registry(settings, clients or ClientFactory(settings))
    dispatcher = Dispatcher(settings, registry)
    origin_allowed = _origin_matcher(settings.allowed_origins)
    # No OpenAPI or docs: they cost cold start and describe nothing an MCP client uses.
    app = FastAPI(title="AWS MCP", openapi_url=None, docs_url=None, redoc_url=None)

    @app.post(MCP_PATH)
    async def mcp_post(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and not origin_allowed(origin):
            return _refuse(403, f"Origin {origin!r} is not allowed")
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != _JSON:
            return _refuse(415, "Content-Type must be application/json")
        if not _accepts_json(request.headers.get("accept", "")):
            return _refuse(406, "Accept must include application/json and text/event-stream")
        body = await _read_body(request, settings.max_body_bytes)
        if body is None:
            return _refuse(413, f"Request body exceeds {settings.max_body_bytes} bytes")

        try:
            message = json.loads(body)
        except (ValueError, RecursionError):
            return _reply(Reply(400, _error_body(PARSE_ERROR, "Parse error: the body is not valid JSON")))
        headers = _headers(request)
        context = _context(request.scope)
        if not one_request_at_a_time and isinstance(message, dict) and message.get("method") == "tools/call":
            # Tools block on AWS; keep the event loop free for other requests (uvicorn).
            reply = await run_in_threadpool(dispatcher.handle, message, headers, context)
        else:
            reply = dispatcher.handle(message, headers, context)
        return _reply(reply)

    @app.api_route(MCP_PATH, methods=["GET", "DELETE"])
    async def mcp_other() -> Response:
        # Stateless: no server-initiated stream (GET) and no session to end (DELETE).
        return _refuse(405, "Only POST is supported on the MCP endpoint", headers={"Allow": "POST"})

    # response_model=None: a response model would make FastAPI build a pydantic field at init.
    @app.get("/health", response_model=None)
    async def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "server": settings.server_name,
            "version": settings.server_version,
            "accessMode": settings.access_mode.value,
            "tools": len(registry.tools),
        }

    return app


def _reply(reply: Reply) -> Response:
    if reply.body is None:
        return Response(status_code=reply.status)
    return Response(dumps(reply.body), reply.status, media_type=_JSON)


def _error_body(code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}


def _refuse(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        dumps(_error_body(INVALID_REQUEST, message)), status, headers=dict(headers or {}), media_type=_JSON
    )


def _accepts_json(accept: str) -> bool:
    # We always answer with JSON, so admitting application/json is what matters; clients
    # that list text/event-stream too (as the spec requires) pass.
    types = {part.split(";", 1)[0].strip().lower() for part in accept.split(",")}
    return bool(types & {_JSON, "application/*", "*/*"})


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None once it exceeds ``limit`` (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _headers(request: Request) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for raw_name, raw_value in request.headers.raw:
        grouped.setdefault(raw_name.decode("latin-1").lower(), []).append(raw_value.decode("latin-1"))
    return {name: tuple(values) for name, values in grouped.items()}


def _context(scope: Mapping[str, Any]) -> CallContext:
    """Caller identity from the API Gateway request context (via Mangum), or ``local``."""
    event = scope.get("aws.event")
    if not isinstance(event, dict):
        return CallContext()
    request_context = event.get("requestContext") or {}
    identity = request_context.get("identity") or {}
    authorizer = request_context.get("authorizer") or {}
    claims = authorizer.get("claims") or {}
    caller = (
        identity.get("userArn")
        or (f"apikey:{identity['apiKeyId']}" if identity.get("apiKeyId") else None)
        or claims.get("sub")
        or authorizer.get("principalId")
        or "anonymous"
    )
    return CallContext(
        caller=str(caller),
        request_id=str(request_context.get("requestId", "")),
        lambda_context=scope.get("aws.context"),
    )


def _origin_matcher(patterns: tuple[str, ...]) -> Any:
    """Exact origins or patterns whose ``*`` stands for one host label run or a port, never ``@``/``/``."""
    if "*" in patterns:
        return lambda origin: True
    compiled = [
        re.compile("^" + re.escape(p).replace(r"\*", r"[A-Za-z0-9.-]*") + "$", re.IGNORECASE)
        for p in patterns
    ]
    return lambda origin: any(rx.match(origin) for rx in compiled)
