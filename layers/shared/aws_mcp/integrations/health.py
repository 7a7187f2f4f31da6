"""The scheduled health checks: every enabled integration whose interval is due, checked at once.

EventBridge Scheduler invokes the health function every minute (template.yaml); each run checks
the integrations whose ``health.next_check_at`` has passed (a new one at once), a few at a time,
each within its own ``health_check.timeout_seconds``, and stores each result, which moves the
status as the lifecycle's thresholds say. The same function runs one check on demand
(``{"integration_id": ...}``): the MCP tool ``integrations_test`` invokes it, so the MCP function
needs no access to the integrations' secrets or counterparts.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Final

from aws_mcp.errors import IntegrationError
from aws_mcp.integrations.lifecycle import CHECKED
from aws_mcp.integrations.model import IntegrationRecord
from aws_mcp.integrations.registry import IntegrationRegistry

__all__ = ["CONCURRENCY", "due", "handle", "run_due_checks"]

CONCURRENCY: Final = 8


def due(integration: IntegrationRecord, now: datetime) -> bool:
    if not (integration.enabled and integration.health_check.enabled and integration.status in CHECKED):
        return False
    upcoming = integration.health.next_check_at
    return upcoming is None or upcoming <= now


async def run_due_checks(registry: IntegrationRegistry, now: datetime) -> dict[str, Any]:
    """Check every integration due at ``now``; what was checked and how each came out."""
    everyone = await asyncio.to_thread(lambda: list(registry.store.every(enabled=True)))
    chosen = [i for i in everyone if due(i, now)]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(integration: IntegrationRecord) -> dict[str, Any]:
        async with gate:
            result = await registry.probe(integration)
            outcome = await registry.record_check(integration.id, result, trigger="schedule")
            return outcome.answer()

    results = await asyncio.gather(*(one(i) for i in chosen), return_exceptions=True)
    answers = [r for r in results if isinstance(r, dict)]
    failed = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    return {
        "checked": len(answers),
        "unhealthy": sum(not a["healthy"] for a in answers),
        "results": answers,
        "errors": failed,
    }


def handle(registry: IntegrationRegistry, event: Any, now: datetime) -> dict[str, Any]:
    """The health function's answer to one invocation: a check on demand, or the due checks."""
    if isinstance(event, dict) and isinstance(event.get("integration_id"), str):
        trigger = str(event.get("trigger") or "on demand")[:200]
        try:
            outcome = asyncio.run(registry.check(event["integration_id"], trigger=trigger))
        except IntegrationError as err:
            return {"error": {"status": err.status, "title": err.title, "detail": err.detail}}
        return outcome.answer()
    return asyncio.run(run_due_checks(registry, now))
