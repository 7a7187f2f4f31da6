"""Every example of seeds 000 (AWS MCP Client) and 004 (Client Factory & Connection Manager), as written.

Each example is copied from the seed with only its import line changed (``from src.services...``,
``from src.models...``, ``from config.aws_mcp_config``, ``from app.mcp...`` → ``from aws_mcp_client``);
the lines before ``# -- the example, as written`` give it what the seed's earlier examples did
(a ``client``, a ``manager``, a ``logger``), the lines after check what it did. They run against
``aws-mcp serve --demo`` (``http://localhost:8000``), ``@modelcontextprotocol/server-filesystem``
over stdio (``npx ... /data``) and ``@modelcontextprotocol/server-everything`` in its SSE mode
(``http://api.example.com/mcp``, ``http://localhost:8080/sse``), all on 127.0.0.1: see
``seed_world.py`` for how the names the examples use reach them, and nothing else is reached.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import signal as signals
from collections.abc import AsyncIterator, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

import aws_mcp_client
from aws_mcp_client import (
    AWSMCPClient,
    CircuitBreakerConfig,
    ClientSettings,
    ErrorCodes,
    InfrastructureException,
    MCPConnectionError,
    MCPConnectionManager,
    MCPSSEClient,
    MCPSTDIOClient,
    Resource,
    ResourceConfig,
    ResourceFilter,
    ResourceStatus,
    RetryConfig,
    create_aws_mcp_client,
)
from tests.e2e.client.seed_world import everything_sse, forwarding, hosts, loopback_addresses, npx_shim

pytestmark = [pytest.mark.slow]

MCP_SERVERS_JSON = """\
{
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/data"],
      "enabled": true,
      "transport": "stdio",
      "env": {
        "DEBUG": "true"
      }
    },
    "api": {
      "command": "http://api.example.com/mcp",
      "enabled": true,
      "transport": "sse",
      "env": {
        "Authorization": "Bearer ${API_TOKEN}"
      }
    }
  }
}
"""
CLOUD_CONTROL = "cloudcontrol_create_resource"
logger = logging.getLogger("tests.seed_examples")


@pytest.fixture(scope="module")
def everything() -> Iterator[str]:
    with everything_sse() as base:
        yield base


@pytest.fixture(scope="module")
def demo_has_cloud_control(demo_url: str) -> bool:
    async def tools() -> list[str]:
        async with AWSMCPClient(server_url=demo_url) as client:
            return [tool.name for tool in await client.get_tools()]

    return CLOUD_CONTROL in asyncio.run(tools())


@pytest.fixture
def needs_cloud_control(demo_has_cloud_control: bool) -> None:
    if not demo_has_cloud_control:
        pytest.skip(f"the demo server has no {CLOUD_CONTROL} yet (issue 14, parts 1 and 2)")


@pytest.fixture
def world(demo_url: str, everything: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The examples' hosts, npx, /data, mcp_servers.json in the working directory and $API_TOKEN."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "hello.txt").write_text("hello from /data\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npx_shim(bin_dir, {"/data": data})
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path('/usr/bin')}:{Path('/bin')}")
    monkeypatch.setenv("API_TOKEN", "token-from-the-environment")
    for name in [n for n in os.environ if n.startswith("AWS_MCP_") and "TEST" not in n]:
        monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    (work / "mcp_servers.json").write_text(MCP_SERVERS_JSON)
    monkeypatch.chdir(work)
    demo, api, sse = loopback_addresses(3)
    with (
        forwarding(demo_url.removesuffix("/mcp"), demo, 8000),
        forwarding(everything, api, 80, {"/mcp": "/sse"}),
        forwarding(everything, sse, 8080),
        hosts({("localhost", 8000): demo, ("api.example.com", 80): api, ("localhost", 8080): sse}),
    ):
        yield data


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# fmt: off
# The examples keep the seeds' layout, so the formatter leaves this file's code as it is.


# -- seed 000: AWS MCP Client -------------------------------------------------------------------


def test_000_basic_usage(world: Path, needs_cloud_control: None, capsys: pytest.CaptureFixture[str]) -> None:
    # -- the example, as written
    import asyncio
    from aws_mcp_client import create_aws_mcp_client
    from aws_mcp_client import ResourceConfig

    async def main():
        # Create client with default configuration
        client = create_aws_mcp_client("http://localhost:8000")

        async with client:
            # Create a resource
            config = ResourceConfig(
                type="EC2::Instance",
                name="my-instance",
                properties={"instanceType": "t3.micro"},
                tags={"Environment": "dev"}
            )

            resource = await client.create_resource("project-123", config)
            print(f"Created: {resource.id}")

    asyncio.run(main())
    # -- what it did
    created = capsys.readouterr().out
    assert created.startswith("Created: EC2::Instance/")


def test_000_advanced_configuration(world: Path) -> None:
    # -- the example, as written
    from aws_mcp_client import (
        AWSMCPClient, CircuitBreakerConfig, RetryConfig
    )

    # Custom circuit breaker configuration
    cb_config = CircuitBreakerConfig(
        failure_threshold=10,
        recovery_timeout=120,
        success_threshold=5
    )

    # Custom retry configuration
    retry_config = RetryConfig(
        max_retries=5,
        base_delay=2.0,
        max_delay=120.0,
        exponential_base=2.5,
        jitter=True
    )

    # Create client with custom configuration
    client = AWSMCPClient(
        server_url="https://aws-mcp.example.com",
        timeout=60,
        circuit_breaker_config=cb_config,
        retry_config=retry_config
    )
    # -- what it did
    assert client.server_url == "https://aws-mcp.example.com/mcp" and client.timeout == 60
    assert client.settings.breaker == cb_config and client.settings.retry == retry_config


def test_000_environment_based_configuration(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MCP_SERVER_URL", "http://localhost:8000")
    monkeypatch.setenv("AWS_MCP_TIMEOUT", "45")
    # -- the example, as written
    from aws_mcp_client import get_aws_mcp_config
    from aws_mcp_client import AWSMCPClient

    # Load configuration from environment variables
    config = get_aws_mcp_config()

    client = AWSMCPClient(
        server_url=config.server_url,
        timeout=config.timeout
    )
    # -- what it did
    assert client.server_url == "http://localhost:8000/mcp" and client.timeout == 45


def test_000_the_documented_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    documented = """
# Server connection
AWS_MCP_SERVER_URL=http://localhost:8000
AWS_MCP_TIMEOUT=30
AWS_MCP_POOL_SIZE=10

