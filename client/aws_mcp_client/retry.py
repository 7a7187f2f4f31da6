"""Retries with exponential backoff and jitter, on tenacity; sleep is injectable for tests.

The delays are :meth:`RetryConfig.delay`'s (0-50% jitter, never above ``max_delay``), one rule for
requests and the connection manager's reconnects alike; tenacity's own waits add jitter in seconds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base

from aws_mcp_client.config import RetryConfig
from aws_mcp_client.errors import InfrastructureException

__all__ = ["Sleep", "backoff", "retry_call"]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class backoff(wait_base):  # noqa: N801 - a tenacity wait, named as tenacity names its own
    """Waits ``policy.delay(n)`` before retry ``n`` (from 0)."""

    def __init__(self, policy: RetryConfig) -> None:
        self.policy = policy

    def __call__(self, retry_state: RetryCallState) -> float:
        return self.policy.delay(retry_state.attempt_number - 1)


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, InfrastructureException) and exc.retryable


async def retry_call(
    call: Callable[[], Awaitable[T]],
    policy: RetryConfig,
    *,
    retry_if: Callable[[BaseException], bool] = _is_retryable,
    sleep: Sleep = anyio.sleep,
    before_sleep: Callable[[RetryCallState], None] | None = None,
) -> T:
    """Run ``call``; on a failure ``retry_if`` accepts, wait and try again, ``policy.max_retries`` times.

    The last failure is raised as itself, not wrapped in tenacity's ``RetryError``.
    """
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_retries + 1),
        wait=backoff(policy),
        retry=retry_if_exception(retry_if),
        sleep=sleep,
        reraise=True,
        before_sleep=before_sleep,
    )
    return await retrying(call)
