"""audit_query as an agent calls it: cursors bound to their filters, forged ones refused, pages cut to fit."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.server import build_server
from aws_mcp.tools.paging import bind
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import table_names
from tests.unit.tools.test_paging import valid_output


def registry_for(settings: Settings, clients: ClientFactory, **changes: Any) -> ToolRegistry:
    return build_server(
        settings.with_changes(audit_table=table_names()["audit"], **changes), clients
    ).registry


@pytest.fixture
def caller(settings: Settings, clients: ClientFactory, fleet: Any) -> str:
    """A caller of its own with twelve calls on the trail."""
    name = f"agent-{uuid.uuid4().hex}"
    registry = registry_for(settings, clients)
    for n in range(12):
        registry.call(
            "aws_whoami", {"region": "eu-west-1" if n % 2 else "us-east-1"}, CallContext(caller=name)
        )
    return name


def query(registry: ToolRegistry, **arguments: Any) -> Any:
    return registry.call("audit_query", arguments, CallContext(caller="auditor"))


def test_pages_follow_the_cursor_with_the_same_filters(
    settings: Settings, clients: ClientFactory, caller: str
) -> None:
    registry = registry_for(settings, clients)
    first = query(registry, caller=caller, max_results=5).structured
    rest = query(registry, caller=caller, max_results=20, cursor=first.get("next_cursor")).structured
    ids = [r["call_id"] for r in first["records"] + rest["records"]]
    assert len(ids) == len(set(ids)) == 12


def test_records_can_be_queried_with_only_some_fields(
    settings: Settings, clients: ClientFactory, caller: str
) -> None:
    registry = registry_for(settings, clients)
    result = query(registry, caller=caller, fields=["tool", "outcome"]).structured
    assert result["count"] == 12
    assert all(set(r) == {"call_id", "tool", "outcome"} for r in result["records"])
    assert {(r["tool"], r["outcome"]) for r in result["records"]} == {("aws_whoami", "success")}
    valid_output(registry, "audit_query", result)


def test_a_cursor_with_other_filters_is_refused(
    settings: Settings, clients: ClientFactory, caller: str
) -> None:
    registry = registry_for(settings, clients)
    first = query(registry, caller=caller, max_results=5).structured
    outcome = query(registry, caller="someone-else", cursor=first.get("next_cursor"))
    assert outcome.is_error and "other filters" in outcome.text


def forged(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        forged({"day": "not-a-date"}),
        bind(
            {"day": "not-a-date", "since": "2026-01-01T00:00:00+00:00", "until": "2026-01-02T00:00:00+00:00"},
            {"since": None, "until": None, "caller": None, "tool": None, "outcome": None},
        ),
        bind(
            {"day": "2026-01-01", "since": "yesterday", "until": 3},
            {"since": None, "until": None, "caller": None, "tool": None, "outcome": None},
        ),
    ],
)
def test_a_forged_cursor_is_an_invalid_argument_not_an_internal_error(
    settings: Settings, clients: ClientFactory, fleet: Any, cursor: str
) -> None:
    outcome = query(registry_for(settings, clients), cursor=cursor)
    assert outcome.is_error and "Invalid cursor" in outcome.text and "without cursor" in outcome.text
    assert "Internal error" not in outcome.text


def test_a_page_over_the_budget_is_cut_and_continues_where_it_stopped(
    settings: Settings, clients: ClientFactory, caller: str
) -> None:
    registry = registry_for(settings, clients, max_result_chars=2500)
    seen: list[str] = []
    cuts = 0
    cursor = None
    for _ in range(12):
        outcome = query(registry, caller=caller, max_results=10, cursor=cursor)
        cuts += "truncated" in outcome.structured
        assert not outcome.is_error, outcome.text
        assert len(outcome.text) <= 2500
        seen += [r["call_id"] for r in outcome.structured["records"]]
        cursor = outcome.structured.get("next_cursor")
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 12
    assert cuts
