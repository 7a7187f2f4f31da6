"""audit_query reads the trail back by time range, caller, tool and outcome, newest first."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger

from aws_mcp.audit.query import AuditStore
from aws_mcp.audit.record import AuditRecord, Outcome
from aws_mcp.audit.trail import AuditTrail
from aws_mcp.errors import ToolInputError
from aws_mcp_local.demo import table_names

TABLE = table_names()["audit"]
DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(fleet: dict[str, list[str]]) -> AuditStore:
    """Three days of calls by two callers, written through the trail as the server writes them."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    trail = AuditTrail(
        Logger(service="query-test", logger_handler=logging.NullHandler()),
        dynamodb=lambda: client,
        table=TABLE,
    )
    for day in range(3):
        for minute in range(4):
            caller = "alice" if minute % 2 == 0 else "bob"
            tool, outcome = (
                ("ec2_stop_instances", Outcome.DENIED) if minute == 3 else ("aws_whoami", Outcome.SUCCESS)
            )
            started = DAY + timedelta(days=day, minutes=minute)
            record = AuditRecord(tool=tool, caller=caller, arguments={"n": minute}, started_at=started)
            trail.finish(record.completed(outcome, duration_ms=2.5, error=None, aws_request_ids=("rid",)))
    return AuditStore(lambda: client, TABLE)


def window(days: int = 3) -> dict[str, Any]:
    return {"since": DAY - timedelta(hours=1), "until": DAY + timedelta(days=days - 1, hours=1)}


def test_a_time_range_spans_days_newest_first(store: AuditStore) -> None:
    page = store.query(**window(), limit=100)
    started = [r["started_at"] for r in page.records]
    assert len(started) == 12 and started == sorted(started, reverse=True)
    assert page.next_position is None
    assert page.records[0]["duration_ms"] == 2.5 and page.records[0]["aws_request_ids"] == ["rid"]


def test_pages_follow_the_position_across_days(store: AuditStore) -> None:
    seen: list[str] = []
    position = None
    for _ in range(10):
        page = store.query(**window(), limit=5, position=position)
        seen += [r["call_id"] for r in page.records]
        position = page.next_position
        if position is None:
            break
    assert len(seen) == len(set(seen)) == 12


@pytest.mark.parametrize("caller", [None, "alice"])
def test_a_page_cut_short_resumes_right_after_its_last_kept_record(
    store: AuditStore, caller: str | None
) -> None:
    whole = store.query(**window(), caller=caller, limit=100).records
    first = store.query(**window(), caller=caller, limit=5)
    rest = store.query(**window(), caller=caller, limit=100, position=first.position_after(2)).records
    assert [r["call_id"] for r in first.records[:2] + rest] == [r["call_id"] for r in whole]


def test_by_caller_uses_the_index(store: AuditStore) -> None:
    page = store.query(**window(), caller="bob", limit=100)
    assert {r["caller"] for r in page.records} == {"bob"} and len(page.records) == 6


def test_filters_by_tool_and_outcome(store: AuditStore) -> None:
    page = store.query(**window(), tool="ec2_stop_instances", outcome="denied", limit=100)
    assert len(page.records) == 3
    assert {(r["tool"], r["outcome"]) for r in page.records} == {("ec2_stop_instances", "denied")}


def test_a_narrow_window_finds_only_its_calls(store: AuditStore) -> None:
    page = store.query(
        since=DAY + timedelta(days=1), until=DAY + timedelta(days=1, minutes=1, seconds=30), limit=100
    )
    assert len(page.records) == 2


@pytest.mark.parametrize(
    "position",
    [
        {"day": "not-a-date"},
        {"day": "2026-13-45"},
        {"day": 20260310},
        {"day": "2026-03-10", "key": "k"},
        {"day": "2026-03-10", "key": {"pk": {"N": "1"}}},
        {"day": "2026-03-10", "key": {"other": {"S": "x"}}},
    ],
)
def test_a_forged_position_is_a_tool_input_error(store: AuditStore, position: dict[str, Any]) -> None:
    with pytest.raises(ToolInputError, match="cursor"):
        store.query(**window(), position=position)


def test_a_bad_range_is_a_tool_input_error(store: AuditStore) -> None:
    with pytest.raises(ToolInputError, match="before"):
        store.query(since=DAY, until=DAY - timedelta(days=1))
