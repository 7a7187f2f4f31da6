"""The connection manager holds several real servers at once: HTTP, stdio, disabled and unreachable ones."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from aws_mcp_client import (
    CircuitBreakerConfig,
    ClientSettings,
    ErrorCodes,
    InfrastructureException,
    MCPConnectionError,
    MCPServerConfig,
    RetryConfig,
)
from aws_mcp_client.manager import MCPConnectionManager, ServerState
from tests.e2e.client.conftest import FakeClock
from tests.e2e.client.servers import echo_server, free_port, http_app, serving
from tests.e2e.client.test_stdio import npm_server, pid_of, reaped

pytestmark = [pytest.mark.anyio]
# The breaker would stop connect retries after its threshold: keep it out of the backoff tests.
SETTINGS = ClientSettings(
    timeout=20.0, retry=RetryConfig(max_retries=0), breaker=CircuitBreakerConfig(failure_threshold=20)
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def two_echoes() -> Iterator[tuple[str, str]]:
    with serving(http_app(echo_server())) as first, serving(http_app(echo_server())) as second:
        yield f"{first}/mcp", f"{second}/mcp"


@pytest.fixture
async def manager(two_echoes: tuple[str, str], clock: FakeClock) -> MCPConnectionManager:
    first, second = two_echoes
    manager = MCPConnectionManager(SETTINGS, sleep=clock.sleep)
    await manager.initialize(
        {
            "one": MCPServerConfig(name="one", url=first),
            "two": MCPServerConfig(name="two", url=second, mode="legacy"),
            "off": MCPServerConfig(name="off", url=first, enabled=False),
            "gone": MCPServerConfig(name="gone", url=f"http://127.0.0.1:{free_port()}/mcp"),
        }
    )
    return manager


async def test_connect_all_enabled_reports_each_server_and_skips_disabled_ones(
    manager: MCPConnectionManager, clock: FakeClock
) -> None:
    try:
        results = await manager.connect_all_enabled(max_retries=2)
        assert set(results) == {"one", "two", "gone"}
        assert results["one"].connected and results["two"].connected
        gone = results["gone"]
        assert not gone.connected and gone.error is not None
        assert gone.error.code is ErrorCodes.AWS_MCP_CONNECTION_FAILED
        # Backoff 1 s then 2 s, each with up to 50% of jitter.
        assert len(clock.slept) == 2 and 1.0 <= clock.slept[0] <= 1.5 and 2.0 <= clock.slept[1] <= 3.0

        assert manager.status("one").state is ServerState.CONNECTED
        assert manager.status("two").protocol_version == "2025-11-25"
        assert manager.status("off").state is ServerState.DISABLED
        status = await manager.get_server_status()
        assert {name: (s["enabled"], s["connected"]) for name, s in status.items()} == {
            "one": (True, True),
            "two": (True, True),
            "off": (False, False),
            "gone": (True, False),
        }
        assert status["gone"]["state"] == "failed" and status["two"]["transport"] == "streamable_http"
        assert await manager.get_server_status("one") == {"one": status["one"]}
        assert (await manager.get_client("one")).connected
        with pytest.raises(MCPConnectionError, match="not connected"):
            await manager.get_client("gone")
        with pytest.raises(MCPConnectionError, match="disabled"):
            await manager.get_client("off")
        failed = manager.status("gone")
        assert failed.state is ServerState.FAILED and failed.error and "ConnectError" in failed.error
        assert await manager.health_check_all() == {"one": True, "two": True, "off": False, "gone": False}
    finally:
        await manager.shutdown()


async def test_connect_server_backs_off_1_2_4_8_16_then_30_seconds(
    manager: MCPConnectionManager, clock: FakeClock
) -> None:
    with pytest.raises(InfrastructureException):
        await manager.connect_server("gone", max_retries=6)
    floors = [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    assert len(clock.slept) == 6
    assert all(
        floor <= slept <= min(30.0, floor * 1.5) for floor, slept in zip(floors, clock.slept, strict=True)
    )


def test_calculate_backoff_is_1_2_4_8_up_to_30_seconds_with_up_to_half_again_of_jitter() -> None:
    manager = MCPConnectionManager()
    assert [manager._calculate_backoff(n, jitter=False) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    jittered = [manager._calculate_backoff(3) for _ in range(50)]
    assert all(8.0 <= delay <= 12.0 for delay in jittered) and len(set(jittered)) > 1


async def test_tools_of_the_same_name_on_two_servers_are_told_apart(manager: MCPConnectionManager) -> None:
    try:
        await manager.connect_all_enabled(max_retries=0)
        qualified = {tool.qualified_name for tool in await manager.discover_tools()}
        assert {"one/echo", "two/echo", "one/remember", "two/remember"} <= qualified
        assert not any(name.startswith(("off/", "gone/")) for name in qualified)
        result = await manager.call_tool("two/echo", {"text": "from two"})
        assert result.structured_content == {"result": "from two"}
        with pytest.raises(InfrastructureException) as raised:
            await manager.call_tool("echo", {"text": "which?"})
        assert raised.value.code is ErrorCodes.VALIDATION_FAILED
    finally:
        await manager.shutdown()


async def test_disable_disconnects_enable_allows_connecting_again_and_unknown_names_are_refused(
    manager: MCPConnectionManager,
) -> None:
    try:
        await manager.connect_server("one", max_retries=0)
        await manager.disable_server("one")
        assert manager.status("one").state is ServerState.DISABLED
        with pytest.raises(MCPConnectionError, match="disabled") as disabled:
            await manager.connect_server("one", max_retries=0)
        assert disabled.value.code is ErrorCodes.SERVER_DISABLED
        manager.enable_server("one")
        assert manager.status("one").state is ServerState.DISCONNECTED
        await manager.connect_server("one", max_retries=0)
        await manager.disconnect_server("one")
        assert manager.status("one").state is ServerState.DISCONNECTED
        with pytest.raises(InfrastructureException) as raised:
            await manager.get_client("nobody")
        assert raised.value.code is ErrorCodes.UNKNOWN_SERVER and "one, two, off, gone" in str(raised.value)
    finally:
        await manager.shutdown()


@pytest.mark.slow
async def test_shutdown_stops_every_server_even_one_that_already_died(two_echoes: tuple[str, str]) -> None:
    manager = MCPConnectionManager(SETTINGS)
    await manager.initialize(
        {
            "http": MCPServerConfig(name="http", url=two_echoes[0]),
            "everything": npm_server("server-everything", "stdio"),
            "filesystem": npm_server("server-filesystem", "/tmp"),
        }
    )
    results = await manager.connect_all_enabled(max_retries=0)
    assert all(result.connected for result in results.values()), results
    pids = [pid_of(manager.client(name)) for name in ("everything", "filesystem")]
    os.kill(pids[0], signal.SIGKILL)

    outcome = await manager.shutdown()
    assert outcome == {"http": None, "everything": None, "filesystem": None}
    assert all(reaped(pid) for pid in pids)
    assert not any(manager.client(name).connected for name in manager.servers)


async def test_initialize_reads_an_mcp_servers_file(tmp_path: Path, two_echoes: tuple[str, str]) -> None:
    path = tmp_path / "mcp_servers.json"
    path.write_text('{"mcpServers": {"echo": {"url": "' + two_echoes[0] + '"}}}')
    manager = MCPConnectionManager(SETTINGS)
    await manager.initialize(path)
    try:
        assert (await manager.connect_server("echo", max_retries=0)).connected
    finally:
        await manager.shutdown()