# Retry configuration
AWS_MCP_MAX_RETRIES=3
AWS_MCP_BASE_DELAY=1.0
AWS_MCP_MAX_DELAY=60.0
AWS_MCP_EXPONENTIAL_BASE=2.0
AWS_MCP_ENABLE_JITTER=true

# Circuit breaker configuration
AWS_MCP_CB_FAILURE_THRESHOLD=5
AWS_MCP_CB_RECOVERY_TIMEOUT=60
AWS_MCP_CB_SUCCESS_THRESHOLD=3

# Logging configuration
AWS_MCP_DEBUG_LOGGING=false
AWS_MCP_LOG_REQUESTS=false
AWS_MCP_LOG_RESPONSES=false
"""
    for line in documented.splitlines():
        if "=" in line and not line.startswith("#"):
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value)
    config = aws_mcp_client.get_aws_mcp_config()
    assert config == ClientSettings(server_url="http://localhost:8000")


def test_000_the_documented_configuration_classes_and_their_defaults() -> None:
    documented = {
        CircuitBreakerConfig: {"failure_threshold": 5, "recovery_timeout": 60, "success_threshold": 3},
        RetryConfig: {
            "max_retries": 3, "base_delay": 1.0, "max_delay": 60.0, "exponential_base": 2.0, "jitter": True,
        },
    }
    for cls, defaults in documented.items():
        assert {f.name: f.default for f in fields(cls)} == defaults


def test_000_the_documented_signatures() -> None:
    def shape(method: Any) -> list[tuple[str, Any]]:
        return [(p.name, p.default) for p in inspect.signature(method).parameters.values()]

    empty = inspect.Parameter.empty
    assert shape(AWSMCPClient.create_resource) == [("self", empty), ("project_id", empty), ("resource_config", empty)]
    assert shape(AWSMCPClient.get_resource) == [("self", empty), ("project_id", empty), ("resource_id", empty)]
    assert shape(AWSMCPClient.list_resources) == [("self", empty), ("project_id", empty), ("filters", None)]
    assert shape(AWSMCPClient.update_resource) == [
        ("self", empty), ("project_id", empty), ("resource_id", empty), ("updates", empty),
    ]
    assert shape(AWSMCPClient.delete_resource) == [("self", empty), ("project_id", empty), ("resource_id", empty)]
    assert shape(AWSMCPClient.get_resource_status) == [
        ("self", empty), ("project_id", empty), ("resource_id", empty),
    ]
    for method in ("health_check", "get_server_info", "connect", "disconnect"):
        assert all(
            p.default is not empty or p.name == "self"
            for p in inspect.signature(getattr(AWSMCPClient, method)).parameters.values()
        ), method
    assert shape(AWSMCPClient.__init__)[:5] == [
        ("self", empty), ("server_url", None), ("timeout", None), ("circuit_breaker_config", None),
        ("retry_config", None),
    ]
    assert ClientSettings().timeout == 30
    for method in ("create_resource", "get_resource", "list_resources", "update_resource", "delete_resource",
                   "get_resource_status", "health_check", "get_server_info", "connect", "disconnect"):
        assert inspect.iscoroutinefunction(getattr(AWSMCPClient, method)), method
    assert {"AWS_MCP_CONNECTION_FAILED", "RESOURCE_NOT_FOUND", "VALIDATION_FAILED"} <= set(ErrorCodes.__members__)
    assert issubclass(Resource, object) and ResourceStatus.ACTIVE


@pytest.mark.anyio
async def test_000_error_handling(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = create_aws_mcp_client("http://localhost:8000")
    async with client:
        # -- the example, as written
        from aws_mcp_client import InfrastructureException, ErrorCodes

        try:
            resource = await client.get_resource("project-123", "nonexistent-id")
        except InfrastructureException as e:
            if e.code == ErrorCodes.RESOURCE_NOT_FOUND:
                print("Resource not found")
            elif e.code == ErrorCodes.AWS_MCP_CONNECTION_FAILED:
                print("Connection failed")
            else:
                print(f"Unexpected error: {e}")
        # -- what it did: a resource that is not there is None, and nothing was printed
        assert resource is None and capsys.readouterr().out == ""


@pytest.mark.anyio
async def test_000_best_practice_1_use_context_manager(world: Path) -> None:
    client = create_aws_mcp_client("http://localhost:8000")
    # -- the example, as written
    async with client:
        # Perform operations
        pass
    # -- what it did
    assert client.protocol_version is None and not client.connected


def test_000_best_practice_2_configure_timeouts(world: Path) -> None:
    # -- the example, as written
    # For long-running operations
    client = AWSMCPClient(server_url="...", timeout=300)
    # -- what it did: a placeholder URL is taken, and refused only on connecting
    assert client.timeout == 300
    with pytest.raises(InfrastructureException) as raised:
        asyncio.run(client.connect())
    assert raised.value.code is ErrorCodes.CONFIGURATION_INVALID and "'...'" in str(raised.value)


def test_000_best_practice_3_monitor_circuit_breaker_state(caplog: pytest.LogCaptureFixture) -> None:
    # -- the example, as written
    import logging
    logging.basicConfig(level=logging.INFO)

    # Circuit breaker state changes will be logged automatically


@pytest.mark.anyio
async def test_000_best_practice_4_handle_specific_exceptions_when_the_server_is_down(world: Path) -> None:
    client = AWSMCPClient(server_url="http://127.0.0.1:9")
    project_id, config = "project-123", ResourceConfig(type="EC2::Instance", name="web")
    # -- the example, as written
    try:
        await client.create_resource(project_id, config)
    except InfrastructureException as e:
        if e.code == ErrorCodes.AWS_MCP_CONNECTION_FAILED:
            # Retry later or use fallback
            pass
        else:
            # Handle other errors
            raise
    # -- what it did: the connection failure was handled ("retry later")
    assert not client.connected


@pytest.mark.anyio
async def test_000_best_practice_4_handle_specific_exceptions(world: Path, needs_cloud_control: None) -> None:
    client = create_aws_mcp_client("http://localhost:8000")
    project_id, config = "project-123", ResourceConfig(type="SQS::Queue", name="best-practice-4")
    async with client:
        # -- the example, as written
        try:
            await client.create_resource(project_id, config)
        except InfrastructureException as e:
            if e.code == ErrorCodes.AWS_MCP_CONNECTION_FAILED:
                # Retry later or use fallback
                pass
            else:
                # Handle other errors
                raise
        # -- what it did
        assert [r.name for r in await client.list_resources(
            project_id, ResourceFilter(resource_type="SQS::Queue"))] == ["best-practice-4"]


@pytest.mark.anyio
async def test_000_best_practice_5_use_resource_filters(world: Path, needs_cloud_control: None) -> None:
    client = create_aws_mcp_client("http://localhost:8000")
    project_id = "project-filters"
    async with client:
        await client.create_resource(project_id, ResourceConfig(type="EC2::Instance", name="filtered"))
        # -- the example, as written
        filters = ResourceFilter(
            resource_type="EC2::Instance",
            status=ResourceStatus.ACTIVE,
            region="us-east-1"
        )
        resources = await client.list_resources(project_id, filters)
        # -- what it did
        assert [r.name for r in resources] == ["filtered"]
        assert all(r.status is ResourceStatus.ACTIVE and r.project_id == project_id for r in resources)


# -- seed 004: Client Factory & Connection Manager ------------------------------------------------


@pytest.mark.anyio
async def test_004_stdio_client(world: Path) -> None:
    # -- the example, as written
    from aws_mcp_client import MCPSTDIOClient, MCPServerConfig, TransportType

    config = MCPServerConfig(
        command="npx",
        args=["-y", "@modelcontextprotocol/server-filesystem", "/data"],
        env={"DEBUG": "true"},
        transport=TransportType.STDIO
    )

    client = MCPSTDIOClient(config)
    await client.connect()

    # Send JSON-RPC request
    request = {"jsonrpc": "2.0", "method": "tools/list", "id": 1}
    response = await client.send_request(request)

    # Check health
    is_healthy = await client.is_healthy()

    await client.disconnect()
    # -- what it did
    assert response["id"] == 1 and "read_text_file" in {t["name"] for t in response["result"]["tools"]}
    assert is_healthy is True and not client.connected


@pytest.mark.anyio
async def test_004_sse_client(world: Path) -> None:
    # -- the example, as written
    from aws_mcp_client import MCPSSEClient, MCPServerConfig, TransportType

    config = MCPServerConfig(
        command="http://api.example.com/mcp",
        env={"Authorization": "Bearer token123"},
        transport=TransportType.SSE
    )

    client = MCPSSEClient(config)
    await client.connect()

    # Send request
    request = {"jsonrpc": "2.0", "method": "tools/list", "id": 1}
    response = await client.send_request(request, timeout=10.0)

    await client.disconnect()
    # -- what it did
    assert "echo" in {t["name"] for t in response["result"]["tools"]}
    assert client.config.headers == {"Authorization": "Bearer token123"} and not client.connected


@pytest.mark.anyio
async def test_004_client_factory(world: Path) -> None:
    # -- the example, as written
    from aws_mcp_client import MCPClientFactory, MCPServerConfig, TransportType

    # STDIO client
    stdio_config = MCPServerConfig(
        command="npx",
        args=["-y", "@modelcontextprotocol/server-filesystem", "/tmp"],
        transport=TransportType.STDIO
    )
    client = MCPClientFactory.create_client(stdio_config)

    # SSE client
    sse_config = MCPServerConfig(
        command="http://localhost:8080/sse",
        transport=TransportType.SSE
    )
    client = MCPClientFactory.create_client(sse_config)
    # -- what it did
    assert type(MCPClientFactory.create_client(stdio_config)) is MCPSTDIOClient
    assert type(client) is MCPSSEClient and client.config.url == "http://localhost:8080/sse"
    async with client:
        assert "echo" in {tool.name for tool in await client.get_tools()}


@pytest.mark.anyio
async def test_004_connection_manager(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # -- the example, as written
    from aws_mcp_client import MCPConnectionManager, MCPServersConfig, load_mcp_config

    # Load configuration
    config = load_mcp_config("mcp_servers.json")

    # Initialize manager
    manager = MCPConnectionManager()
    await manager.initialize(config)

    # Connect to specific server with retry
    await manager.connect_server("filesystem", max_retries=3)

    # Or connect to all enabled servers
    results = await manager.connect_all_enabled()

    # Get client instance
    client = await manager.get_client("filesystem")
    tools = await client.get_tools()

    # Health check all servers
    health_status = await manager.health_check_all()
    print(health_status)  # {'filesystem': True, 'api': False}

    # Get server status
    status = await manager.get_server_status()
    # {'filesystem': {'enabled': True, 'connected': True}, ...}

    # Graceful shutdown
    await manager.shutdown()
    # -- what it did
    assert isinstance(config, MCPServersConfig) and {r.connected for r in results.values()} == {True}
    assert "read_text_file" in {tool.name for tool in tools}
    assert capsys.readouterr().out == "{'filesystem': True, 'api': True}\n"
    assert {name: (s["enabled"], s["connected"]) for name, s in status.items()} == {
        "filesystem": (True, True), "api": (True, True),
    }
    assert not any(manager.client(name).connected for name in manager.servers)


@pytest.fixture
async def manager(world: Path) -> AsyncIterator[MCPConnectionManager]:
    """The manager of the seed's "Configuration Integration" example: every server connected."""
    # -- that example, as written
    from aws_mcp_client import load_mcp_config, MCPConnectionManager

    config = load_mcp_config("mcp_servers.json")
    manager = MCPConnectionManager()
    await manager.initialize(config)
    await manager.connect_all_enabled()
    # -- what it did
    status = await manager.get_server_status()
    assert status["filesystem"]["connected"] and status["api"]["connected"]
    yield manager
    await manager.shutdown()


