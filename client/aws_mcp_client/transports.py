"""The ways to reach an MCP server, each opening one of the SDK's transports on demand.

Streamable HTTP and HTTP+SSE are the SDK's own (``streamable_http_client``, ``sse_client``), over an
httpx2 client this module builds: pooled, per server, carrying the auth and a response hook that
tells the client library the HTTP status behind an error (the SDK reports every 4xx/5xx as the same
JSON-RPC internal error).

stdio is hand-written, on anyio's process API: the SDK's ``stdio_client`` does not expose the
process (no pid to supervise or report) and fixes its stop escalation at 2 s. Here a stop closes
stdin, sends SIGTERM to the server's process group, and sends SIGKILL after ``STOP_TIMEOUT_S``;
the process is always reaped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

import anyio
import httpx2
import mcp_types as types
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream
from mcp.client._transport import Transport, TransportStreams
from mcp.client.sse import sse_client
from mcp.client.stdio import get_default_environment
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.message import SessionMessage

from aws_mcp_client.auth import auth_headers, httpx_auth
from aws_mcp_client.config import ClientSettings, MCPServerConfig, TransportType

__all__ = [
    "STOP_TIMEOUT_S",
    "HttpExchange",
    "HttpTransport",
    "SseTransport",
    "StdioTransport",
    "TransportOpener",
    "current_exchange",
    "transport_for",
]

STOP_TIMEOUT_S = 5.0
"""How long a stdio server gets after SIGTERM before SIGKILL."""
_POLL_S = 0.02


@dataclass
class HttpExchange:
    """The last HTTP status seen while one request was in flight, and whether its body was JSON."""

    status: int | None = None
    json: bool = False


current_exchange: ContextVar[HttpExchange | None] = ContextVar("aws_mcp_client_exchange", default=None)


async def _record_status(response: httpx2.Response) -> None:
    # The SDK posts from a task that runs in the sender's context, so this is the caller's exchange.
    exchange = current_exchange.get()
    if exchange is not None:
        exchange.status = response.status_code
        # A JSON body at a 4xx status may be a JSON-RPC error, which the SDK reports as itself.
        exchange.json = response.headers.get("content-type", "").lower().startswith("application/json")


class TransportOpener(Protocol):
    """Opens a fresh SDK transport per connection; holds what outlives one (a pool, a process id)."""

    def open(self) -> Transport: ...

    async def aclose(self) -> None: ...


def _http_client(config: MCPServerConfig, settings: ClientSettings) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        headers={**config.headers, **auth_headers(config.auth)},
        auth=httpx_auth(config.auth),
        timeout=httpx2.Timeout(settings.timeout),
        limits=httpx2.Limits(
            max_connections=settings.pool_size, max_keepalive_connections=settings.pool_size
        ),
        event_hooks={"response": [_record_status]},
    )


class HttpTransport:
    """Streamable HTTP over one pooled client per server, kept across reconnects."""

    def __init__(self, config: MCPServerConfig, settings: ClientSettings) -> None:
        self._config = config
        self._settings = settings
        self._client: httpx2.AsyncClient | None = None

    def open(self) -> Transport:
        if self._client is None or self._client.is_closed:
            self._client = _http_client(self._config, self._settings)
        assert self._config.url is not None
        return streamable_http_client(self._config.url, http_client=self._client)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


class SseTransport:
    """The deprecated HTTP+SSE transport: the SDK opens one client per connection (it holds the stream)."""

    def __init__(self, config: MCPServerConfig, settings: ClientSettings) -> None:
        self._config = config
        self._settings = settings

    def open(self) -> Transport:
        config, settings = self._config, self._settings

        def factory(
            headers: dict[str, str] | None = None,
            timeout: httpx2.Timeout | None = None,
            auth: httpx2.Auth | None = None,
        ) -> httpx2.AsyncClient:
            return _http_client(config, settings)

        assert config.url is not None
        return sse_client(config.url, timeout=settings.timeout, httpx_client_factory=factory)

    async def aclose(self) -> None:
        return None


class StdioTransport:
    """Launches the server as a subprocess in its own session, with its own environment."""

    def __init__(self, config: MCPServerConfig, *, stop_timeout: float = STOP_TIMEOUT_S) -> None:
        self._config = config
        self._stop_timeout = stop_timeout
        self.pid: int | None = None
        """The running (or last) server process id."""

    def open(self) -> Transport:
        return self._session()

    async def aclose(self) -> None:
        return None

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[TransportStreams]:
        config = self._config
        assert config.command is not None
        process = await anyio.open_process(
            [config.command, *config.args],
            env=get_default_environment() | dict(config.env),
            cwd=config.cwd,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid = process.pid
        to_session, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        write_stream, from_session = anyio.create_memory_object_stream[SessionMessage](0)

        async def read_stdout() -> None:
            assert process.stdout is not None
            async with to_session:
                buffer = ""
                with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
                    async for chunk in TextReceiveStream(process.stdout):
                        *lines, buffer = (buffer + chunk).split("\n")
                        for line in lines:
                            if line.strip():
                                await to_session.send(_parse(line))

        async def write_stdin() -> None:
            assert process.stdin is not None
            try:
                async with from_session:
                    async for message in from_session:
                        data = message.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
                        await process.stdin.send(data.encode())
            except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
                # The server is gone: end the session's read side so waiting requests fail now.
                await to_session.aclose()

        async with anyio.create_task_group() as tg:
            tg.start_soon(read_stdout)
            tg.start_soon(write_stdin)
            try:
                yield read_stream, write_stream
            finally:
                with anyio.CancelScope(shield=True):
                    await stop_process(process, self._stop_timeout)
                    for stream in (read_stream, write_stream):
                        await stream.aclose()
                tg.cancel_scope.cancel()


def _parse(line: str) -> SessionMessage | Exception:
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(line, by_name=False))
    except ValueError as err:
        return err


async def stop_process(process: Process, timeout: float = STOP_TIMEOUT_S) -> None:
    """Close stdin, SIGTERM the process group, SIGKILL it after ``timeout``; wait until reaped."""
    if process.stdin is not None:
        with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            await process.stdin.aclose()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.returncode is not None:
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        await _exited(process, timeout)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                await stream.aclose()


async def _exited(process: Process, timeout: float) -> None:
    """Wait up to ``timeout`` for the child to be reaped (``returncode`` set).

    Polled, not ``process.wait()``: that also waits for pipe EOF, which a grandchild holding the
    pipes could delay for ever.
    """
    with anyio.move_on_after(timeout):
        while process.returncode is None:
            await anyio.sleep(_POLL_S)


def transport_for(config: MCPServerConfig, settings: ClientSettings) -> TransportOpener:
    """The transport the config names."""
    if config.transport is TransportType.STDIO:
        return StdioTransport(config)
    if config.transport is TransportType.SSE:
        return SseTransport(config, settings)
    return HttpTransport(config, settings)
