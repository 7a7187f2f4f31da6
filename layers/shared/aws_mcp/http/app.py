"""The MCP endpoint over HTTP (Streamable HTTP, JSON responses): transport checks, then the dispatcher.

The same app runs under Mangum on Lambda and under uvicorn locally; nothing
here calls AWS. Every answer on the endpoint (``/mcp``, and ``/mcp/`` which is
served the same) carries a JSON-RPC body, refusals and internal errors alike, so
clients can tell our 4xx from a proxy's; every other path answers plain JSON.

Starlette, not FastAPI: the endpoint reads its body itself and the dispatcher checks
the message, so FastAPI's request validation, dependency injection and OpenAPI would
describe nothing here, and importing FastAPI costs over 100 ms of every cold start
(bench/RESULTS.md). A REST API with OpenAPI docs belongs in its own app and function.

Last resort: an exception that escapes the dispatcher (a bug) becomes a JSON-RPC
internal error (-32603) with HTTP 500, and the connection stays open for the
client's next request. There is no CORS: a preflight ``OPTIONS`` is a 405 like
any method but POST (browser clients go through a proxy such as the Inspector's).

Locally (``trusted_hosts``) the ``Host`` header must name this server, so a web
page cannot reach it through DNS rebinding; on Lambda, API Gateway sets ``Host``.
Starlette's TrustedHostMiddleware is not used: it ignores ports and answers plain
text, where the endpoint must answer JSON-RPC.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Final

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from aws_mcp.auth.oauth import OAuth, Refusal, metadata
from aws_mcp.config import Settings
from aws_mcp.context import CallContext, Via
from aws_mcp.errors import INTERNAL_ERROR, INVALID_REQUEST
from aws_mcp.jsontext import dumps
from aws_mcp.protocol import Dispatcher, Message, Reply, parse

__all__ = [
    "CALLER_SCOPE_KEY",
    "MCP_PATH",
    "METADATA_PATH",
    "bearer_challenge",
    "call_context",
    "create_app",
    "host_matcher",
    "metadata_url",
]

MCP_PATH: Final = "/mcp"
_ENDPOINT_PATHS: Final = (MCP_PATH, MCP_PATH + "/")
_JSON: Final = "application/json"
_INTERNAL_MESSAGE: Final = "Internal error: the server logged it"
MISDIRECTED: Final = 421
# RFC 9728's well-known path; the endpoint's own is this with /mcp after it.
METADATA_PATH: Final = "/.well-known/oauth-protected-resource"
# Where the bearer-token check (OAuth) leaves the caller it verified in the ASGI scope.
CALLER_SCOPE_KEY: Final = "aws_mcp.caller"

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    dispatcher: Dispatcher,
    *,
    one_request_at_a_time: bool = False,
    trusted_hosts: Collection[str] | None = None,
    problems: Sequence[str] = (),
    oauth: OAuth | None = None,
) -> Starlette:
    """The ASGI app answering MCP with ``dispatcher`` (the composition root builds both).

    ``one_request_at_a_time``: the host never overlaps requests (Lambda), so a tool call
    may block the event loop instead of paying a worker-thread hop per call.
    ``trusted_hosts``: the ``Host`` values served (see :func:`host_matcher`); None serves
    any (on Lambda API Gateway sets it). ``problems``: why the server cannot work as it
    should (missing credentials, ...); ``/health`` then reports ``degraded`` with them.
    ``oauth``: the endpoint takes OAuth bearer tokens (``AuthMode=OAUTH``): a request without a
    valid one is refused (401, or 403 for a token that grants no role) with a
    ``WWW-Authenticate`` header pointing to the RFC 9728 metadata, which is served too.
    """
    origin_allowed = _origin_matcher(settings.allowed_origins)

    async def routing_error(request: Request, exc: Exception) -> Response:
        # The router's own refusals: an unknown path (404) or method (405).
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if path in _ENDPOINT_PATHS:
            # Stateless: no server-initiated stream (GET), no session to end (DELETE), no CORS.
            return _refuse(405, "Only POST is supported on the MCP endpoint", headers={"Allow": "POST"})
        error = "not found" if exc.status_code == 404 else str(exc.detail).lower()
        return _plain(exc.status_code, {"error": error, "path": path}, exc.headers)

    async def mcp_post(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and not origin_allowed(origin):
            return _refuse(403, f"Origin {origin!r} is not allowed")
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != _JSON:
            return _refuse(415, "Content-Type must be application/json")
        if not _accepts_json(request.headers.get("accept", "")):
            return _refuse(406, "Accept must include application/json and text/event-stream")
        if oauth is not None:
            checked = oauth.tokens.check(request.headers.get("authorization"))
            if isinstance(checked, Refusal):
                return _unauthorized(checked, metadata_url(request))
            request.scope[CALLER_SCOPE_KEY] = {
                "caller": checked.caller,
                "scopes": checked.scopes,
                "groups": checked.groups,
            }
        body = await _read_body(request, settings.max_body_bytes)
        if body is None:
            return _refuse(413, f"Request body exceeds {settings.max_body_bytes} bytes")

        parsed = parse(body)
        headers = _headers(request)
        context = call_context(request.scope)
        try:
            if not one_request_at_a_time and dispatcher.blocks(parsed):
                # Keep the event loop free for other requests (uvicorn) while a tool waits on AWS.
                reply = await run_in_threadpool(dispatcher.answer, parsed, headers, context)
            else:
                reply = dispatcher.answer(parsed, headers, context)
        except Exception:
            logger.exception("the dispatcher failed on a request")
            request_id = parsed.reply_id if isinstance(parsed, Message) else None
            return _reply(Reply(500, _error_body(INTERNAL_ERROR, _INTERNAL_MESSAGE, request_id)))
        return _reply(reply)

    async def health(request: Request) -> Response:
        report: dict[str, Any] = {
            "status": "degraded" if problems else "ok",
            "server": settings.server_name,
            "version": settings.server_version,
            "accessMode": settings.access_mode.value,
            "tools": dispatcher.tool_count,
        }
        if problems:
            report["problems"] = list(problems)
        return _plain(200, report)

    async def protected_resource(request: Request) -> Response:
        if oauth is None:
            return _plain(404, {"error": "not found", "path": request.url.path})
        resource = oauth.resource or _base_url(request) + MCP_PATH
        return _plain(200, metadata(oauth, resource))

    # Outermost first: the host check sees every request before anything else does.
    middleware = [Middleware(_LastResort)]
    if trusted_hosts is not None:
        middleware.insert(0, Middleware(_HostCheck, matches=host_matcher(trusted_hosts)))
    app = Starlette(
        routes=[
            Route(MCP_PATH, mcp_post, methods=["POST"]),
            Route(MCP_PATH + "/", mcp_post, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            Route(METADATA_PATH, protected_resource, methods=["GET"]),
            Route(METADATA_PATH + MCP_PATH, protected_resource, methods=["GET"]),
        ],
        middleware=middleware,
        exception_handlers={HTTPException: routing_error},
    )
    # "/mcp/" is served, not redirected; other paths are not guessed at.
    app.router.redirect_slashes = False
    return app


class _LastResort:
    """An exception no handler caught: a JSON(-RPC) 500 without re-raising, so the server keeps
    the connection (Starlette's own last resort re-raises, and uvicorn then closes it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: ASGIMessage) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            logger.exception("unhandled exception answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            if scope.get("path") in _ENDPOINT_PATHS:
                response = Response(
                    dumps(_error_body(INTERNAL_ERROR, _INTERNAL_MESSAGE)), 500, media_type=_JSON
                )
            else:
                response = _plain(500, {"error": "internal error", "path": scope.get("path", "")})
            await response(scope, receive, send)


class _HostCheck:
    """Serve only requests whose ``Host`` names this server (no DNS rebinding); 421 otherwise."""

    def __init__(self, app: ASGIApp, matches: Callable[[str], bool]) -> None:
        self.app = app
        self.matches = matches

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = next((value for name, value in scope.get("headers", ()) if name.lower() == b"host"), b"")
        host = raw.decode("latin-1")
        if self.matches(host):
            await self.app(scope, receive, send)
            return
        if scope.get("path") in _ENDPOINT_PATHS:
            response = _refuse(
                MISDIRECTED, f"Host {host!r} is not this server: connect to it by a local name"
            )
        else:
            response = _plain(MISDIRECTED, {"error": "misdirected request", "host": host})
        await response(scope, receive, send)


def host_matcher(trusted: Collection[str]) -> Callable[[str], bool]:
    """Whether a ``Host`` header names a trusted host.

    An entry is ``name:port`` (that port only), ``name`` (any port) or ``*`` (any host);
    names compare case-insensitively, ``[::1]`` is written with its brackets, and a
    ``Host`` without a port means port 80.
    """
    if "*" in trusted:
        return lambda host: True
    any_port: set[str] = set()
    exact: set[tuple[str, int]] = set()
    for entry in trusted:
        parsed = _split_host(entry)
        if parsed is None:
            continue
        name, port = parsed
        if port is None:
            any_port.add(name)
        else:
            exact.add((name, port))

    def matches(host: str) -> bool:
        parsed = _split_host(host)
        if parsed is None:
            return False
        name, port = parsed
        return name in any_port or (name, 80 if port is None else port) in exact

    return matches


_HOST = re.compile(r"(?P<name>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>[0-9]{1,5}))?")


def _split_host(value: str) -> tuple[str, int | None] | None:
    """``name[:port]`` as (lower-case name, port or None); None when it is not that."""
    found = _HOST.fullmatch(value.strip())
    if found is None:
        return None
    port = found["port"]
    return found["name"].lower(), int(port) if port else None


def _unauthorized(refusal: Refusal, metadata: str) -> Response:
    """401/403 as RFC 6750 and the MCP authorization spec have them: where the metadata is, and why."""
    challenged = refusal.status in (401, 403)
    headers = {"WWW-Authenticate": bearer_challenge(refusal, metadata)} if challenged else {}
    return _refuse(refusal.status, refusal.description, headers=headers)


def bearer_challenge(refusal: Refusal, metadata: str) -> str:
    """The ``WWW-Authenticate`` value of a refused token (the integrations API's too)."""
    challenge = f'Bearer resource_metadata="{metadata}"'
    if refusal.error:
        challenge += f', error="{refusal.error}", error_description="{_quotable(refusal.description)}"'
    if refusal.scope:
        challenge += f', scope="{refusal.scope}"'
    return challenge


def _quotable(text: str) -> str:
    return "".join(c for c in text if c not in '"\\' and 0x20 <= ord(c) < 0x7F)


def _base_url(request: Request) -> str:
    """The URL this server is reached at, up to (not including) ``/mcp``: behind API Gateway
    the stage (or a custom domain's base path) comes first, and Mangum's path leaves it out."""
    event = request.scope.get("aws.event")
    prefix = ""
    if isinstance(event, dict):
        full = _mapping(event.get("requestContext")).get("path")
        path = request.url.path
        if isinstance(full, str) and full.endswith(path):
            prefix = full[: len(full) - len(path)]
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    return f"{proto}://{request.headers.get('host', '')}{prefix}"


def metadata_url(request: Request) -> str:
    """Where the RFC 9728 metadata of this deployment's MCP endpoint is, as ``request`` reached us."""
    return _base_url(request) + METADATA_PATH + MCP_PATH


def _reply(reply: Reply) -> Response:
    if reply.body is None:
        return Response(status_code=reply.status)
    return Response(dumps(reply.body), reply.status, media_type=_JSON)


def _error_body(code: int, message: str, request_id: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _plain(status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(body), status, headers=dict(headers or {}), media_type=_JSON)


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


def call_context(scope: Mapping[str, Any]) -> CallContext:
    """Caller identity from the API Gateway request context (via Mangum) or a bearer token this
    app checked (``CALLER_SCOPE_KEY``), or ``local``; and how it was authenticated (its role's source)."""
    token = scope.get(CALLER_SCOPE_KEY)
    event = scope.get("aws.event")
    request_context = _mapping(event.get("requestContext")) if isinstance(event, dict) else {}
    request_id = str(request_context.get("requestId", ""))
    lambda_context = scope.get("aws.context")
    if isinstance(token, Mapping):
        return CallContext(
            caller=str(token.get("caller", "anonymous")),
            request_id=request_id,
            lambda_context=lambda_context,
            via=Via.BEARER,
            scopes=frozenset(token.get("scopes", ())),
            groups=frozenset(token.get("groups", ())),
        )
    if not isinstance(event, dict):
        return CallContext()
    identity = _mapping(request_context.get("identity"))
    authorizer = _mapping(request_context.get("authorizer"))
    claims = _mapping(authorizer.get("claims"))
    via, caller, scopes, groups = Via.ANONYMOUS, "anonymous", frozenset[str](), frozenset[str]()
    if identity.get("userArn"):
        via, caller = Via.IAM, str(identity["userArn"])
    elif identity.get("apiKeyId"):
        via, caller = Via.API_KEY, f"apikey:{identity['apiKeyId']}"
    elif claims.get("sub") or authorizer.get("principalId"):
        # A Cognito (or Lambda) authorizer in front: its claims say who and with which scopes.
        via, caller = Via.BEARER, str(claims.get("sub") or authorizer.get("principalId"))
        scopes = frozenset(str(claims.get("scope", "")).split())
        groups = frozenset(_groups(claims.get("cognito:groups")))
    return CallContext(
        caller=caller,
        request_id=request_id,
        lambda_context=lambda_context,
        via=via,
        scopes=scopes,
        groups=groups,
    )


def _groups(value: Any) -> list[str]:
    """Groups as a claim carries them: a list, or (API Gateway's flattening) one text."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return value.strip("[]").replace(",", " ").split()
    return []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _origin_matcher(patterns: tuple[str, ...]) -> Any:
    """Exact origins or patterns whose ``*`` stands for one host label run or a port, never ``@``/``/``."""
    if "*" in patterns:
        return lambda origin: True
    compiled = [
        re.compile("^" + re.escape(p).replace(r"\*", r"[A-Za-z0-9.-]*") + "$", re.IGNORECASE)
        for p in patterns
    ]
    return lambda origin: any(rx.match(origin) for rx in compiled)
