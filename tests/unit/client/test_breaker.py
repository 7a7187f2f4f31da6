"""The breaker opens after failures in a row, waits out its recovery time, and closes after probes."""

from __future__ import annotations

import pytest

from aws_mcp_client.breaker import BreakerState, CircuitBreaker
from aws_mcp_client.config import CircuitBreakerConfig
from aws_mcp_client.errors import ErrorCodes, InfrastructureException


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def state_of(breaker: CircuitBreaker) -> BreakerState:
    """Read afresh (the state moves with the clock, which a type checker cannot see)."""
    return breaker.state


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(
        CircuitBreakerConfig(failure_threshold=3, recovery_timeout=10.0, success_threshold=2),
        name="s",
        clock=clock,
    )


def test_it_opens_only_after_the_threshold_of_failures_in_a_row(breaker: CircuitBreaker) -> None:
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert state_of(breaker) is BreakerState.CLOSED
    breaker.record_failure()
    assert state_of(breaker) is BreakerState.OPEN


def test_an_open_breaker_refuses_and_says_when_to_come_back(breaker: CircuitBreaker, clock: Clock) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now = 4.0
    with pytest.raises(InfrastructureException) as raised:
        breaker.check()
    assert raised.value.code is ErrorCodes.CIRCUIT_OPEN
    assert raised.value.details["retry_after"] == pytest.approx(6.0)


def test_after_the_recovery_timeout_it_half_opens_and_closes_after_enough_successes(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now = 10.0
    assert state_of(breaker) is BreakerState.HALF_OPEN
    breaker.check()
    breaker.record_success()
    assert state_of(breaker) is BreakerState.HALF_OPEN
    breaker.record_success()
    assert state_of(breaker) is BreakerState.CLOSED


def test_one_failure_while_half_open_reopens_it_for_a_full_recovery_timeout(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    for _ in range(3):
        breaker.record_failure()
    clock.now = 10.0
    breaker.record_failure()
    assert state_of(breaker) is BreakerState.OPEN
    clock.now = 19.9
    assert state_of(breaker) is BreakerState.OPEN
    clock.now = 20.0
    assert state_of(breaker) is BreakerState.HALF_OPEN
