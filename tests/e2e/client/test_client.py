"""MCPClient against real HTTP servers: requests, retries, the breaker, reconnects, timeouts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from aws_mcp.auth.confirmation import token_in
from aws_mcp_client import ErrorCodes, InfrastructureException, MCPClient, MCPClientFactory
from aws_mcp_client.breaker import BreakerState
from aws_mcp_client.config import (
    CircuitBreakerConfig,
    ClientSettings,
    MCPServerConfig,
    RetryConfig,
    TransportType,
)
from tests.e2e.client.conftest import FakeClock
from tests.e2e.client.servers import Flaky, LosesAnswers, echo_server, serving

Echo = tuple[MCPServerConfig, Flaky]

pytestmark = [pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def state_of(client: MCPClient) -> BreakerState:
    return client.breaker.state


def client_for(config: MCPServerConfig, settings: ClientSettings, clock: FakeClock) -> MCPClient:
    return MCPClient(config, settings, clock=clock, sleep=clock.sleep)


async def test_a_client_lists_tools_calls_them_and_sends_raw_requests(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, _ = echo
    async with client_for(config, settings, clock) as client:
        assert client.protocol_version == "2026-07-28"
        assert {tool.name for tool in await client.get_tools()} == {"echo", "remember", "fire"}
        result = await client.call_tool("echo", {"text": "hi"})
        assert result.is_error is False and result.structured_content == {"result": "hi"}
        raw = await client.send_request(
            {
                "jsonrpc": "2.0",
                "method": "tools/call",
                "params": {"name": "echo", "arguments": {"text": "x"}},
                "id": 7,
            }
        )
        assert raw["jsonrpc"] == "2.0" and raw["id"] == 7
        assert raw["result"]["structuredContent"] == {"result": "x"}
        assert await client.is_healthy()
    assert not client.connected


async def test_the_legacy_handshake_is_used_when_configured(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, _ = echo
    legacy = MCPServerConfig(name="echo", url=config.url, mode="legacy")
    async with client_for(legacy, settings, clock) as client:
        assert client.protocol_version == "2025-11-25"
        assert (await client.call_tool("echo", {"text": "old"})).structured_content == {"result": "old"}


async def test_the_factory_picks_the_transport_from_the_config(echo: Echo, settings: ClientSettings) -> None:
    config, _ = echo
    async with MCPClientFactory.create_client(config, settings) as client:
        assert type(client) is MCPClient
        assert (await client.call_tool("echo", {"text": "f"})).is_error is False


async def test_a_read_only_call_is_retried_through_503_with_backoff(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, flaky = echo
    async with client_for(config, settings, clock) as client:
        await client.get_tools()
        flaky.sick = True
        with pytest.raises(InfrastructureException) as raised:
            await client.call_tool("echo", {"text": "hi"})
        assert raised.value.code is ErrorCodes.SERVER_UNAVAILABLE
        assert flaky.refused == 3  # one attempt and max_retries=2 retries
        assert clock.slept == [0.5, 1.0]


async def test_429_is_reported_as_rate_limiting(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, flaky = echo
    async with client_for(config, settings.with_changes(retry=RetryConfig(max_retries=0)), clock) as c:
        await c.get_tools()
        flaky.sick, flaky.status = True, 429
        with pytest.raises(InfrastructureException) as raised:
            await c.call_tool("echo", {"text": "hi"})
        assert raised.value.code is ErrorCodes.RATE_LIMITED


async def test_a_mutating_call_without_an_idempotency_key_is_not_retried(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, flaky = echo
    async with client_for(config, settings, clock) as client:
        await client.get_tools()
        flaky.sick = True
        with pytest.raises(InfrastructureException) as raised:
            await client.call_tool("fire", {"text": "once"})
        assert raised.value.code is ErrorCodes.SERVER_UNAVAILABLE
        assert flaky.refused == 1 and clock.slept == []


async def test_a_mutating_call_gets_an_idempotency_key_and_keeps_it_across_retries(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, flaky = echo
    settings = settings.with_changes(breaker=CircuitBreakerConfig(failure_threshold=10))
    async with client_for(config, settings, clock) as client:
        await client.get_tools()
        flaky.sick = True
        with pytest.raises(InfrastructureException):
            await client.call_tool("remember", {"text": "a"})
        keys = {body["params"]["arguments"]["idempotency_key"] for body in flaky.refused_bodies}
        assert flaky.refused == 3 and len(keys) == 1, "three attempts, one key"
        flaky.sick = False
        result = await client.call_tool("remember", {"text": "b"})
        (call,) = json.loads(result.structured_content["result"])
        assert call["text"] == "b" and len(call["idempotency_key"]) == 32
        explicit = await client.call_tool("remember", {"text": "c", "idempotency_key": "mine"})
        assert json.loads(explicit.structured_content["result"])[-1]["idempotency_key"] == "mine"


@pytest.fixture
def ours_losing_answers() -> Iterator[tuple[MCPServerConfig, LosesAnswers]]:
    """Our server (what `aws-mcp serve --demo` runs) under uvicorn, behind a switch that loses answers."""
    from aws_mcp.http import create_app
    from aws_mcp.server import build_server
    from aws_mcp_local.serve import server_parts

    with server_parts(demo=True) as parts:
        server = build_server(parts.settings, parts.clients)
        lossy = LosesAnswers(create_app(parts.settings, server.dispatcher))
        with serving(lossy) as base:
            yield MCPServerConfig(name="aws", url=f"{base}/mcp"), lossy


@pytest.mark.slow
async def test_a_change_whose_answer_is_lost_is_retried_with_its_key_and_replayed_not_made_twice(
    ours_losing_answers: tuple[MCPServerConfig, LosesAnswers], settings: ClientSettings, clock: FakeClock
) -> None:
    config, lossy = ours_losing_answers
    async with client_for(config, settings.with_changes(timeout=30.0), clock) as client:
        listed = await client.call_tool("ec2_list_instances", {"states": ["running"]})
        assert listed.structured_content is not None
        running = listed.structured_content["instances"][0]["instance_id"]

        # A destructive change: its plan first, then the call that carries the plan's token.
        plan = await client.call_tool("ec2_stop_instances", {"instance_ids": [running]})
        token = token_in(" ".join(getattr(block, "text", "") for block in plan.content))
        assert plan.is_error and token, plan
        lossy.tool, lossy.lose = "ec2_stop_instances", 1
        result = await client.call_tool(
            "ec2_stop_instances", {"instance_ids": [running], "confirmation": token}
        )
        assert lossy.lost == 1 and clock.slept == [0.5], "the first answer was lost, then one retry"
        assert result.is_error is False and result.structured_content is not None
        # The answer is the first call's: a second stop would have found the instance stopping.
        assert [c["previous_state"] for c in result.structured_content["changes"]] == ["running"]

        trail = await client.call_tool("audit_query", {"tool": "ec2_stop_instances"})
        assert trail.structured_content is not None
        retry, first, planned = trail.structured_content["records"]  # newest first
    assert planned["outcome"] == "confirmation_required"
    assert (first["outcome"], retry["outcome"]) == ("success", "replay"), "acted once, then replayed"
    assert len(first["aws_request_ids"]) == 1 and retry["aws_request_ids"] == [], "one StopInstances"
    key = first["arguments"].get("idempotency_key")
    assert key and retry["arguments"]["idempotency_key"] == key, "one key, kept across the retry"


async def test_the_breaker_opens_on_503_refuses_without_calling_and_closes_when_the_server_heals(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, flaky = echo
    settings = settings.with_changes(retry=RetryConfig(max_retries=0))
    async with client_for(config, settings, clock) as client:
        await client.get_tools()
        flaky.sick = True
        for _ in range(3):
            with pytest.raises(InfrastructureException) as raised:
                await client.call_tool("echo", {"text": "hi"})
            assert raised.value.code is ErrorCodes.SERVER_UNAVAILABLE
        assert state_of(client) is BreakerState.OPEN

        with pytest.raises(InfrastructureException) as raised:
            await client.call_tool("echo", {"text": "hi"})
        assert raised.value.code is ErrorCodes.CIRCUIT_OPEN
        assert flaky.refused == 3, "an open breaker sends nothing"

        flaky.sick = False
        clock.now += 30.0
        assert state_of(client) is BreakerState.HALF_OPEN
        await client.call_tool("echo", {"text": "probe"})
        assert state_of(client) is BreakerState.HALF_OPEN  # success_threshold is 2
        await client.call_tool("echo", {"text": "probe"})
        assert state_of(client) is BreakerState.CLOSED


async def test_a_failed_probe_reopens_the_breaker(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, flaky = echo
    settings = settings.with_changes(retry=RetryConfig(max_retries=0))
    async with client_for(config, settings, clock) as client:
        await client.get_tools()
        flaky.sick = True
        for _ in range(3):
            with pytest.raises(InfrastructureException):
                await client.call_tool("echo", {"text": "hi"})
        clock.now += 30.0
        with pytest.raises(InfrastructureException) as raised:
            await client.call_tool("echo", {"text": "probe"})
        assert raised.value.code is ErrorCodes.SERVER_UNAVAILABLE
        assert state_of(client) is BreakerState.OPEN


def nowhere() -> MCPServerConfig:
    """A server that is not there: port 9 (discard) on 127.0.0.1 refuses connections."""
    return MCPServerConfig(name="nowhere", url="http://127.0.0.1:9/mcp")


async def test_an_unreachable_server_is_reported_at_once_without_retries(
    settings: ClientSettings, clock: FakeClock
) -> None:
    client = client_for(nowhere(), settings, clock)
    with pytest.raises(InfrastructureException) as raised:
        await client.connect()
    assert raised.value.code is ErrorCodes.AWS_MCP_CONNECTION_FAILED
    assert raised.value.server == "nowhere" and "ConnectError" in raised.value.message
    assert clock.slept == [], "connection refused is not retried unless asked"
    assert not client.connected
    with pytest.raises(InfrastructureException) as raised:
        await client.call_tool("echo", {"text": "hi"})
    assert raised.value.code is ErrorCodes.AWS_MCP_CONNECTION_FAILED and clock.slept == []


async def test_connect_failures_are_retried_when_the_settings_or_the_caller_ask(
    settings: ClientSettings, clock: FakeClock
) -> None:
    asking = client_for(nowhere(), settings.with_changes(retry_connect=True), clock)
    with pytest.raises(InfrastructureException):
        await asking.connect()
    assert clock.slept == [0.5, 1.0]

    clock.slept.clear()
    client = client_for(nowhere(), settings, clock)
    with pytest.raises(InfrastructureException):
        await client.connect(retry=RetryConfig(max_retries=1, base_delay=2.0, jitter=False))
    assert clock.slept == [2.0]


async def test_a_wrong_path_fails_at_once_naming_the_http_status(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, _ = echo
    assert config.url is not None
    wrong = MCPServerConfig(name="echo", url=config.url.replace("/mcp", "/nope"))
    client = client_for(wrong, settings.with_changes(retry_connect=True), clock)
    with pytest.raises(InfrastructureException) as raised:
        await client.connect()
    assert raised.value.code is ErrorCodes.PROTOCOL_ERROR and not raised.value.retryable
    assert raised.value.details["status"] == 404 and "HTTP 404" in raised.value.message
    assert clock.slept == []


@pytest.mark.parametrize("status", [400, 404, 405, 413])
async def test_a_4xx_answer_is_not_retried(
    echo: Echo, settings: ClientSettings, clock: FakeClock, status: int
) -> None:
    config, flaky = echo
    async with client_for(config, settings, clock) as client:
        await client.get_tools()
        flaky.sick, flaky.status = True, status
        with pytest.raises(InfrastructureException) as raised:
            await client.call_tool("echo", {"text": "hi"})
        assert raised.value.code is ErrorCodes.PROTOCOL_ERROR and raised.value.details["status"] == status
        assert flaky.refused == 1 and clock.slept == []


async def test_a_request_on_a_disconnected_client_reconnects(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, _ = echo
    client = client_for(config, settings, clock)
    try:
        assert (await client.call_tool("echo", {"text": "lazy"})).is_error is False
        assert client.connected
    finally:
        await client.disconnect()


async def test_an_unknown_tool_is_not_supported(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, _ = echo
    async with client_for(config, settings, clock) as client:
        with pytest.raises(InfrastructureException) as raised:
            await client.call_tool("no_such_tool", {})
        assert raised.value.code is ErrorCodes.NOT_SUPPORTED


async def test_a_request_without_a_method_is_refused(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, _ = echo
    async with client_for(config, settings, clock) as client:
        with pytest.raises(InfrastructureException) as raised:
            await client.send_request({"params": {}})
        assert raised.value.code is ErrorCodes.VALIDATION_FAILED


async def test_an_unknown_method_is_a_protocol_error(
    echo: Echo, settings: ClientSettings, clock: FakeClock
) -> None:
    config, _ = echo
    async with client_for(config, settings, clock) as client:
        with pytest.raises(InfrastructureException) as raised:
            await client.send_request({"method": "no/such"})
        assert raised.value.code is ErrorCodes.PROTOCOL_ERROR
        assert raised.value.details["rpc_code"] == -32601


async def test_the_deprecated_sse_transport_reaches_an_old_server(
    settings: ClientSettings, clock: FakeClock
) -> None:
    with serving(echo_server().sse_app()) as base:
        config = MCPServerConfig(name="old", url=f"{base}/sse", transport=TransportType.SSE)
        async with client_for(config, settings, clock) as client:
            assert client.connected and client.protocol_version is not None
            assert (await client.call_tool("echo", {"text": "sse"})).structured_content == {"result": "sse"}
