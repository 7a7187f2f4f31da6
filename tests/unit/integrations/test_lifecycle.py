"""Statuses move only as the lifecycle allows: by health check thresholds, or by hand to a few."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aws_mcp.errors import IllegalTransitionError
from aws_mcp.integrations.lifecycle import ALLOWED, after_check, move
from aws_mcp.integrations.model import (
    Direction,
    HealthCheckConfig,
    IntegrationConfig,
    IntegrationRecord,
    IntegrationStatus,
    IntegrationType,
)

S = IntegrationStatus
NOW = datetime(2026, 1, 5, 10, 2, tzinfo=UTC)


def record(status: S = S.CONFIGURING, failures: int = 3, successes: int = 1) -> IntegrationRecord:
    config = IntegrationConfig(
        name="hook",
        type=IntegrationType.WEBHOOK,
        direction=Direction.OUTBOUND,
        endpoint="http://127.0.0.1:9/",
        health_check=HealthCheckConfig(failure_threshold=failures, success_threshold=successes),
    )
    return IntegrationRecord.new("i1", config, caller="me", now=NOW).model_copy(update={"status": status})


def checks(integration: IntegrationRecord, *results: bool) -> tuple[IntegrationRecord, list[S]]:
    moves = []
    for healthy in results:
        integration, transitions = after_check(
            integration, healthy, None if healthy else "HTTP 503", 5.0, NOW
        )
        moves += [t.to_status for t in transitions]
    return integration, moves


def test_a_first_successful_check_moves_a_new_integration_through_testing_to_active() -> None:
    integration, moves = checks(record(), True)
    assert moves == [S.TESTING, S.ACTIVE]
    assert integration.status is S.ACTIVE


def test_an_active_integration_errs_only_after_failure_threshold_failures_in_a_row() -> None:
    integration, moves = checks(record(S.ACTIVE), False, False, True, False, False)
    assert moves == [] and integration.status is S.ACTIVE
    integration, moves = checks(integration, False)
    assert moves == [S.ERROR]
    assert integration.health.consecutive_failures == 3
    assert integration.health.last_error == "HTTP 503"


def test_an_erring_integration_recovers_after_success_threshold_successes() -> None:
    integration, moves = checks(record(S.ERROR, successes=2), True)
    assert moves == [] and integration.status is S.ERROR
    integration, moves = checks(integration, True)
    assert moves == [S.ACTIVE]


def test_failing_since_keeps_the_start_of_a_run_of_failures() -> None:
    integration, _ = checks(record(S.ACTIVE), False)
    first = integration.health.failing_since
    integration, _ = after_check(integration, False, "down", 1.0, NOW.replace(minute=30))
    assert integration.health.failing_since == first
    integration, _ = checks(integration, True)
    assert integration.health.failing_since is None


@pytest.mark.parametrize("status", [S.INACTIVE, S.DEPRECATED])
def test_checks_of_inactive_or_deprecated_integrations_record_health_and_move_nothing(status: S) -> None:
    integration, moves = checks(record(status, failures=1), False)
    assert moves == [] and integration.status is status
    assert integration.health.healthy is False


def test_every_move_records_its_time_and_cause() -> None:
    _, transition = move(record(S.ACTIVE), S.INACTIVE, "maintenance", NOW, by_hand=True)
    assert (transition.at, transition.from_status, transition.to_status, transition.cause) == (
        NOW,
        S.ACTIVE,
        S.INACTIVE,
        "maintenance",
    )


def test_active_cannot_be_set_by_hand_and_the_refusal_names_what_can() -> None:
    with pytest.raises(IllegalTransitionError) as refused:
        move(record(S.INACTIVE), S.ACTIVE, "", NOW, by_hand=True)
    assert refused.value.extra["allowed"] == ["DEPRECATED", "TESTING"]
    assert "allowed: DEPRECATED, TESTING" in refused.value.detail


def test_deprecated_is_final() -> None:
    assert ALLOWED[S.DEPRECATED] == frozenset()
    with pytest.raises(IllegalTransitionError, match="DEPRECATED is final"):
        move(record(S.DEPRECATED), S.TESTING, "", NOW, by_hand=True)


@pytest.mark.parametrize("start", list(S))
@pytest.mark.parametrize("to", list(S))
def test_a_move_succeeds_exactly_when_the_table_allows_it(start: S, to: S) -> None:
    if to in ALLOWED[start]:
        assert move(record(start), to, "", NOW)[0].status is to
    else:
        with pytest.raises(IllegalTransitionError):
            move(record(start), to, "", NOW)
