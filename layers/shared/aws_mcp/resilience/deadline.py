"""A deadline for every tool call on Lambda: answer "timed out" before the runtime kills us.

The deadline is the invocation's remaining time minus a margin for the response and the
audit write. The call runs on a worker thread so we can stop waiting for it; Python
cannot stop the thread, but botocore's own timeouts end it soon after, and its outcome
still reaches the breaker. Off Lambda there is no deadline and no thread hop.

The instant the call times out is kept in a context variable the worker sees
(:func:`call_deadline`), so a tool that waits for AWS (``waiting.WaitBudget``) stops in time
to answer with what it has.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from aws_mcp.errors import DeadlineError

__all__ = ["Deadlines", "call_deadline"]

T = TypeVar("T")
# time.monotonic() at which the running call's Deadline guard stops waiting (None: no deadline).
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("tool_deadline", default=None)


def call_deadline() -> float | None:
    """When (``time.monotonic()``) the tool call running in this context times out; None off Lambda."""
    return _DEADLINE.get()


class Deadlines:
    def __init__(self, margin_ms: int, workers: int = 4) -> None:
        self._margin_ms = margin_ms
        self._pool: ThreadPoolExecutor | None = None
        self._workers = workers

    def run(self, lambda_context: Any, call: Callable[[], T], *, mutating: bool) -> T:
        if lambda_context is None:
            return call()
        budget_ms = int(lambda_context.get_remaining_time_in_millis()) - self._margin_ms
        if budget_ms <= 0:
            raise DeadlineError("Too little time was left in this request to call AWS safely. Call again.")
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="tool")
        # The worker sees this call's context variables (AWS request-id collection, ...) and its deadline.
        context = contextvars.copy_context()
        context.run(_DEADLINE.set, time.monotonic() + budget_ms / 1000)
        future = self._pool.submit(context.run, call)
        try:
            return future.result(timeout=budget_ms / 1000)
        except FutureTimeout:
            advice = (
                "The change may still happen: check the resource's state with a read-only tool before "
                "calling again (a retry with the same arguments is safe: it is idempotent)."
                if mutating
                else "Try again, with a narrower request if it keeps happening."
            )
            raise DeadlineError(f"AWS did not answer within {budget_ms / 1000:.1f} s. {advice}") from None