@pytest.mark.anyio
async def test_004_configuration_integration(manager: MCPConnectionManager) -> None:
    assert await manager.health_check_all() == {"filesystem": True, "api": True}


@pytest.mark.anyio
async def test_004_retry_logic(manager: MCPConnectionManager) -> None:
    await manager.disconnect_server("filesystem")
    # -- the example, as written
    # Connect with custom retry settings
    await manager.connect_server("filesystem", max_retries=5)
    # -- what it did
    assert (await manager.get_client("filesystem")).connected
    assert [manager._calculate_backoff(attempt, jitter=False) for attempt in range(6)] == [1, 2, 4, 8, 16, 30]


@pytest.mark.anyio
async def test_004_error_handling(manager: MCPConnectionManager, caplog: pytest.LogCaptureFixture) -> None:
    client = await manager.get_client("api")
    request = {"jsonrpc": "2.0", "method": "tools/list", "id": 1}
    # -- the example, as written
    from aws_mcp_client import MCPConnectionError, MCPTimeoutError

    try:
        await manager.connect_server("filesystem")
    except MCPConnectionError as e:
        logger.error(f"Failed to connect: {e}")

    try:
        response = await client.send_request(request, timeout=5.0)
    except MCPTimeoutError:
        logger.warning("Request timed out")
    # -- what it did
    assert "echo" in {t["name"] for t in response["result"]["tools"]} and caplog.records == []


