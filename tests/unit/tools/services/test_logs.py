"""CloudWatch Logs tools against moto's Logs, through the registry as an agent would call them.

moto runs an Insights query to completion inside StartQuery and fails on an unknown query id
(a KeyError, not ResourceNotFoundException): a query still running when the call's wait runs
out, and a query AWS no longer knows, are checked on AWS-shaped answers with botocore's Stubber.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.resilience.deadline import Deadlines
from aws_mcp.resilience.waiting import WaitBudget
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp.tools.services import logs as logs_tools
from aws_mcp_local.demo import seed
from aws_mcp_local.demo.estate.logs import CHECKOUT, ERRORS
from tests.unit.resilience.test_deadline import FakeLambdaContext
from tests.unit.tools.services.calling import FakeClock, call, refused, walk
from tests.unit.tools.test_paging import valid_output

PAGING_REGION = "ap-northeast-1"
STUBBED = "sa-east-1"
QUERY_ID = "7f3c2a10-1111-4222-8333-444455556666"


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("logs",))


def put_events(group: str, region: str, stamps: list[int], *, stream: str = "s") -> None:
    """Events at these epoch milliseconds, each saying its order of putting ("e0", "e1", ...)."""
    logs: Any = boto3.client("logs", region_name=region)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [{"timestamp": ms, "message": f"e{n}"} for n, ms in enumerate(stamps)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def ms_ago(minutes: float) -> int:
    return int((datetime.now(UTC) - timedelta(minutes=minutes)).timestamp() * 1000)


class TestListGroups:
    def test_lists_the_groups_with_their_retention_and_size(self, registry: ToolRegistry) -> None:
        result = call(registry, "logs_list_groups")
        groups = {g["name"]: g for g in result["groups"]}
        assert set(groups) == {CHECKOUT, "/aws/lambda/thumbnailer", "/ecs/storefront-web"}
        assert groups[CHECKOUT]["retention_days"] == 14 and groups[CHECKOUT]["stored_bytes"] > 0
        # Kept forever: no retention is said.
        assert groups["/ecs/storefront-web"].get("retention_days") is None
        assert result.get("next_cursor") is None
        valid_output(registry, "logs_list_groups", result)

    def test_a_prefix_narrows_the_list(self, registry: ToolRegistry) -> None:
        result = call(registry, "logs_list_groups", prefix="/aws/lambda/", fields=[])
        assert result["groups"] == [{"name": CHECKOUT}, {"name": "/aws/lambda/thumbnailer"}]

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        logs = boto3.client("logs", region_name=PAGING_REGION)
        for n in range(12):
            logs.create_log_group(logGroupName=f"/paged/g{n:02}")
        first = call(registry, "logs_list_groups", region=PAGING_REGION, prefix="/paged/", max_results=5)
        assert first["count"] == 5 and first.get("next_cursor")
        names = [
            g["name"]
            for g in walk(
                registry, "logs_list_groups", "groups", region=PAGING_REGION, prefix="/paged/", max_results=5
            )
        ]
        assert names == [f"/paged/g{n:02}" for n in range(12)]
        assert "other filters" in refused(
            registry, "logs_list_groups", region=PAGING_REGION, cursor=first["next_cursor"]
        )

    def test_access_denied_says_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("logs", STUBBED)) as stubber:
            stubber.add_client_error("describe_log_groups", "AccessDeniedException", http_status_code=400)
            text = refused(registry, "logs_list_groups", region=STUBBED)
        assert "AccessDeniedException" in text and "a retry will not help" in text


class TestFilterEvents:
    def test_finds_the_error_lines_of_the_last_hour_newest_first(self, registry: ToolRegistry) -> None:
        result = call(registry, "logs_filter_events", group=CHECKOUT, pattern="ERROR")
        assert result["count"] == len(ERRORS) and result.get("next_cursor") is None
        times = [e["at"] for e in result["events"]]
        assert times == sorted(times, reverse=True)
        assert [e["message"][-5:-1] for e in result["events"]] == [str(1000 + m) for m in ERRORS]
        assert all(e["stream"].endswith("]0") for e in result["events"])
        valid_output(registry, "logs_filter_events", result)

    def test_the_window_bounds_the_events(self, registry: ToolRegistry) -> None:
        result = call(registry, "logs_filter_events", group=CHECKOUT, pattern="ERROR", minutes=10)
        assert result["count"] == 1

    def test_an_earlier_end_moves_the_window_back(self, registry: ToolRegistry) -> None:
        end = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
        result = call(registry, "logs_filter_events", group=CHECKOUT, pattern="ERROR", minutes=30, end=end)
        assert result["count"] == 1 and "1041" in result["events"][0]["message"]

    def test_pages_go_back_in_time_without_gaps_or_repeats_even_within_one_millisecond(
        self, registry: ToolRegistry
    ) -> None:
        # Bursts of events sharing a millisecond, spread over the last 50 minutes.
        stamps = sorted(ms_ago(50 - m) for m in range(0, 50, 3) for _ in range(3))
        put_events("/paged/events", PAGING_REGION, stamps)
        seen = walk(
            registry,
            "logs_filter_events",
            "events",
            region=PAGING_REGION,
            group="/paged/events",
            max_results=5,
        )
        assert [e["message"] for e in seen] == [f"e{n}" for n in reversed(range(len(stamps)))]

    @pytest.mark.parametrize("calls", [30, 3])
    def test_a_busy_slice_is_halved_until_it_can_be_read_whole_over_as_many_pages_as_it_takes(
        self, registry: ToolRegistry, monkeypatch: pytest.MonkeyPatch, calls: int
    ) -> None:
        monkeypatch.setattr(logs_tools, "_SLICE_EVENTS", 4)
        monkeypatch.setattr(logs_tools, "_CALLS", calls)
        stamps = [ms_ago(4) + n * 1500 for n in range(12)]  # 12 events within 18 s
        put_events(f"/paged/busy{calls}", PAGING_REGION, stamps)
        seen = walk(
            registry,
            "logs_filter_events",
            "events",
            region=PAGING_REGION,
            group=f"/paged/busy{calls}",
            max_results=5,
        )
        assert [e["message"] for e in seen] == [f"e{n}" for n in reversed(range(12))]

    def test_too_many_events_in_one_second_is_a_clear_error(
        self, registry: ToolRegistry, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(logs_tools, "_SLICE_EVENTS", 4)
        put_events("/paged/burst", PAGING_REGION, [ms_ago(2)] * 6)
        text = refused(registry, "logs_filter_events", region=PAGING_REGION, group="/paged/burst")
        assert "in one second" in text and "narrow the pattern" in text

    def test_a_page_cut_to_the_budget_resumes_after_its_last_event(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=1000), clients).registry
        first = call(registry, "logs_filter_events", group=CHECKOUT, max_results=50)
        assert "truncated" in first and 0 < first["count"] < 50
        seen = walk(registry, "logs_filter_events", "events", group=CHECKOUT, max_results=50)
        assert seen[: first["count"]] == first["events"]
        whole = call(
            build_server(settings, clients).registry, "logs_filter_events", group=CHECKOUT, max_results=100
        )
        assert seen == whole["events"] and whole["count"] == 55

    def test_a_missing_group_is_named(self, registry: ToolRegistry) -> None:
        text = refused(registry, "logs_filter_events", group="/no/such/group")
        assert "ResourceNotFoundException" in text

    def test_throttling_is_transient(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with Stubber(clients.client("logs", STUBBED)) as stubber:
            stubber.add_client_error("filter_log_events", "ThrottlingException", http_status_code=400)
            assert "transient" in refused(registry, "logs_filter_events", region=STUBBED, group="/g")


def insights(
    settings: Settings, clients: ClientFactory, clock: FakeClock, most_s: float = 20.0
) -> ToolRegistry:
    wait = WaitBudget(most_s, slack_s=7.0, clock=clock, sleep=clock.sleep)
    return build_server(settings, clients, wait=wait).registry


def answer(status: str, rows: list[dict[str, str]] | None = None) -> dict[str, Any]:
    fields = [[{"field": k, "value": v} for k, v in row.items()] for row in rows or []]
    return {"status": status, "results": fields, "statistics": {"recordsMatched": len(fields)}}


class TestQuery:
    def test_a_finished_query_answers_its_rows(self, registry: ToolRegistry) -> None:
        result = call(
            registry,
            "logs_query",
            groups=[CHECKOUT],
            query="fields @timestamp, @message | sort @timestamp desc | limit 5",
        )
        assert result["status"] == "Complete" and result["query_id"]
        assert len(result["rows"]) == 5 and set(result["rows"][0]) == {"@timestamp", "@message"}
        assert result.get("note") is None
        valid_output(registry, "logs_query", result)

    def test_a_query_that_outlives_the_wait_answers_its_id_and_is_picked_up_later(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        clock = FakeClock()
        registry = insights(settings, clients, clock, most_s=5.0)
        with Stubber(clients.client("logs", STUBBED)) as stubber:
            stubber.add_response(
                "start_query",
                {"queryId": QUERY_ID},
                {"logGroupNames": ["/g"], "queryString": "stats count(*)", "startTime": ANY, "endTime": ANY},
            )
            for _ in range(5):
                stubber.add_response("get_query_results", answer("Running"), {"queryId": QUERY_ID})
            started = call(registry, "logs_query", region=STUBBED, groups=["/g"], query="stats count(*)")
            stubber.assert_no_pending_responses()
            assert started["status"] == "Running" and started["query_id"] == QUERY_ID
            assert "logs_query_results" in started["note"] and started.get("rows") is None
            # Polled while the wait lasted, and not a moment past it.
            assert sum(clock.slept) == pytest.approx(5.0) and max(clock.slept) <= 2.0

            stubber.add_response("get_query_results", answer("Running"), {"queryId": QUERY_ID})
            stubber.add_response(
                "get_query_results", answer("Complete", [{"count(*)": "42"}]), {"queryId": QUERY_ID}
            )
            later = call(registry, "logs_query_results", region=STUBBED, query_id=QUERY_ID)
        assert later == {
            "region": STUBBED,
            "query_id": QUERY_ID,
            "status": "Complete",
            "rows": [{"count(*)": "42"}],
            "scanned": {"recordsMatched": 1.0},
        }

    def test_on_lambda_the_wait_ends_before_the_call_times_out(self) -> None:
        budget = WaitBudget(20.0, slack_s=3.0)
        waiting = Deadlines(margin_ms=1500).run(FakeLambdaContext(10_000), budget.start, mutating=False)
        # 10 s left, 1.5 s kept for the answer, 3 s for one last AWS call: 5.5 s to wait at most.
        assert 5.0 < waiting.left() <= 5.5
        assert budget.start().left() == pytest.approx(20.0, abs=0.1)  # off Lambda: the setting

    def test_a_failed_query_says_so(self, settings: Settings, clients: ClientFactory, estate: None) -> None:
        registry = insights(settings, clients, FakeClock())
        with Stubber(clients.client("logs", STUBBED)) as stubber:
            stubber.add_response("get_query_results", answer("Failed"), {"queryId": QUERY_ID})
            result = call(registry, "logs_query_results", region=STUBBED, query_id=QUERY_ID)
        assert result["status"] == "Failed" and result["rows"] == []

    def test_rows_that_do_not_fit_the_budget_are_cut_with_a_note(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=1000), clients).registry
        result = call(registry, "logs_query", groups=[CHECKOUT], query="fields @timestamp, @message")
        assert result["status"] == "Complete" and 0 < len(result["rows"]) < 55
        assert "Rows cut to the first" in result["note"]

    def test_an_unknown_query_id_is_a_clear_error(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = insights(settings, clients, FakeClock())
        with Stubber(clients.client("logs", STUBBED)) as stubber:
            stubber.add_client_error("get_query_results", "ResourceNotFoundException", http_status_code=400)
            text = refused(registry, "logs_query_results", region=STUBBED, query_id=QUERY_ID)
        assert QUERY_ID in text and "logs_query" in text

    def test_a_missing_group_is_named(self, registry: ToolRegistry) -> None:
        text = refused(registry, "logs_query", groups=["/no/such/group"], query="fields @message")
        assert "ResourceNotFoundException" in text


def test_a_wait_never_sleeps_past_its_end() -> None:
    clock = FakeClock()
    waiting = WaitBudget(3.0, slack_s=0, clock=clock, sleep=clock.sleep).start()
    assert [waiting.pause(2.0) for _ in range(3)] == [True, True, False]
    assert clock.slept == [2.0, 1.0]
