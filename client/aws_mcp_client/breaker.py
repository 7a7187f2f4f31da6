"""A client-side circuit breaker: CLOSED → OPEN → HALF_OPEN → CLOSED, one per server.

Hand-written: the well-kept breakers do not fit an asyncio client. pybreaker's async support
goes through Tornado, aiobreaker and purgatory have no success threshold for closing, and none
takes an injected clock for tests. The state machine is a few lines; it holds no lock because it
only runs on one event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from aws_mcp_client.config import CircuitBreakerConfig
from aws_mcp_client.errors import ErrorCodes, InfrastructureException

__all__ = ["BreakerState", "CircuitBreaker"]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts failures in a row; when open, refuses requests until ``recovery_timeout`` has passed."""

    def __init__(
        self, policy: CircuitBreakerConfig, *, name: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._policy = policy
        self._name = name
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._successes = 0
        self._opened_at = 0.0

    @property
    def state(self) -> BreakerState:
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self._policy.recovery_timeout
        ):
            self._state = BreakerState.HALF_OPEN
            self._successes = 0
        return self._state

    def check(self) -> None:
        """Raise ``CIRCUIT_OPEN`` if no request may go out now."""
        if self.state is BreakerState.OPEN:
            wait = self._policy.recovery_timeout - (self._clock() - self._opened_at)
            raise InfrastructureException(
                ErrorCodes.CIRCUIT_OPEN,
                f"circuit open after {self._failures} failures in a row; next attempt in {wait:.1f} s",
                server=self._name,
                details={"retry_after": wait},
            )

    def record_success(self) -> None:
        if self.state is BreakerState.HALF_OPEN:
            self._successes += 1
            if self._successes < self._policy.success_threshold:
                return
        self._state = BreakerState.CLOSED
        self._failures = 0

    def record_failure(self) -> None:
        self._failures += 1
        if self.state is BreakerState.HALF_OPEN or self._failures >= self._policy.failure_threshold:
            self._state = BreakerState.OPEN
            self._opened_at = self._clock()