@pytest.mark.anyio
async def test_004_health_checks(manager: MCPConnectionManager, caplog: pytest.LogCaptureFixture) -> None:
    await manager.disconnect_server("api")
    # -- the example, as written
    # Check all connected servers
    health_status = await manager.health_check_all()

    for server_name, is_healthy in health_status.items():
        if not is_healthy:
            logger.warning(f"Server {server_name} is unhealthy")
            # Optionally reconnect
            await manager.disconnect_server(server_name)
            await manager.connect_server(server_name)
    # -- what it did: the unhealthy server was found and connected again
    assert health_status == {"filesystem": True, "api": False}
    assert "Server api is unhealthy" in caplog.text
    assert await manager.health_check_all() == {"filesystem": True, "api": True}


@pytest.mark.anyio
async def test_004_production_1_configure_appropriate_timeouts(manager: MCPConnectionManager) -> None:
    client = await manager.get_client("filesystem")
    request = {"jsonrpc": "2.0", "method": "tools/list", "id": 1}
    # -- the example, as written
    response = await client.send_request(request, timeout=10.0)
    # -- what it did
    assert response["result"]["tools"]


@pytest.mark.anyio
async def test_004_production_2_implement_health_check_monitoring(manager: MCPConnectionManager) -> None:
    async def handle_unhealthy_server(server: str) -> None:
        await manager.connect_server(server)

    # -- the example, as written
    async def monitor_health():
        while True:
            health = await manager.health_check_all()
            for server, status in health.items():
                if not status:
                    await handle_unhealthy_server(server)
            await asyncio.sleep(60)  # Check every minute
    # -- what it did: a monitor, defined (it runs for ever, so it is not started here)
    assert inspect.iscoroutinefunction(monitor_health)


