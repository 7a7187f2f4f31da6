"""Retries with exponential backoff and jitter, on tenacity; sleep is injectable for tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential, wait_exponential_jitter

from aws_mcp_client.config import RetryPolicy
from aws_mcp_client.errors import InfrastructureException

__all__ = ["Sleep", "backoff", "retry_call"]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


def backoff(policy: RetryPolicy) -> wait_base:
    """``base_delay * exponential_base**(n-1)``, at most ``max_delay``, plus up to one ``base_delay``."""
    if policy.jitter:
        return wait_exponential_jitter(
            initial=policy.base_delay,
            max=policy.max_delay,
            exp_base=policy.exponential_base,
            jitter=policy.base_delay,
        )
    return wait_exponential(
        multiplier=policy.base_delay, max=policy.max_delay, exp_base=policy.exponential_base
    )


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, InfrastructureException) and exc.retryable


async def retry_call(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
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
