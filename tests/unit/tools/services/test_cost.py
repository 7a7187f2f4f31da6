"""Cost Explorer tools and their cache, through the registry as an agent would call them.

GetCostAndUsage runs against moto, whose answers are queued through its own API (as the demo
does). moto has no GetCostForecast: those tests use botocore's Stubber, as do the ones that
check the exact request sent, paging and errors.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto.ce.models import ce_backends

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.server import build_server
from aws_mcp.tools.answer_cache import key_of
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp.tools.services.cost import _ttl_seconds
from aws_mcp_local.demo import seed, table_names
from aws_mcp_local.demo.estate.cost import bill_result, queue_results
from tests.unit.tools.services.calling import call, refused

ACCOUNT = "123456789012"
CACHE = table_names()["cost_cache"]


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("cost",))


@pytest.fixture
def settings() -> Settings:
    return Settings(default_region="us-east-1", cost_cache_table=CACHE)


def demo_clients(service: str, region: str = "us-east-1") -> Any:
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


def answer_next(*results: dict[str, Any]) -> None:
    """moto answers the next new questions with ``results`` (and nothing queued before them)."""
    ce_backends[ACCOUNT]["global"].cost_usage_results_queue.clear()
    queue_results(demo_clients, list(results))


def counting(clients: ClientFactory, operation: str) -> list[dict[str, Any]]:
    """The requests the registry's Cost Explorer client sends for ``operation``, as they go."""
    sent: list[dict[str, Any]] = []
    clients.client("ce", "us-east-1").meta.events.register(
        f"provide-client-params.ce.{operation}", lambda params, **_: sent.append(params)
    )
    return sent


def by_tag(**amounts: str) -> dict[str, Any]:
    groups = [
        {"Keys": [f"team${value}"], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}
        for value, amount in amounts.items()
    ]
    return {"ResultsByTime": [{"TimePeriod": {"Start": "2026-10-01", "End": "2026-11-01"}, "Groups": groups}]}


def costs_response(
    groups: dict[str, str], *, token: str | None = None, start: str = "2026-10-01"
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": start, "End": start},
                "Total": {},
                "Groups": [
                    {"Keys": [k], "Metrics": {"UnblendedCost": {"Amount": v, "Unit": "USD"}}}
                    for k, v in groups.items()
                ],
                "Estimated": True,
            }
        ],
        "DimensionValueAttributes": [],
    }
    if token:
        response["NextPageToken"] = token
    return response