@pytest.mark.anyio
async def test_004_production_3_handle_reconnection(manager: MCPConnectionManager) -> None:
    await manager.disconnect_server("filesystem")
    with pytest.raises(MCPConnectionError):
        await manager.get_client("filesystem")
    # -- the example, as written
    try:
        client = await manager.get_client("filesystem")
    except MCPConnectionError:
        await manager.connect_server("filesystem")
        client = await manager.get_client("filesystem")
    # -- what it did
    assert client.connected


@pytest.mark.anyio
async def test_004_production_4_graceful_shutdown(manager: MCPConnectionManager) -> None:
    before = signals.getsignal(signals.SIGTERM)
    try:
        # -- the example, as written
        import signal

        async def shutdown_handler(sig):
            logger.info("Shutting down...")
            await manager.shutdown()

        signal.signal(signal.SIGTERM, shutdown_handler)
        # -- what it did
        assert signals.getsignal(signals.SIGTERM) is shutdown_handler
        await shutdown_handler(signals.SIGTERM)
        assert not any(manager.client(name).connected for name in manager.servers)
    finally:
        signals.signal(signals.SIGTERM, before)


@pytest.mark.anyio
async def test_004_integration_with_tool_discovery(manager: MCPConnectionManager) -> None:
    from aws_mcp_client import load_mcp_config
    config = load_mcp_config("mcp_servers.json")
    # -- the example, as written
    # Get all tools from all servers
    all_tools = {}
    for server_name in config.mcpServers.keys():
        client = await manager.get_client(server_name)
        tools = await client.get_tools()
        all_tools[server_name] = tools

    # Register tools with Agent Framework
    # -- what it did
    assert set(all_tools) == {"filesystem", "api"} and all(all_tools.values())
