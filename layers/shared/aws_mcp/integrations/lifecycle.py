"""The integration lifecycle: which status may follow which, and how health checks move it.

::

    CONFIGURING ─► TESTING ─► ACTIVE ◄──► ERROR
         │            │         │           │
         └────────────┴────┬────┴───────────┘
                           ▼
                 INACTIVE (by hand) ─► TESTING
                 DEPRECATED (end of life; nothing follows)

A check of a CONFIGURING integration moves it to TESTING; ``success_threshold`` successes in a
row make a TESTING or ERROR one ACTIVE; ``failure_threshold`` failures in a row make a TESTING
or ACTIVE one ERROR. INACTIVE and DEPRECATED integrations are never checked by the schedule
(a test by hand reports, and moves nothing). Every move is a :class:`Transition` with its time
and cause, kept in the integration's history (``store``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Final

from aws_mcp.errors import IllegalTransitionError
from aws_mcp.integrations.model import HealthState, IntegrationRecord, IntegrationStatus, Transition

__all__ = ["ALLOWED", "BY_HAND", "CHECKED", "after_check", "move"]

S = IntegrationStatus

ALLOWED: Final[Mapping[IntegrationStatus, frozenset[IntegrationStatus]]] = {
    S.CONFIGURING: frozenset({S.TESTING, S.INACTIVE, S.DEPRECATED}),
    S.TESTING: frozenset({S.ACTIVE, S.ERROR, S.CONFIGURING, S.INACTIVE, S.DEPRECATED}),
    S.ACTIVE: frozenset({S.ERROR, S.TESTING, S.INACTIVE, S.DEPRECATED}),
    S.ERROR: frozenset({S.ACTIVE, S.TESTING, S.INACTIVE, S.DEPRECATED}),
    S.INACTIVE: frozenset({S.TESTING, S.DEPRECATED}),
    S.DEPRECATED: frozenset(),
}
# What an operator may ask for directly (ACTIVE and ERROR are earned by health checks).
BY_HAND: Final = frozenset({S.TESTING, S.INACTIVE, S.DEPRECATED})
# Statuses the scheduled checks look at.
CHECKED: Final = frozenset({S.CONFIGURING, S.TESTING, S.ACTIVE, S.ERROR})


def move(
    integration: IntegrationRecord, to: IntegrationStatus, cause: str, now: datetime, *, by_hand: bool = False
) -> tuple[IntegrationRecord, Transition]:
    """``integration`` in status ``to``, and the transition that says so; refused when not allowed."""
    current = integration.status
    allowed = ALLOWED[current] & BY_HAND if by_hand else ALLOWED[current]
    if to not in allowed:
        names = sorted(s.value for s in allowed)
        raise IllegalTransitionError(
            f"{current.value} cannot move to {to.value}"
            + (" by hand" if by_hand and to in ALLOWED[current] else "")
            + (f"; allowed: {', '.join(names)}" if names else f"; {current.value} is final"),
            current_status=current.value,
            allowed=names,
        )
    transition = Transition(at=now, from_status=current, to_status=to, cause=cause)
    return integration.model_copy(update={"status": to, "updated_at": now}), transition


def after_check(
    integration: IntegrationRecord, healthy: bool, error: str | None, latency_ms: float | None, now: datetime
) -> tuple[IntegrationRecord, list[Transition]]:
    """``integration`` with one more check result counted, moved as the thresholds say."""
    config = integration.health_check
    before = integration.health
    health = HealthState(
        healthy=healthy,
        consecutive_successes=before.consecutive_successes + 1 if healthy else 0,
        consecutive_failures=0 if healthy else before.consecutive_failures + 1,
        last_checked_at=now,
        last_success_at=now if healthy else before.last_success_at,
        last_failure_at=before.last_failure_at if healthy else now,
        failing_since=None if healthy else (before.failing_since or now),
        last_error=None if healthy else (error or "unhealthy")[:500],
        last_latency_ms=latency_ms,
        next_check_at=now + timedelta(seconds=config.interval_seconds),
    )
    current = integration.model_copy(update={"health": health})
    if current.status not in CHECKED:
        return current, []
    transitions: list[Transition] = []
    if current.status is S.CONFIGURING:
        current, first = move(current, S.TESTING, "first health check", now)
        transitions.append(first)
    status = current.status
    if (
        healthy
        and status in (S.TESTING, S.ERROR)
        and health.consecutive_successes >= config.success_threshold
    ):
        cause = f"{health.consecutive_successes} successful health check(s)"
        current, step = move(current, S.ACTIVE, cause, now)
        transitions.append(step)
    elif (
        not healthy
        and status in (S.TESTING, S.ACTIVE)
        and health.consecutive_failures >= config.failure_threshold
    ):
        cause = f"{health.consecutive_failures} failed health check(s): {health.last_error}"
        current, step = move(current, S.ERROR, cause, now)
        transitions.append(step)
    return current, transitions