class TestGetCosts:
    def test_answers_the_demo_bill_largest_service_first(self, registry: ToolRegistry) -> None:
        result = call(registry, "cost_get_costs", start="2026-09-01", end="2026-11-01")
        assert result["total"] == 1234.5 and result["unit"] == "USD"
        groups = result["groups"]
        assert groups[0] == {"key": "Amazon Elastic Compute Cloud - Compute", "amount": 612.4}
        assert [g["amount"] for g in groups] == sorted((g["amount"] for g in groups), reverse=True)
        assert result["periods"] == [
            {"start": "2026-09-01", "amount": 614.0},
            {"start": "2026-10-01", "amount": 620.5},
        ]
        assert datetime.fromisoformat(result["fetched_at"]) <= datetime.now(UTC)

    def test_a_repeat_is_answered_from_the_cache_without_asking_cost_explorer(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        answer_next(bill_result())
        sent = counting(clients, "GetCostAndUsage")
        first = call(registry, "cost_get_costs", start="2026-08-01", end="2026-11-01")
        again = call(registry, "cost_get_costs", start="2026-08-01", end="2026-11-01", top=2)
        assert len(sent) == 1
        assert first.get("cached") is False and again.get("cached") is True
        assert again["fetched_at"] == first["fetched_at"] and again["total"] == first["total"]
        # The cache keeps every group: a smaller top is cut from it.
        assert len(again["groups"]) == 3 and again["groups"][-1]["key"] == "others (4)"
        assert sum(g["amount"] for g in again["groups"]) == pytest.approx(first["total"])

    def test_without_a_cache_table_every_call_asks_cost_explorer(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(cost_cache_table=None), clients).registry
        answer_next(bill_result())
        sent = counting(clients, "GetCostAndUsage")
        for _ in range(2):
            assert (
                call(registry, "cost_get_costs", start="2026-07-01", end="2026-11-01").get("cached") is False
            )
        assert len(sent) == 2

    def test_an_expired_answer_is_asked_again(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        answer_next(bill_result(), bill_result())
        sent = counting(clients, "GetCostAndUsage")
        call(registry, "cost_get_costs", start="2026-06-01", end="2026-11-01")
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        # DynamoDB's TTL deletes an expired item only within days: until then it is still read.
        for found in dynamodb.scan(TableName=CACHE)["Items"]:
            dynamodb.update_item(
                TableName=CACHE,
                Key={"id": found["id"]},
                UpdateExpression="SET expires_at = :past",
                ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
            )
        assert call(registry, "cost_get_costs", start="2026-06-01", end="2026-11-01").get("cached") is False
        assert len(sent) == 2

    def test_a_cache_that_fails_is_a_miss_not_a_failed_call(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        answer_next(bill_result())
        with Stubber(clients.client("dynamodb", "us-east-1")) as stubber:
            stubber.add_client_error(
                "get_item", "ProvisionedThroughputExceededException", http_status_code=400
            )
            stubber.add_client_error(
                "put_item", "ProvisionedThroughputExceededException", http_status_code=400
            )
            result = call(registry, "cost_get_costs", start="2026-04-01", end="2026-05-01")
            stubber.assert_no_pending_responses()
        assert result.get("cached") is False and result["total"] == 1234.5

    def test_groups_beyond_top_are_summed_as_others(self, registry: ToolRegistry) -> None:
        answer_next(by_tag(web="50", api="30", batch="15", **{"": "5"}))
        result = call(
            registry, "cost_get_costs", group_by="tag:team", start="2026-10-01", end="2026-11-01", top=2
        )
        assert result["groups"] == [
            {"key": "web", "amount": 50.0},
            {"key": "api", "amount": 30.0},
            {"key": "others (2)", "amount": 20.0},
        ]
        assert result["total"] == 100.0

    def test_untagged_cost_is_named_so(self, registry: ToolRegistry) -> None:
        answer_next(by_tag(web="50", **{"": "5"}))
        result = call(registry, "cost_get_costs", group_by="tag:owner", start="2026-10-01", end="2026-11-01")
        assert {"key": "(untagged)", "amount": 5.0} in result["groups"]

    def test_the_request_is_the_normalized_question_with_its_defaults(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        today = datetime.now(UTC).date()
        expected = {
            "TimePeriod": {
                "Start": (today - timedelta(days=13)).isoformat(),
                "End": (today + timedelta(days=1)).isoformat(),
            },
            "Granularity": "DAILY",
            "Metrics": ["UnblendedCost"],
            "GroupBy": [{"Type": "DIMENSION", "Key": "REGION"}],
        }
        # Cost Explorer is global: a client of any region reaches its one endpoint, in us-east-1.
        assert clients.client("ce", "eu-west-1").meta.endpoint_url == "https://ce.us-east-1.amazonaws.com"
        with Stubber(clients.client("ce", "eu-west-1")) as stubber:
            stubber.add_response("get_cost_and_usage", costs_response({"us-east-1": "3.5"}), expected)
            result = call(
                registry, "cost_get_costs", granularity="DAILY", group_by="REGION", region="eu-west-1"
            )
        assert result["groups"] == [{"key": "us-east-1", "amount": 3.5}]
        assert result["periods"][0].get("estimated") is True

    def test_pages_of_cost_explorer_are_summed(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with Stubber(clients.client("ce", "us-east-1")) as stubber:
            stubber.add_response("get_cost_and_usage", costs_response({"EC2": "1", "S3": "2"}, token="p2"))
            stubber.add_response(
                "get_cost_and_usage", costs_response({"EC2": "4"}), {**_ANY_REQUEST, "NextPageToken": "p2"}
            )
            result = call(registry, "cost_get_costs", start="2025-01-01", end="2025-02-01")
        assert result["groups"] == [{"key": "EC2", "amount": 5.0}, {"key": "S3", "amount": 2.0}]
        assert result["periods"] == [{"start": "2026-10-01", "amount": 7.0, "estimated": True}]

    def test_a_question_needing_too_many_billed_requests_is_refused(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("ce", "us-east-1")) as stubber:
            for n in range(5):
                stubber.add_response("get_cost_and_usage", costs_response({"EC2": "1"}, token=f"p{n}"))
            text = refused(registry, "cost_get_costs", start="2025-02-01", end="2025-03-01")
        assert "more than 5 requests" in text and "shorter" in text

    @pytest.mark.parametrize(
        ("arguments", "said"),
        [
            ({"group_by": "INSTANCE_TYPE"}, "group_by"),
            ({"group_by": "tag:a$b"}, "group_by"),
            ({"start": "2026-10-01", "end": "2026-09-01"}, "before end"),
            ({"granularity": "DAILY", "start": "2026-01-01", "end": "2026-06-01"}, "at most 93 days"),
            ({"top": 51}, "Invalid arguments"),
            ({"granularity": "HOURLY"}, "Invalid arguments"),
        ],
    )
    def test_arguments_are_checked(
        self, registry: ToolRegistry, arguments: dict[str, Any], said: str
    ) -> None:
        assert said in refused(registry, "cost_get_costs", **arguments)

    def test_access_denied_says_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("ce", "us-east-1")) as stubber:
            stubber.add_client_error("get_cost_and_usage", "AccessDeniedException", http_status_code=400)
            text = refused(registry, "cost_get_costs", start="2025-03-01", end="2025-04-01")
        assert "AccessDeniedException" in text and "a retry will not help" in text

    def test_throttling_is_transient(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with Stubber(clients.client("ce", "us-east-1")) as stubber:
            stubber.add_client_error("get_cost_and_usage", "LimitExceededException", http_status_code=400)
            text = refused(registry, "cost_get_costs", start="2025-04-01", end="2025-05-01")
        assert "LimitExceededException" in text


_ANY_REQUEST = {"TimePeriod": ANY, "Granularity": ANY, "Metrics": ANY, "GroupBy": ANY}


class TestResultSize:
    def test_a_result_over_the_budget_drops_its_periods_then_folds_groups_into_others(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=1000), clients).registry
        groups = {f"service-{n:02}-" + "x" * 60: str(100 - n) for n in range(40)}
        days = [costs_response(groups, start=f"2025-01-{d:02}") for d in range(1, 31)]
        merged = {
            "ResultsByTime": [r for d in days for r in d["ResultsByTime"]],
            "DimensionValueAttributes": [],
        }
        with Stubber(clients.client("ce", "us-east-1")) as stubber:
            stubber.add_response("get_cost_and_usage", merged)
            outcome = registry.call(
                "cost_get_costs",
                {"granularity": "DAILY", "start": "2025-01-01", "end": "2025-01-31", "top": 50},
                CallContext(),
            )
        assert not outcome.is_error, outcome.text
        result = outcome.structured
        assert result is not None and len(outcome.text) <= 1000
        assert "periods" not in result and "AWS_MCP_MAX_RESULT_CHARS" in result["note"]
        *named, others = result["groups"]
        assert others["key"] == f"others ({40 - len(named)})"
        assert sum(g["amount"] for g in result["groups"]) == pytest.approx(result["total"]) == 30 * 3220


class TestCacheLifetime:
    def test_a_settled_period_is_kept_a_day_and_an_open_one_hours(self) -> None:
        today = date(2026, 11, 28)
        assert _ttl_seconds(date(2026, 11, 1), "MONTHLY", today) == 24 * 3600
        assert _ttl_seconds(date(2026, 11, 29), "DAILY", today) == 4 * 3600
        assert _ttl_seconds(date(2026, 12, 1), "MONTHLY", today) == 8 * 3600
        # Closed yesterday: its figures still settle.
        assert _ttl_seconds(date(2026, 11, 27), "DAILY", today) == 4 * 3600

    def test_the_stored_answer_expires_as_its_period_says(self, registry: ToolRegistry) -> None:
        answer_next(bill_result())
        call(registry, "cost_get_costs", start="2026-05-01", end="2026-06-01")
        key = key_of(
            {
                "api": "GetCostAndUsage",
                "TimePeriod": {"Start": "2026-05-01", "End": "2026-06-01"},
                "Granularity": "MONTHLY",
                "Metrics": ["UnblendedCost"],
                "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
            }
        )
        item = boto3.client("dynamodb", region_name="us-east-1").get_item(
            TableName=CACHE, Key={"id": {"S": key}}
        )
        expires = int(item["Item"]["expires_at"]["N"])
        assert abs(expires - (time.time() + 24 * 3600)) < 60


def forecast_response() -> dict[str, Any]:
    return {
        "Total": {"Amount": "700.123", "Unit": "USD"},
        "ForecastResultsByTime": [
            {
                "TimePeriod": {"Start": "2026-11-28", "End": "2026-12-01"},
                "MeanValue": "700.123",
                "PredictionIntervalLowerBound": "650.5",
                "PredictionIntervalUpperBound": "750.25",
            }
        ],
    }


class TestForecast:
    """moto has no GetCostForecast: Stubber answers as Cost Explorer does."""

    def test_forecasts_to_the_end_of_the_month_with_its_interval(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        today = datetime.now(UTC).date()
        next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        expected = {
            "TimePeriod": {"Start": today.isoformat(), "End": next_month.isoformat()},
            "Granularity": "MONTHLY",
            "Metric": "UNBLENDED_COST",
            "PredictionIntervalLevel": 80,
        }
        with Stubber(clients.client("ce", "us-east-1")) as stubber:
            stubber.add_response("get_cost_forecast", forecast_response(), expected)
            result = call(registry, "cost_forecast")
            again = call(registry, "cost_forecast")
            stubber.assert_no_pending_responses()
        assert result["total"] == 700.12 and result["unit"] == "USD"
        assert (result["low"], result["high"]) == (650.5, 750.25)
        assert result["periods"] == [{"start": "2026-11-28", "amount": 700.12}]
        # The repeat made no request (the stubber had one answer only).
        assert result.get("cached") is False and again.get("cached") is True

    def test_an_end_in_the_past_is_refused(self, registry: ToolRegistry) -> None:
        assert "before end" in refused(registry, "cost_forecast", end="2020-01-01")

    def test_the_demo_has_no_forecast_and_says_which_tool_failed(self, registry: ToolRegistry) -> None:
        assert "cost_forecast" in refused(registry, "cost_forecast", granularity="DAILY")
