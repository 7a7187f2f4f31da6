"""How long a tool may still wait for AWS in this call (a Logs Insights query to finish).

A tool that polls takes the registry's :class:`WaitBudget` as a parameter named ``wait_budget``
(injected like ``audit_store``) and stops polling when :meth:`WaitBudget.start`'s time is up,
answering with what it has (a query's id, to pick up later) instead of being cut off:

* on Lambda, until the Deadline guard's own timeout (``deadline.call_deadline``) less ``slack_s``,
  room for one last AWS call and the answer;
* everywhere, at most ``most_s`` (``AWS_MCP_QUERY_WAIT_SECONDS``), so a local call returns too.

The clock and the sleep are injected so tests wait without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from aws_mcp.resilience.deadline import call_deadline

__all__ = ["WAIT_BUDGET", "WaitBudget", "Waiting"]

# The name under which the registry injects the budget: a tool takes it as a parameter so named.
WAIT_BUDGET: Final = "wait_budget"


@dataclass(frozen=True, slots=True)
class Waiting:
    """One call's wait: ``pause`` until ``until`` (a ``clock`` reading), then no more."""

    until: float
    clock: Callable[[], float]
    sleep: Callable[[float], None]

    def left(self) -> float:
        return max(0.0, self.until - self.clock())

    def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` (less if the time runs out first); False, without sleeping, when it is up."""
        left = self.left()
        if left <= 0:
            return False
        self.sleep(min(seconds, left))
        return True


class WaitBudget:
    def __init__(
        self,
        most_s: float,
        *,
        slack_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._most_s = most_s
        self._slack_s = slack_s
        self._clock = clock
        self._sleep = sleep

    def start(self) -> Waiting:
        """This call's wait, from now."""
        now = self._clock()
        seconds = self._most_s
        deadline = call_deadline()
        if deadline is not None:
            seconds = min(seconds, deadline - time.monotonic() - self._slack_s)
        return Waiting(now + max(0.0, seconds), self._clock, self._sleep)
