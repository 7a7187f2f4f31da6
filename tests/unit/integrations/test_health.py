"""The scheduled checks: only what is due, each result stored, thresholds moving the status."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from aws_mcp.integrations.health import handle, run_due_checks
from aws_mcp.integrations.model import IntegrationConfig
from aws_mcp.integrations.registry import IntegrationRegistry
from tests.unit.integrations.conftest import UNREACHABLE, Clock, Receiver


def make(registry: IntegrationRegistry, endpoint: str, **changes: Any) -> str:
    config = {"name": "h", "type": "WEBHOOK", "direction": "OUTBOUND", "endpoint": endpoint} | changes
    return asyncio.run(registry.register_integration(IntegrationConfig.model_validate(config)))


def sweep(registry: IntegrationRegistry, clock: Clock) -> dict[str, Any]:
    return asyncio.run(run_due_checks(registry, clock()))


def test_a_new_integration_is_checked_at_once_then_after_its_interval(
    registry: IntegrationRegistry, receiver: Receiver, clock: Clock
) -> None:
    made = make(registry, receiver.url, health_check={"interval_seconds": 120})
    assert sweep(registry, clock)["checked"] == 1
    clock.advance(60)
    assert sweep(registry, clock)["checked"] == 0
    clock.advance(60)
    assert sweep(registry, clock)["checked"] == 1
    assert asyncio.run(registry.get(made)).status.value == "ACTIVE"


def test_a_failing_integration_errs_after_failure_threshold_scheduled_checks_and_says_since_when(
    registry: IntegrationRegistry, clock: Clock
) -> None:
    made = make(registry, UNREACHABLE, health_check={"interval_seconds": 60, "failure_threshold": 3})
    failing_since = clock()
    statuses = []
    for _ in range(3):
        report = sweep(registry, clock)
        assert report["unhealthy"] == 1
        statuses.append(report["results"][0]["status"])
        clock.advance(60)
    assert statuses == ["TESTING", "TESTING", "ERROR"]
    health = asyncio.run(registry.health(made))
    assert datetime.fromisoformat(health["health"]["failing_since"]) == failing_since
    assert len(health["recent_checks"]) == 3
    assert health["transitions"][0]["cause"].startswith("3 failed health check(s)")


def test_an_erring_integration_recovers_on_the_schedule(
    registry: IntegrationRegistry, receiver: Receiver, clock: Clock
) -> None:
    receiver.statuses = [500, 500, 200]
    made = make(
        registry,
        receiver.url,
        health_check={"interval_seconds": 60, "failure_threshold": 2, "success_threshold": 1},
    )
    for _ in range(3):
        sweep(registry, clock)
        clock.advance(60)
    health = asyncio.run(registry.health(made))
    assert [t["to_status"] for t in health["transitions"]] == ["ACTIVE", "ERROR", "TESTING"]


def test_disabled_and_inactive_integrations_are_not_checked(
    registry: IntegrationRegistry, clock: Clock
) -> None:
    make(registry, UNREACHABLE, enabled=False)
    make(registry, UNREACHABLE, health_check={"enabled": False})
    assert sweep(registry, clock)["checked"] == 0


def test_the_health_function_runs_one_check_on_demand(
    registry: IntegrationRegistry, receiver: Receiver, clock: Clock
) -> None:
    made = make(registry, receiver.url)
    answer = handle(registry, {"integration_id": made, "trigger": "mcp"}, clock())
    assert (answer["id"], answer["healthy"], answer["status"]) == (made, True, "ACTIVE")
    missing = handle(registry, {"integration_id": "0" * 24}, clock())
    assert missing["error"]["status"] == 404
    assert handle(registry, {"source": "aws.scheduler"}, clock())["checked"] == 0
