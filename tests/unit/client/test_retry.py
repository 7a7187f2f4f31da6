"""Backoff doubles from base_delay up to max_delay, adds 0-50% jitter, and retries only what it may."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aws_mcp_client.config import RetryConfig
from aws_mcp_client.errors import ErrorCodes, InfrastructureException
from aws_mcp_client.retry import retry_call


class Recorder:
    def __init__(self, failures: int, code: ErrorCodes = ErrorCodes.AWS_MCP_CONNECTION_FAILED) -> None:
        self.failures, self.code, self.calls = failures, code, 0
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    async def call(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise InfrastructureException(self.code, "down")
        return "ok"


def run(recorder: Recorder, policy: RetryConfig) -> str:
    return asyncio.run(retry_call(recorder.call, policy, sleep=recorder.sleep))


def test_delays_double_from_the_base_and_stop_at_the_cap() -> None:
    recorder = Recorder(failures=10)
    with pytest.raises(InfrastructureException):
        run(recorder, RetryConfig(max_retries=7, base_delay=1.0, max_delay=30.0, jitter=False))
    assert recorder.slept == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert recorder.calls == 8


def test_the_exponential_base_is_honoured() -> None:
    recorder = Recorder(failures=10)
    with pytest.raises(InfrastructureException):
        run(
            recorder,
            RetryConfig(max_retries=3, base_delay=0.5, max_delay=100.0, exponential_base=3, jitter=False),
        )
    assert recorder.slept == [0.5, 1.5, 4.5]


def test_jitter_adds_up_to_half_the_delay_and_varies() -> None:
    recorder = Recorder(failures=100)
    with pytest.raises(InfrastructureException):
        run(recorder, RetryConfig(max_retries=8, base_delay=1.0, max_delay=1000.0, jitter=True))
    exact = [2.0**n for n in range(8)]
    shares = [(s - d) / d for d, s in zip(exact, recorder.slept, strict=True)]
    assert all(0.0 <= share <= 0.5 for share in shares)
    assert len({round(share, 6) for share in shares}) > 1, "jittered delays differ"


@given(
    attempt=st.integers(min_value=0, max_value=10_000),
    base=st.floats(min_value=0.001, max_value=100),
    cap=st.floats(min_value=100, max_value=10_000),
    exponent=st.floats(min_value=1, max_value=10),
    rand=st.floats(min_value=0, max_value=0.999),
)
def test_a_delay_is_never_above_max_delay_nor_below_the_exact_backoff_capped(
    attempt: int, base: float, cap: float, exponent: float, rand: float
) -> None:
    policy = RetryConfig(base_delay=base, max_delay=cap, exponential_base=exponent)
    exact = policy.delay(attempt, jitter=False)
    assert exact <= policy.delay(attempt, jitter=True, rand=lambda: rand) <= cap
    assert exact == min(cap, base * exponent**attempt) if exact < cap else exact == cap


def test_the_documented_defaults() -> None:
    assert RetryConfig() == RetryConfig(
        max_retries=3, base_delay=1.0, max_delay=60.0, exponential_base=2.0, jitter=True
    )


def test_success_after_failures_returns_the_result() -> None:
    recorder = Recorder(failures=2)
    assert run(recorder, RetryConfig(max_retries=3, jitter=False)) == "ok"
    assert recorder.slept == [1.0, 2.0]


def test_an_answer_is_never_retried() -> None:
    recorder = Recorder(failures=5, code=ErrorCodes.TOOL_ERROR)
    with pytest.raises(InfrastructureException) as raised:
        run(recorder, RetryConfig(max_retries=3))
    assert raised.value.code is ErrorCodes.TOOL_ERROR
    assert recorder.calls == 1 and recorder.slept == []
