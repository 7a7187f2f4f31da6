"""Over stdio against real third-party servers from npm, and what happens when a server dies or hangs.

The servers (``@modelcontextprotocol/server-everything`` and ``server-filesystem``, pinned by
``tests/e2e/client/npm``) are installed by ``make client-servers``, which ``make test`` runs first
and which tells these tests where they are through ``AWS_MCP_TEST_NPM_SERVERS`` and ``AWS_MCP_TEST_NODE``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from aws_mcp_client import ClientSettings, ErrorCodes, InfrastructureException, MCPClient, RetryConfig
from aws_mcp_client.config import MCPServerConfig, TransportType
from aws_mcp_client.transports import StdioTransport

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SETTINGS = ClientSettings(timeout=30.0, retry=RetryConfig(max_retries=0))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def npm_server(package: str, *args: str, env: dict[str, str] | None = None) -> MCPServerConfig:
    modules, node = os.environ.get("AWS_MCP_TEST_NPM_SERVERS"), os.environ.get("AWS_MCP_TEST_NODE")
    if not modules or not node:
        pytest.fail("the npm test servers are not installed: run `make client-servers` (make test does)")
    script = Path(modules) / "@modelcontextprotocol" / package / "dist" / "index.js"
    assert script.exists(), f"{script} is missing: run `make client-servers`"
    return MCPServerConfig(
        name=package, transport=TransportType.STDIO, command=node, args=(str(script), *args), env=env or {}
    )


def reaped(pid: int) -> bool:
    """The process is gone and waited for: not running, and no zombie left in the process table."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return not Path(f"/proc/{pid}").exists()
    return False


def pid_of(client: MCPClient) -> int:
    assert isinstance(client.transport, StdioTransport) and client.transport.pid is not None
    return client.transport.pid


async def test_server_everything_lists_its_tools_and_answers_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MCP_TEST_PARENT_SECRET", "not for children")
    config = npm_server("server-everything", "stdio", env={"AWS_MCP_TEST_MARKER": "own environment"})
    async with MCPClient(config, SETTINGS) as client:
        assert client.server_info is not None and "everything" in client.server_info.name
        names = {tool.name for tool in await client.get_tools()}
        assert {"echo", "get-sum", "get-env", "trigger-long-running-operation"} <= names

        echoed = await client.call_tool("echo", {"message": "hello"})
        assert echoed.is_error is not True and "hello" in str(echoed.content[0])
        total = await client.call_tool("get-sum", {"a": 2, "b": 40})
        assert "42" in str(total.content[0])
        environment = str((await client.call_tool("get-env", {})).content[0])
        assert "own environment" in environment and "not for children" not in environment
        pid = pid_of(client)
    assert reaped(pid)


async def test_server_filesystem_reads_writes_and_lists_a_directory(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    (root / "hello.txt").write_text("hi from disk\n")
    async with MCPClient(npm_server("server-filesystem", str(root)), SETTINGS) as client:
        names = {tool.name for tool in await client.get_tools()}
        assert {"read_text_file", "write_file", "list_directory"} <= names

        read = await client.call_tool("read_text_file", {"path": str(root / "hello.txt")})
        assert "hi from disk" in str(read.content[0])
        written = await client.call_tool("write_file", {"path": str(root / "new.txt"), "content": "made"})
        assert written.is_error is not True
        listing = str((await client.call_tool("list_directory", {"path": str(root)})).content[0])
        assert "hello.txt" in listing and "new.txt" in listing
        outside = await client.call_tool("read_text_file", {"path": "/etc/hostname"})
        assert outside.is_error is True, "the server refuses paths outside its root"
    assert (root / "new.txt").read_text() == "made"


async def test_killing_the_server_mid_call_gives_a_clean_error_and_leaves_no_zombie() -> None:
    client = MCPClient(npm_server("server-everything", "stdio"), SETTINGS)
    await client.connect()
    pid = pid_of(client)
    try:
        async with anyio.create_task_group() as tg:

            async def kill_soon() -> None:
                await anyio.sleep(1.0)
                os.kill(pid, signal.SIGKILL)

            tg.start_soon(kill_soon)
            with pytest.raises(InfrastructureException) as raised:
                await client.call_tool("trigger-long-running-operation", {"duration": 20, "steps": 20})
        assert raised.value.code is ErrorCodes.AWS_MCP_CONNECTION_FAILED
        assert raised.value.server == "server-everything"
        assert not client.connected
        assert reaped(pid)
        # The next request starts the server again.
        assert (await client.call_tool("echo", {"message": "again"})).is_error is not True
        assert pid_of(client) != pid
    finally:
        await client.disconnect()
    assert reaped(pid_of(client))


SERVER_THAT_IGNORES_SIGTERM = textwrap.dedent(
    """
    import signal, time
    from mcp.server.mcpserver import MCPServer

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = MCPServer("stubborn")

    @server.tool()
    def ping() -> str:
        return "pong"

    server.run("stdio")
    time.sleep(120)  # outlives stdin closing and SIGTERM: only SIGKILL ends it
    """
)


async def test_a_server_that_ignores_sigterm_is_killed_after_the_stop_timeout(tmp_path: Path) -> None:
    script = tmp_path / "stubborn.py"
    script.write_text(SERVER_THAT_IGNORES_SIGTERM)
    config = MCPServerConfig(
        name="stubborn", transport=TransportType.STDIO, command=sys.executable, args=(str(script),)
    )
    transport = StdioTransport(config, stop_timeout=0.5)
    client = MCPClient(config, SETTINGS, transport=transport)
    await client.connect()
    assert "pong" in str((await client.call_tool("ping", {})).content[0])
    pid = pid_of(client)
    await asyncio.wait_for(client.disconnect(), timeout=30)
    assert reaped(pid)


async def test_a_command_that_does_not_exist_is_a_connection_failure() -> None:
    config = MCPServerConfig(name="ghost", transport=TransportType.STDIO, command="/nonexistent/mcp-server")
    with pytest.raises(InfrastructureException) as raised:
        await MCPClient(config, SETTINGS).connect()
    assert raised.value.code is ErrorCodes.AWS_MCP_CONNECTION_FAILED
    assert "/nonexistent/mcp-server" in str(raised.value)
