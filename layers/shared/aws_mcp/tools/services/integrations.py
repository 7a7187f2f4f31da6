"""Integrations as tools: which external systems the server reports to, and whether they answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from aws_mcp.errors import IntegrationNotFoundError, ToolError
from aws_mcp.tools.contract import Example, ToolInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, bind, malformed_cursor, page_size, resume

if TYPE_CHECKING:
    from aws_mcp.integrations.checks import Checks
    from aws_mcp.integrations.model import IntegrationRecord
    from aws_mcp.integrations.store import IntegrationStore

__all__ = ["TOOLS", "TOOLSET"]

_NONE = "This server has no integrations table configured."


class IntegrationItem(Item):
    item_key = "name"

    name: str
    type: str | None = None
    status: str | None = None
    failing_since: str | None = None
    last_error: str | None = None


class ListInput(ToolInput):
    status: str | None = Field(
        default=None, max_length=16, pattern=r"^[A-Z]+$", description="e.g. ACTIVE, ERROR"
    )
    fields: Fields[IntegrationItem] = None
    max_results: int = page_size(least=1, most=100)
    cursor: Cursor = None


class ListOutput(Paged):
    items_field = "integrations"

    integrations: list[IntegrationItem]


class OneInput(ToolInput):
    integration: str = Field(max_length=128, description="Name or id")


class HealthOutput(BaseModel):
    status: str
    health: dict[str, Any]
    recent_checks: list[dict[str, Any]]
    transitions: list[dict[str, Any]]


class TestOutput(BaseModel):
    healthy: bool
    status: str
    error: str | None = None


@tool(
    name="integrations_list",
    title="List integrations",
    iam_actions=("dynamodb:Query",),
    read_only=True,
    idempotent=True,
    open_world=False,
    examples=(Example({"status": "ERROR"}, {"count": 1}),),
)
def integrations_list(integration_store: IntegrationStore | None, args: ListInput) -> ListOutput:
    """Systems the server reports to, and since when each is failing."""
    store = _need(integration_store)
    question = {"status": args.status}
    position = resume(args.cursor, question)
    after = position.get("after") if position else None
    if position is not None and not isinstance(after, str):
        raise malformed_cursor()
    page = store.page(limit=args.max_results, after=after, status=args.status)
    items = [_item(i) for i in page.items]
    output = ListOutput(
        count=len(items),
        integrations=items,
        next_cursor=bind({"after": page.after}, question) if page.after else None,
    )
    return output.resume_with(
        lambda kept: bind({"after": page.items[kept - 1].id if kept else after or ""}, question)
    )


@tool(
    name="integrations_health",
    title="Integration health",
    iam_actions=("dynamodb:Query",),
    read_only=True,
    idempotent=True,
    open_world=False,
    examples=(Example({"integration": "demo-chat-webhook"}, {"status": "ERROR"}),),
)
def integrations_health(integration_store: IntegrationStore | None, args: OneInput) -> HealthOutput:
    """An integration's recent checks and status changes."""
    store = _need(integration_store)
    found = _find(store, args.integration)
    from aws_mcp.integrations.store import HistoryKind

    return HealthOutput(
        status=found.status.value,
        health=found.health.model_dump(mode="json", exclude_none=True),
        recent_checks=store.history(found.id, HistoryKind.HEALTH, 5),
        transitions=store.history(found.id, HistoryKind.TRANSITION, 5),
    )


@tool(
    name="integrations_test",
    title="Test integration",
    iam_actions=("dynamodb:Query", "lambda:InvokeFunction"),
    read_only=True,
    open_world=False,
    examples=(Example({"integration": "demo-audit-queue"}, {"healthy": True, "status": "ACTIVE"}),),
)
def integrations_test(
    integration_store: IntegrationStore | None, integration_checks: Checks | None, args: OneInput
) -> TestOutput:
    """Run an integration's health check now and store its result."""
    store = _need(integration_store)
    if integration_checks is None:
        raise ToolError(_NONE)
    found = _find(store, args.integration)
    return TestOutput.model_validate(integration_checks.run(found.id, "test by an agent"))


def _need(store: IntegrationStore | None) -> IntegrationStore:
    if store is None:
        raise ToolError(_NONE)
    return store


def _find(store: IntegrationStore, key: str) -> IntegrationRecord:
    try:
        return store.get(key)
    except IntegrationNotFoundError:
        pass
    for integration in store.every():
        if integration.name == key:
            return integration
    raise ToolError(f"No integration is named or has the id {key!r}; integrations_list names them")


def _item(integration: IntegrationRecord) -> IntegrationItem:
    health = integration.health
    return IntegrationItem(
        name=integration.name,
        type=integration.type.value,
        status=integration.status.value,
        failing_since=health.failing_since.isoformat() if health.failing_since else None,
        last_error=health.last_error,
    )


TOOLSET = "integrations"
TOOLS = (integrations_list, integrations_health, integrations_test)
