"""``MCPClient``: one MCP server, any transport, with a circuit breaker, retries and timeouts.

``MCPSTDIOClient`` and ``MCPSSEClient`` are the documented per-transport names: the same client,
holding to a config of their transport (``MCPClientFactory.create_client`` picks by the config).

The SDK's ``mcp.Client`` does the protocol (both eras, the handshake, result validation). Each
connection lives in a task of its own that holds the SDK client's context: a transport that dies
(a crashed server, a refused socket) then ends that task instead of cancelling the caller's,
and ``connect``/``disconnect`` may run in different tasks (the connection manager connects in
parallel and shuts down later). That task is an asyncio task, so the client needs asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import httpx2
import mcp_types as types
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, INVALID_PARAMS, REQUEST_TIMEOUT
from pydantic import BaseModel, ConfigDict, ValidationError

from aws_mcp_client.breaker import CircuitBreaker
from aws_mcp_client.config import ClientSettings, MCPServerConfig, RetryConfig, TransportType
from aws_mcp_client.errors import ErrorCodes, InfrastructureException
from aws_mcp_client.retry import Sleep, retry_call
from aws_mcp_client.transports import HttpExchange, TransportOpener, current_exchange, transport_for

__all__ = ["CLIENT_NAME", "MCPClient", "MCPSSEClient", "MCPSTDIOClient"]

CLIENT_NAME = "aws-mcp-client"
IDEMPOTENCY_KEY = "idempotency_key"
_LIST_PAGES_MAX = 100  # a server whose cursor never ends cannot hang get_tools
_STOP_GRACE_S = 15.0  # a stdio stop takes up to 2 x its 5 s escalation

logger = logging.getLogger("aws_mcp_client")
T = TypeVar("T")


class _AnyResult(BaseModel):
    """A result kept as the server sent it (``send_request`` does not know the method's result type)."""

    model_config = ConfigDict(extra="allow")


def _client_version() -> str:
    try:
        return version("aws-mcp")
    except PackageNotFoundError:
        return "0"


class MCPClient:
    """A connection to one MCP server. Use ``async with``, or ``connect()`` and ``disconnect()``."""

    transport_type: TransportType | None = None
    """The one transport a subclass speaks (None: whichever the config names)."""

    def __init__(
        self,
        config: MCPServerConfig,
        settings: ClientSettings | None = None,
        *,
        transport: TransportOpener | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep | None = None,
        client_info: types.Implementation | None = None,
    ) -> None:
        if self.transport_type is not None and config.transport is not self.transport_type:
            raise InfrastructureException(
                ErrorCodes.CONFIGURATION_INVALID,
                f"{type(self).__name__} speaks {self.transport_type.value}, but the config says "
                f"{config.transport.value}: use "
                "MCPClientFactory.create_client(config) to get the client for its transport",
                server=config.name,
            )
        self.config = config
        # What the server's audit trail records as the client's name and version (the smoke test
        # sends one of its own, to find its calls there).
        self.client_info = client_info or types.Implementation(name=CLIENT_NAME, version=_client_version())
        self.settings = settings or ClientSettings()
        self.transport = transport or transport_for(config, self.settings)
        self.breaker = CircuitBreaker(self.settings.breaker, name=config.name, clock=clock)
        self._sleep = sleep or anyio.sleep
        self._client: Client | None = None
        self._holder: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._tools: dict[str, types.Tool] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def connected(self) -> bool:
        return self._client is not None and self._holder is not None and not self._holder.done()

    @property
    def protocol_version(self) -> str | None:
        return self._client.protocol_version if self.connected and self._client else None

    @property
    def server_info(self) -> types.Implementation | None:
        return self._client.server_info if self.connected and self._client else None

    async def connect(self, *, retry: RetryConfig | None = None) -> None:
        """Connect (a no-op when connected).

        429 and 5xx answers are retried by the settings' policy; failures to reach the server at
        all only when ``retry`` is given (then by it) or the settings' ``retry_connect`` is on.
        """
        if self.connected:
            return
        asked = retry is not None or self.settings.retry_connect

        def retry_if(exc: BaseException) -> bool:
            return (
                isinstance(exc, InfrastructureException) and exc.retryable and (asked or not _unreached(exc))
            )

        await retry_call(self._open, retry or self.settings.retry, retry_if=retry_if, sleep=self._sleep)

    async def disconnect(self) -> None:
        """Close the connection (a stdio server is stopped and reaped) and the HTTP pool."""
        await self._close()
        await self.transport.aclose()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.disconnect()

    async def _open(self) -> None:
        await self._close()
        self.config.check_url()
        self.breaker.check()
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[Client] = loop.create_future()
        self._stop = asyncio.Event()
        self._failure = None
        exchange = HttpExchange()
        token = current_exchange.set(exchange)
        try:
            self._holder = loop.create_task(self._hold(ready, self._stop), name=f"mcp:{self.name}")
        finally:
            current_exchange.reset(token)
        try:
            self._client = await asyncio.wait_for(asyncio.shield(ready), self.settings.timeout)
        except BaseException as exc:
            await self._close()
            error = self._translate(exc, exchange)
            error.details["request_sent"] = False  # nothing but the handshake was sent
            self._count(error)
            raise error from exc
        self._tools = None
        self.breaker.record_success()
        logger.debug("%s: connected, protocol %s", self.name, self.protocol_version)

    async def _hold(self, ready: asyncio.Future[Client], stop: asyncio.Event) -> None:
        try:
            async with Client(
                self.transport.open(),
                mode=self.config.mode,
                read_timeout_seconds=self.settings.timeout,
                client_info=self.client_info,
                cache=None,
            ) as client:
                ready.set_result(client)
                await stop.wait()
        except BaseException as exc:
            # Before the handshake completed: connect() raises it. After: the next request reports it.
            if not ready.done():
                ready.set_exception(exc)
            else:
                self._failure = exc
            if isinstance(exc, asyncio.CancelledError):
                raise

    async def _close(self) -> None:
        holder, self._holder, self._client = self._holder, None, None
        if holder is None:
            return
        if self._stop is not None:
            self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(holder), _STOP_GRACE_S)
        except BaseException:  # its failure was recorded; a stuck one is cancelled
            holder.cancel()
            with contextlib.suppress(BaseException):
                await holder

    # -- requests ----------------------------------------------------------------------------------

    async def send_request(self, request: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one JSON-RPC request (``{"jsonrpc": "2.0", "method": ..., "params": ..., "id": ...}``)
        and return its response, ``{"jsonrpc": "2.0", "id": <the request's>, "result": {...}}``.

        ``timeout`` is in seconds (default: the settings', 30). An error answer is raised, as
        :class:`MCPTransportError` (``PROTOCOL_ERROR``, or ``VALIDATION_FAILED`` for invalid params);
        no answer in time as :class:`MCPTimeoutError`. The session numbers requests itself.
        """
        method = request.get("method")
        if not isinstance(method, str) or not method:
            raise InfrastructureException(ErrorCodes.VALIDATION_FAILED, "a request needs a method name")
        params = dict(request.get("params") or {})
        safe = True
        if method == "tools/call":
            name = params.get("name")
            arguments = dict(params.get("arguments") or {})
            safe, params["arguments"] = await self._prepare_call(str(name), arguments)
        message = types.Request[dict[str, Any] | None, str](method=method, params=params or None)

        async def send(client: Client, seconds: float) -> dict[str, Any]:
            result = await client.session.send_request(
                message, _AnyResult, request_read_timeout_seconds=seconds
            )
            return result.model_dump()

        result = await self._resilient(send, method=method, detail=params, safe=safe, timeout=timeout)
        return {"jsonrpc": "2.0", "id": request.get("id"), "result": result}

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
        unlisted: bool = False,
    ) -> types.CallToolResult:
        """Call a tool; an ``isError`` result is returned, not raised (its text says what went wrong).

        ``unlisted``: send the call even when ``tools/list`` does not name the tool, and let the server
        answer (to see a tool its access mode hides refused); it is retried only with an idempotency key.
        """
        safe, args = await self._prepare_call(name, dict(arguments or {}), unlisted=unlisted)

        async def send(client: Client, seconds: float) -> types.CallToolResult:
            result = await client.call_tool(name, args, read_timeout_seconds=seconds)
            if not isinstance(result, types.CallToolResult):
                raise InfrastructureException(
                    ErrorCodes.PROTOCOL_ERROR, f"tools/call {name} returned {type(result).__name__}"
                )
            return result

        return await self._resilient(
            send, method="tools/call", detail={"name": name, "arguments": args}, safe=safe, timeout=timeout
        )

    async def get_tools(self, *, refresh: bool = False) -> list[types.Tool]:
        """Every tool the server lists (all pages), cached for the connection."""
        if self._tools is None or refresh or not self.connected:

            async def send(client: Client, seconds: float) -> list[types.Tool]:
                tools: list[types.Tool] = []
                cursor: str | None = None
                for _ in range(_LIST_PAGES_MAX):
                    page = await client.session.list_tools(params=types.PaginatedRequestParams(cursor=cursor))
                    tools.extend(page.tools)
                    cursor = page.next_cursor
                    if not cursor:
                        break
                return tools

            listed = await self._resilient(send, method="tools/list", detail={}, safe=True, timeout=None)
            self._tools = {tool.name: tool for tool in listed}
        return list(self._tools.values())

    async def is_healthy(self) -> bool:
        """Connected, breaker not open, and the server answers ``tools/list`` now. Never raises."""
        if not self.connected:
            return False
        try:
            await self.get_tools(refresh=True)
        except InfrastructureException:
            return False
        return True

    async def _prepare_call(
        self, name: str, arguments: dict[str, Any], *, unlisted: bool = False
    ) -> tuple[bool, dict[str, Any]]:
        """Whether retrying this call is safe, and its arguments (with an idempotency key added if wise).

        Every call to a tool that is not read-only and accepts an ``idempotency_key`` gets a fresh one
        (unless the caller gave one), even when the tool says it is idempotent: the server dedupes a
        call without a key only for a short while, so the key is what makes a late retry a replay.
        It is made once per logical call, so all of its retries carry the same key.
        Safe: the tool says it is read-only or idempotent, or the call carries an idempotency key.
        """
        tools = {tool.name: tool for tool in await self.get_tools()}
        tool = tools.get(name)
        if tool is None and unlisted:
            return IDEMPOTENCY_KEY in arguments, arguments
        if tool is None:
            raise InfrastructureException(
                ErrorCodes.NOT_SUPPORTED, f"the server has no tool {name!r}", server=self.name
            )
        hints = tool.annotations
        if hints is not None and hints.read_only_hint:
            return True, arguments
        accepts_key = IDEMPOTENCY_KEY in (tool.input_schema.get("properties") or {})
        if accepts_key and IDEMPOTENCY_KEY not in arguments and self.settings.auto_idempotency_key:
            arguments = {**arguments, IDEMPOTENCY_KEY: uuid.uuid4().hex}
        idempotent = hints is not None and bool(hints.idempotent_hint)
        return idempotent or (accepts_key and IDEMPOTENCY_KEY in arguments), arguments

    async def _resilient(
        self,
        send: Callable[[Client, float], Awaitable[T]],
        *,
        method: str,
        detail: Mapping[str, Any],
        safe: bool,
        timeout: float | None,
    ) -> T:
        seconds = timeout or self.settings.timeout

        async def attempt() -> T:
            self.breaker.check()
            if not self.connected:
                try:
                    await self._open()
                except InfrastructureException as err:
                    err.details["request_sent"] = False
                    raise
            client = self._client
            assert client is not None
            exchange = HttpExchange()
            token = current_exchange.set(exchange)
            if self.settings.log_requests:
                logger.info("%s → %s %s", self.name, method, json.dumps(detail, default=str))
            try:
                with anyio.fail_after(seconds + 1.0):  # the SDK's read timeout should fire first
                    result = await send(client, seconds)
            except Exception as exc:
                error = self._translate(exc, exchange)
                self._count(error)
                if error.code is ErrorCodes.AWS_MCP_CONNECTION_FAILED:
                    await self._close()  # the connection is dead: the next request opens a new one
                raise error from exc
            finally:
                current_exchange.reset(token)
            self.breaker.record_success()
            if self.settings.log_responses:
                logger.info("%s ← %s %s", self.name, method, _summary(result))
            return result

        def retry_if(exc: BaseException) -> bool:
            if not isinstance(exc, InfrastructureException) or not exc.retryable:
                return False
            if _unreached(exc) and not self.settings.retry_connect:
                return False
            # Never sent (no connection, or reconnecting failed): always safe to try again.
            return safe or exc.details.get("request_sent") is False

        return await retry_call(attempt, self.settings.retry, retry_if=retry_if, sleep=self._sleep)

    def _count(self, error: InfrastructureException) -> None:
        """Unavailability counts against the breaker; any answer the server gave counts for it."""
        if error.code is ErrorCodes.CIRCUIT_OPEN:
            return
        if error.retryable:
            self.breaker.record_failure()
        else:
            self.breaker.record_success()

    def _translate(self, exc: BaseException, exchange: HttpExchange) -> InfrastructureException:
        if isinstance(exc, InfrastructureException):
            return exc

        def fail(code: ErrorCodes, message: str, **details: Any) -> InfrastructureException:
            return InfrastructureException(code, message, server=self.name, details=details)

        status = exchange.status
        if status == 429:
            return fail(ErrorCodes.RATE_LIMITED, "the server is rate limiting (HTTP 429)", status=status)
        if status in (401, 403):
            return fail(
                ErrorCodes.AUTHENTICATION_FAILED, f"the server refused the credentials (HTTP {status})"
            )
        if status is not None and status >= 500:
            return fail(ErrorCodes.SERVER_UNAVAILABLE, f"the server answered HTTP {status}", status=status)
        if status is not None and status >= 400 and not exchange.json:
            # Any other 4xx refuses this request as sent: asking again gets the same answer.
            hint = f" (is {self.config.target} an MCP endpoint?)" if status in (404, 405) else ""
            return fail(ErrorCodes.PROTOCOL_ERROR, f"the server answered HTTP {status}{hint}", status=status)
        rpc = exc if isinstance(exc, MCPError) else _leaf(exc)  # connecting wraps it in groups
        if isinstance(rpc, MCPError):
            if rpc.code == REQUEST_TIMEOUT:
                return fail(ErrorCodes.TIMEOUT, f"no answer in time: {rpc.message}")
            if rpc.code == CONNECTION_CLOSED:
                cause = _describe(self._failure) if self._failure else "the server closed the connection"
                return fail(ErrorCodes.AWS_MCP_CONNECTION_FAILED, f"connection lost: {cause}")
            code = ErrorCodes.VALIDATION_FAILED if rpc.code == INVALID_PARAMS else ErrorCodes.PROTOCOL_ERROR
            return fail(code, f"JSON-RPC error {rpc.code}: {rpc.message}", rpc_code=rpc.code, status=status)
        if isinstance(exc, ValidationError):
            return fail(ErrorCodes.PROTOCOL_ERROR, f"the server's answer is malformed: {exc}")
        leaf = _leaf(exc)
        if isinstance(leaf, TimeoutError | httpx2.TimeoutException):
            return fail(ErrorCodes.TIMEOUT, f"no answer within {self.settings.timeout:g} s")
        return fail(
            ErrorCodes.AWS_MCP_CONNECTION_FAILED, f"cannot reach {self.config.target}: {_describe(exc)}"
        )


_UNREACHED = frozenset({ErrorCodes.AWS_MCP_CONNECTION_FAILED, ErrorCodes.TIMEOUT})


def _unreached(exc: InfrastructureException) -> bool:
    """Connecting failed without any answer from the server (refused, unreachable, timed out)."""
    return exc.details.get("request_sent") is False and exc.code in _UNREACHED


def _leaf(exc: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException) -> str:
    leaf = _leaf(exc)
    return f"{type(leaf).__name__}: {leaf}" if str(leaf) else type(leaf).__name__


def _summary(result: object) -> str:
    text = result.model_dump_json() if isinstance(result, types.Result) else json.dumps(result, default=str)
    return text if len(text) <= 2000 else text[:2000] + "…"


class MCPSTDIOClient(MCPClient):
    """A local MCP server (``npx`` packages, binaries) run as a subprocess, spoken to over stdin/stdout.

    The process gets the config's ``env`` over a minimal inherited environment; ``disconnect`` closes
    its stdin, sends SIGTERM, SIGKILL after 5 s, and reaps it (no zombies).
    """

    transport_type = TransportType.STDIO


class MCPSSEClient(MCPClient):
    """A remote MCP server over HTTP+SSE; headers from the config (``env`` when the URL is in ``command``)."""

    transport_type = TransportType.SSE
