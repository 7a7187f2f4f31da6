"""The integrations REST API (FastAPI): ``/api/v1/integrations``, OpenAPI docs at ``/api/v1/docs``.

FastAPI here and only here: the MCP function never imports this module (its cold start stays
Starlette's; docs/ARCHITECTURE.md). The app runs in its own function (Mangum) and, locally, beside
``/mcp`` on the same port (``aws-mcp serve``).

* Errors are RFC 9457 problem details (``application/problem+json``): the exception tree's
  ``IntegrationError`` classes carry their status and title; request validation is a 422 listing
  each problem's location and message (never the input, which may hold a secret).
* Who calls: :func:`caller_of` reads the caller exactly as the MCP endpoint does
  (``aws_mcp.http.call_context``: the IAM principal or API key id API Gateway authenticated, or,
  with ``AuthMode=OAUTH``, the bearer token this app checks with the MCP endpoint's rules) and
  gives it its role from the same role configuration (``auth/roles.py``). Reads (list, get,
  health) need a role (viewer or more); everything that changes or acts (create, update, delete,
  test) needs ``admin``. A refusal is a 403 problem naming the role needed and the caller's, and a
  warning log line (this API writes no audit records: those are for ``tools/call``). A role
  configuration that cannot be read refuses every request (fail closed), as on the MCP endpoint.
* Every request counts against its caller's per-minute limit (``ratelimit``): 429 with
  ``Retry-After`` beyond it.
* ``POST /api/v1/integrations/{id}/events`` is for external systems, which cannot sign AWS requests:
  API Gateway lets it through unauthenticated and the event's HMAC-SHA256 signature is its
  authentication (``signing``); it is rate limited per integration.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import Body, Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from aws_mcp.auth.oauth import OAuth, Refusal
from aws_mcp.auth.roles import Role, Roles
from aws_mcp.cursor import decode_cursor, encode_cursor
from aws_mcp.errors import AccessDeniedError, IntegrationError, RateLimitedError
from aws_mcp.http.app import CALLER_SCOPE_KEY, bearer_challenge, call_context, metadata_url
from aws_mcp.integrations.model import (
    IntegrationConfig,
    IntegrationRecord,
    IntegrationStatus,
    IntegrationType,
    IntegrationUpdate,
)
from aws_mcp.integrations.ratelimit import RateLimiter
from aws_mcp.integrations.registry import IntegrationRegistry

__all__ = ["API_PREFIX", "Caller", "caller_of", "create_api"]

API_PREFIX: Final = "/api/v1"
_PROBLEM: Final = "application/problem+json"
_ID = Annotated[str, Path(pattern=r"^[0-9a-f]{24}$", description="The integration's id.")]
_MAX_EVENT_BYTES: Final = 262_144

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Caller:
    principal: str
    # None: authenticated, but the role configuration gives it no role here.
    role: Role | None


def caller_of(request: Request, roles: Roles) -> Caller:
    """The caller (from API Gateway's request context, via Mangum, or the token this app checked)
    and the role ``roles`` give it; ``local`` off API Gateway, with the local role."""
    context = call_context(request.scope)
    try:
        role = roles.policy().role_of(context)
    except AccessDeniedError as err:  # the role configuration is bad: refuse, saying so
        raise _ForbiddenError(str(err)) from None
    return Caller(context.caller, role)


def _needs(least: Role) -> Callable[[Request, Caller], Caller]:
    """A dependency refusing (403) a caller whose role is below ``least``."""

    def check(request: Request, caller: Caller) -> Caller:
        if caller.role is not None and caller.role >= least:
            return caller
        yours = f"your role is {caller.role.label}" if caller.role else "you have no role here"
        logger.warning(
            "integrations API refused a caller",
            extra={
                "caller": caller.principal,
                "role": caller.role.label if caller.role else None,
                "needed": least.label,
                "method": request.method,
                "path": request.url.path,
            },
        )
        what = "read integrations" if least is Role.VIEWER else "change or test integrations"
        raise _ForbiddenError(
            f"To {what} you need the role {least.label}; {yours} (caller {caller.principal}).",
            required_role=least.label,
            role=caller.role.label if caller.role else None,
        )

    return check


class _ForbiddenError(IntegrationError):
    status = 403
    title = "Forbidden"


class _UnauthorizedError(IntegrationError):
    title = "Unauthorized"

    def __init__(self, refusal: Refusal, challenge: str) -> None:
        super().__init__(refusal.description)
        self.status = refusal.status
        self.challenge = challenge


class _BadCursorError(IntegrationError):
    status = 400
    title = "Invalid cursor"


def create_api(
    registry: IntegrationRegistry,
    limiter: RateLimiter,
    *,
    roles: Roles,
    rate_limit_per_minute: int,
    oauth: OAuth | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    """The REST API over ``registry``: callers given their role by ``roles`` (their bearer tokens
    checked by ``oauth`` when set), each held to ``rate_limit_per_minute`` by ``limiter``."""
    import asyncio

    app = FastAPI(
        title="AWS MCP integrations",
        version=version,
        description="Integrations with external systems: configuration, health, tests and inbound events.",
        docs_url=f"{API_PREFIX}/docs",
        openapi_url=f"{API_PREFIX}/openapi.json",
        redoc_url=None,
    )

    reading, changing = _access(roles, oauth, limiter, rate_limit_per_minute)
    reader = Annotated[Caller, Depends(reading)]
    writer = Annotated[Caller, Depends(changing)]
    base = f"{API_PREFIX}/integrations"

    @app.get(base, summary="List integrations", response_model=None)
    async def list_integrations(  # noqa: PLR0917 - FastAPI reads query parameters by name
        caller: reader,
        type: Annotated[IntegrationType | None, Query(description="Only this type.")] = None,
        status: Annotated[IntegrationStatus | None, Query(description="Only this status.")] = None,
        tag: Annotated[
            str | None, Query(max_length=385, pattern=r"^[^:]{1,128}:.{0,256}$", description="key:value")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 50,
        cursor: Annotated[str | None, Query(max_length=2048)] = None,
    ) -> dict[str, Any]:
        question = {"type": type, "status": status, "tag": tag}
        after = None
        if cursor is not None:
            position = decode_cursor(cursor)
            if not position or position.get("q") != question or not isinstance(position.get("after"), str):
                raise _BadCursorError(
                    "The cursor is not one this listing gave, or was given for other filters"
                )
            after = position["after"]
        key, _, value = (tag or "").partition(":")
        page = await registry.page(
            limit=limit,
            after=after,
            itype=type.value if type else None,
            status=status.value if status else None,
            tag=(key, value) if tag else None,
        )
        return {
            "items": [_public(i) for i in page.items],
            "count": len(page.items),
            "next_cursor": encode_cursor({"after": page.after, "q": question}) if page.after else None,
        }

    @app.post(base, status_code=201, summary="Create an integration", response_model=None)
    async def create_integration(
        config: IntegrationConfig, caller: writer, response: Response
    ) -> dict[str, Any]:
        created = await registry.create(config, caller=caller.principal)
        logger.info("integration created", extra={"integration": created.id, "caller": caller.principal})
        response.headers["Location"] = f"{base}/{created.id}"
        response.headers["ETag"] = _etag(created)
        return _public(created)

    @app.get(base + "/{integration_id}", summary="Get an integration", response_model=None)
    async def get_integration(integration_id: _ID, caller: reader, response: Response) -> dict[str, Any]:
        found = await registry.get(integration_id)
        response.headers["ETag"] = _etag(found)
        return _public(found)

    @app.put(
        base + "/{integration_id}", summary="Replace an integration's configuration", response_model=None
    )
    async def update_integration(
        integration_id: _ID, update: Annotated[IntegrationUpdate, Body()], caller: writer, response: Response
    ) -> dict[str, Any]:
        changed = await registry.update(integration_id, update, caller=caller.principal)
        logger.info("integration updated", extra={"integration": changed.id, "caller": caller.principal})
        response.headers["ETag"] = _etag(changed)
        return _public(changed)

    @app.delete(base + "/{integration_id}", status_code=204, summary="Delete an integration")
    async def delete_integration(
        integration_id: _ID,
        caller: writer,
        revision: Annotated[int | None, Query(ge=1, description="Delete only at this revision.")] = None,
    ) -> Response:
        await registry.delete(integration_id, revision)
        logger.info("integration deleted", extra={"integration": integration_id, "caller": caller.principal})
        return Response(status_code=204)

    @app.get(base + "/{integration_id}/health", summary="Health: current status and recent history")
    async def integration_health(
        integration_id: _ID, caller: reader, limit: Annotated[int, Query(ge=1, le=100)] = 10
    ) -> dict[str, Any]:
        return await registry.health(integration_id, limit=limit)

    @app.post(base + "/{integration_id}/test", summary="Run a health check now")
    async def test_integration(integration_id: _ID, caller: writer) -> dict[str, Any]:
        outcome = await registry.check(integration_id, trigger=f"test by {caller.principal}")
        return outcome.answer()

    @app.post(base + "/{integration_id}/events", status_code=202, summary="Send an inbound event (signed)")
    async def inbound_event(integration_id: _ID, request: Request) -> dict[str, Any]:
        integration = await registry.get(integration_id)
        await asyncio.to_thread(
            limiter.acquire, f"integration#{integration_id}", integration.rate_limit_per_minute
        )
        body = await _bounded_body(request)
        entry = await registry.receive(integration_id, body, dict(request.headers))
        return {"accepted": True, "id": entry["id"], "at": entry["at"]}

    _problem_handlers(app)
    return app


def _access(
    roles: Roles, oauth: OAuth | None, limiter: RateLimiter, rate_limit_per_minute: int
) -> tuple[Callable[..., Awaitable[Caller]], Callable[..., Awaitable[Caller]]]:
    """The dependencies of reads and of changes: the caller authenticated (its token checked
    when ``oauth`` is set), counted against its rate limit, then its role checked."""
    import asyncio

    async def limited(request: Request) -> Caller:
        if oauth is not None:
            checked = oauth.tokens.check(request.headers.get("authorization"))
            if isinstance(checked, Refusal):
                raise _UnauthorizedError(checked, bearer_challenge(checked, metadata_url(request)))
            request.scope[CALLER_SCOPE_KEY] = {
                "caller": checked.caller,
                "scopes": checked.scopes,
                "groups": checked.groups,
            }
        caller = caller_of(request, roles)
        await asyncio.to_thread(limiter.acquire, f"caller#{caller.principal}", rate_limit_per_minute)
        return caller

    may_read, may_change = _needs(Role.VIEWER), _needs(Role.ADMIN)

    async def reading(request: Request, caller: Annotated[Caller, Depends(limited)]) -> Caller:
        return may_read(request, caller)

    async def changing(request: Request, caller: Annotated[Caller, Depends(limited)]) -> Caller:
        return may_change(request, caller)

    return reading, changing


async def _bounded_body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_EVENT_BYTES:
            raise _TooLargeError(f"An inbound event is at most {_MAX_EVENT_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class _TooLargeError(IntegrationError):
    status = 413
    title = "Payload too large"


def _public(integration: IntegrationRecord) -> dict[str, Any]:
    # secret_arn and secret_version are excluded by the model; auth holds secrets' names only.
    return integration.model_dump(mode="json")


def _etag(integration: IntegrationRecord) -> str:
    return f'"{integration.revision}"'


def _problem(status: int, title: str, detail: str, instance: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance}
    headers = {}
    if "challenge" in extra:
        headers["WWW-Authenticate"] = extra.pop("challenge")
    if "retry_after_seconds" in extra:
        headers["Retry-After"] = str(extra["retry_after_seconds"])
    return JSONResponse(body | extra, status_code=status, media_type=_PROBLEM, headers=headers)


def _problem_handlers(app: FastAPI) -> None:
    handler_type = Callable[[Request, Any], Awaitable[JSONResponse]]

    async def integration_error(request: Request, exc: IntegrationError) -> JSONResponse:
        extra = dict(exc.extra)
        if isinstance(exc, RateLimitedError):
            extra.setdefault("retry_after_seconds", 60)
        if isinstance(exc, _UnauthorizedError):
            extra["challenge"] = exc.challenge
        return _problem(exc.status, exc.title, exc.detail, request.url.path, **extra)

    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Location and message only: pydantic's "input" and "ctx" may hold the secret that failed.
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return _problem(422, "Invalid request", detail, request.url.path, errors=errors)

    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return _problem(exc.status_code, title, str(exc.detail), request.url.path)

    async def last_resort(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("the integrations API failed on a request")
        return _problem(500, "Internal error", "The server logged it", request.url.path)

    handlers: dict[Any, handler_type] = {
        IntegrationError: integration_error,
        RequestValidationError: invalid,
        StarletteHTTPException: http_error,
        Exception: last_resort,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
