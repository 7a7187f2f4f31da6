"""``MCPConnectionManager``: many MCP servers at once, ours and others', from ``mcp_servers.json``.

Connects in parallel with a result per server, reconnects with backoff (1 s, 2 s, 4 s, 8 s … up to
30 s, plus 0-50% jitter: ``_calculate_backoff``), checks health, and discovers tools across servers
under qualified names (``server/tool``), so two servers may offer a tool of the same name.

As documented, ``initialize``, ``get_client`` and ``get_server_status`` are awaited; ``get_client``
hands out a connected client only (else :class:`MCPConnectionError`, as for a disabled server).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types

from aws_mcp_client.client import MCPClient
from aws_mcp_client.config import ClientSettings, MCPServerConfig, RetryConfig
from aws_mcp_client.errors import ErrorCodes, InfrastructureException
from aws_mcp_client.factory import MCPClientFactory, configure_logging
from aws_mcp_client.mcp_servers import load_mcp_config
from aws_mcp_client.retry import Sleep

__all__ = [
    "CONNECT_BACKOFF",
    "ConnectResult",
    "DiscoveredTool",
    "MCPConnectionManager",
    "ServerState",
    "ServerStatus",
]

CONNECT_BACKOFF = RetryConfig(
    max_retries=5, base_delay=1.0, max_delay=30.0, exponential_base=2.0, jitter=True
)


class ServerState(StrEnum):
    DISABLED = "disabled"
    DISCONNECTED = "disconnected"
    CONNECTED = "connected"
    FAILED = "failed"


@dataclass(frozen=True)
class ConnectResult:
    name: str
    connected: bool
    error: InfrastructureException | None = None


@dataclass(frozen=True)
class ServerStatus:
    name: str
    state: ServerState
    transport: str
    target: str
    breaker: str
    protocol_version: str | None = None
    error: str | None = None
    connected_at: float | None = None


@dataclass(frozen=True)
class DiscoveredTool:
    server: str
    tool: types.Tool

    @property
    def qualified_name(self) -> str:
        return f"{self.server}/{self.tool.name}"


class MCPConnectionManager:
    def __init__(self, settings: ClientSettings | None = None, *, sleep: Sleep = anyio.sleep) -> None:
        self.settings = settings or ClientSettings()
        self._sleep = sleep
        configure_logging(self.settings)
        self._configs: dict[str, MCPServerConfig] = {}
        self._clients: dict[str, MCPClient] = {}
        self._errors: dict[str, str] = {}
        self._connected_at: dict[str, float] = {}

    async def initialize(self, config: Mapping[str, MCPServerConfig] | str | Path) -> None:
        """Take the servers to manage: ``load_mcp_config(...)``'s answer, a mapping, or a file's path."""
        servers = dict(load_mcp_config(config) if isinstance(config, str | Path) else config)
        self._configs = servers
        self._clients = {
            name: MCPClientFactory.create_client(cfg, self.settings, sleep=self._sleep)
            for name, cfg in servers.items()
        }
        self._errors.clear()

    @property
    def servers(self) -> list[str]:
        return list(self._configs)

    async def get_client(self, name: str) -> MCPClient:
        """The server's connected client; :class:`MCPConnectionError` if it is disabled or not connected."""
        client = self.client(name)
        if not self._configs[name].enabled:
            raise _disabled(name)
        if not client.connected:
            raise InfrastructureException(
                ErrorCodes.AWS_MCP_CONNECTION_FAILED,
                "not connected: connect_server first"
                + (f" (the last attempt failed: {self._errors[name]})" if name in self._errors else ""),
                server=name,
            )
        return client

    def client(self, name: str) -> MCPClient:
        """The server's client, connected or not (``UNKNOWN_SERVER`` for a name not configured)."""
        if name not in self._clients:
            known = ", ".join(self._configs) or "none"
            raise InfrastructureException(
                ErrorCodes.UNKNOWN_SERVER, f"no server named {name!r} (configured: {known})", server=name
            )
        return self._clients[name]

    def _calculate_backoff(self, attempt: int, jitter: bool = True) -> float:
        """Seconds before reconnect ``attempt`` (from 0): 1, 2, 4, 8 … at most 30, plus 0-50% jitter."""
        return CONNECT_BACKOFF.delay(attempt, jitter=jitter)

    async def connect_server(self, name: str, max_retries: int = CONNECT_BACKOFF.max_retries) -> MCPClient:
        client = self.client(name)
        if not self._configs[name].enabled:
            raise _disabled(name)
        try:
            await client.connect(retry=replace(CONNECT_BACKOFF, max_retries=max_retries))
        except InfrastructureException as err:
            self._errors[name] = str(err)
            raise
        self._errors.pop(name, None)
        self._connected_at[name] = time.time()
        return client

    async def connect_all_enabled(
        self, max_retries: int = CONNECT_BACKOFF.max_retries
    ) -> dict[str, ConnectResult]:
        """Connect every enabled server at once; one result per enabled server, never raises for one."""
        names = [name for name, cfg in self._configs.items() if cfg.enabled]
        outcomes = await asyncio.gather(
            *(self.connect_server(name, max_retries) for name in names), return_exceptions=True
        )
        results: dict[str, ConnectResult] = {}
        for name, outcome in zip(names, outcomes, strict=True):
            if isinstance(outcome, InfrastructureException):
                results[name] = ConnectResult(name, False, outcome)
            elif isinstance(outcome, BaseException):
                raise outcome  # a bug, not a server's trouble
            else:
                results[name] = ConnectResult(name, True)
        return results

    async def disconnect_server(self, name: str) -> None:
        await self.client(name).disconnect()
        self._connected_at.pop(name, None)

    def enable_server(self, name: str) -> None:
        self.client(name)
        self._configs[name] = replace(self._configs[name], enabled=True)

    async def disable_server(self, name: str) -> None:
        """Disconnect the server and leave it out of ``connect_all_enabled`` until enabled again."""
        await self.disconnect_server(name)
        self._configs[name] = replace(self._configs[name], enabled=False)

    async def health_check_all(self) -> dict[str, bool]:
        """Each connected server asked at once; disabled and unconnected ones are reported unhealthy."""
        names = list(self._clients)
        healthy = await asyncio.gather(*(self._clients[name].is_healthy() for name in names))
        return dict(zip(names, healthy, strict=True))

    async def get_server_status(self, name: str | None = None) -> dict[str, dict[str, Any]]:
        """Every server's (or one's) status: ``{name: {"enabled": ..., "connected": ..., "state": ...,
        "transport", "target", "breaker", "protocol_version", "error", "connected_at"}}``."""
        if name is not None:
            self.client(name)  # UNKNOWN_SERVER for a name not configured
        names = list(self._configs) if name is None else [name]
        return {each: _as_dict(self.status(each)) for each in names}

    def status(self, name: str) -> ServerStatus:
        """One server's status, typed."""
        client, config = self.client(name), self._configs[name]
        if not config.enabled:
            state = ServerState.DISABLED
        elif client.connected:
            state = ServerState.CONNECTED
        else:
            state = ServerState.FAILED if name in self._errors else ServerState.DISCONNECTED
        return ServerStatus(
            name=name,
            state=state,
            transport=config.transport.value,
            target=config.target,
            breaker=client.breaker.state.value,
            protocol_version=client.protocol_version,
            error=self._errors.get(name),
            connected_at=self._connected_at.get(name) if client.connected else None,
        )

    async def discover_tools(self) -> list[DiscoveredTool]:
        """The tools of every connected server, as ``server/tool``; a server that fails is left out."""
        names = [name for name, client in self._clients.items() if client.connected]
        listings = await asyncio.gather(
            *(self._clients[n].get_tools() for n in names), return_exceptions=True
        )
        found: list[DiscoveredTool] = []
        for name, listing in zip(names, listings, strict=True):
            if isinstance(listing, InfrastructureException):
                self._errors[name] = str(listing)
                continue
            if isinstance(listing, BaseException):
                raise listing
            found.extend(DiscoveredTool(name, tool) for tool in listing)
        return found

    async def call_tool(
        self, qualified_name: str, arguments: Mapping[str, Any] | None = None
    ) -> types.CallToolResult:
        """Call ``server/tool``."""
        server, sep, tool = qualified_name.partition("/")
        if not sep or not tool:
            raise InfrastructureException(
                ErrorCodes.VALIDATION_FAILED, f"{qualified_name!r}: expected server/tool"
            )
        return await (await self.get_client(server)).call_tool(tool, arguments)

    async def shutdown(self) -> dict[str, InfrastructureException | None]:
        """Disconnect every server at once; one failing does not stop the others. Never raises for one."""
        names = list(self._clients)
        outcomes = await asyncio.gather(
            *(self._clients[n].disconnect() for n in names), return_exceptions=True
        )
        self._connected_at.clear()
        results: dict[str, InfrastructureException | None] = {}
        for name, outcome in zip(names, outcomes, strict=True):
            if isinstance(outcome, InfrastructureException) or outcome is None:
                results[name] = outcome
            else:
                results[name] = InfrastructureException(
                    ErrorCodes.AWS_MCP_CONNECTION_FAILED, f"disconnect failed: {outcome!r}", server=name
                )
        return results


def _disabled(name: str) -> InfrastructureException:
    return InfrastructureException(
        ErrorCodes.SERVER_DISABLED, "the server is disabled: enable it first", server=name
    )


def _as_dict(status: ServerStatus) -> dict[str, Any]:
    return {
        "enabled": status.state is not ServerState.DISABLED,
        "connected": status.state is ServerState.CONNECTED,
        **{k: v.value if isinstance(v, StrEnum) else v for k, v in asdict(status).items() if k != "name"},
    }
