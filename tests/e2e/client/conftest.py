"""Fixtures for the client library's tests against real servers: a fake clock, settings, test servers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from aws_mcp_client.config import CircuitBreakerConfig, ClientSettings, MCPServerConfig, RetryConfig
from tests.e2e.client.servers import Flaky, echo_server, http_app, serving


@dataclass
class FakeClock:
    """Time that passes only when the code under test sleeps (or a test says so)."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings() -> ClientSettings:
    """Short timeouts, no jitter, a breaker that opens after three failures."""
    return ClientSettings(
        timeout=10.0,
        retry=RetryConfig(max_retries=2, base_delay=0.5, max_delay=4.0, jitter=False),
        breaker=CircuitBreakerConfig(failure_threshold=3, recovery_timeout=30.0, success_threshold=2),
    )


@pytest.fixture
def echo() -> Iterator[tuple[MCPServerConfig, Flaky]]:
    """The echo server over HTTP, behind a switch that makes it answer 503."""
    flaky = Flaky(http_app(echo_server()))
    with serving(flaky) as base:
        yield MCPServerConfig(name="echo", url=f"{base}/mcp"), flaky
