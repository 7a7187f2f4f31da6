"""CloudWatch tools against moto's CloudWatch, through the registry as an agent would call them.

moto keeps no alarm history and cannot compute percentiles (its GetMetricData fails on a pNN
statistic): those are checked on AWS-shaped answers with botocore's Stubber.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp.tools.services.cloudwatch import _retention_step, _round_up
from aws_mcp_local.demo import seed
from aws_mcp_local.demo.estate.cloudwatch import WEB
from tests.unit.tools.services.calling import answers_as_declared, call, refused, walk
from tests.unit.tools.test_paging import valid_output

PAGING_REGION = "ap-northeast-1"
STUBBED = "sa-east-1"
WEB_CPU = {"namespace": "AWS/EC2", "name": "CPUUtilization", "dimensions": WEB}


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("cloudwatch",))


class TestListMetrics:
    def test_lists_the_metrics_of_a_namespace_with_their_dimensions(self, registry: ToolRegistry) -> None:
        result = call(registry, "cloudwatch_list_metrics", namespace="AWS/EC2")
        assert result["count"] == 4 and result.get("next_cursor") is None
        assert {"name": "CPUUtilization", "namespace": "AWS/EC2", "dimensions": WEB} in result["metrics"]
        valid_output(registry, "cloudwatch_list_metrics", result)

    def test_a_dimension_narrows_the_list(self, registry: ToolRegistry) -> None:
        result = call(registry, "cloudwatch_list_metrics", namespace="AWS/EC2", dimensions=WEB, fields=[])
        assert sorted(m["name"] for m in result["metrics"]) == [
            "CPUUtilization",
            "NetworkIn",
            "StatusCheckFailed",
        ]
        assert all(set(m) == {"name"} for m in result["metrics"])

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        cloudwatch = boto3.client("cloudwatch", region_name=PAGING_REGION)
        for n in range(12):
            cloudwatch.put_metric_data(
                Namespace="Paged", MetricData=[{"MetricName": f"m{n:02}", "Value": 1.0}]
            )
        first = call(registry, "cloudwatch_list_metrics", region=PAGING_REGION, max_results=5)
        assert first["count"] == 5 and first.get("next_cursor")
        names = [
            m["name"]
            for m in walk(registry, "cloudwatch_list_metrics", "metrics", region=PAGING_REGION, max_results=5)
        ]
        assert sorted(names) == [f"m{n:02}" for n in range(12)]
        assert "other filters" in refused(registry, "cloudwatch_list_metrics", cursor=first["next_cursor"])


class TestGetMetrics:
    def test_a_metric_comes_with_its_summary_latest_value_and_series(self, registry: ToolRegistry) -> None:
        result = call(registry, "cloudwatch_get_metrics", metrics=[WEB_CPU], minutes=120)
        assert result["period_s"] == 120  # about 60 points over two hours
        (cpu,) = result["metrics"]
        summary = cpu["summary"]
        # The demo's web tier climbs past 90 % in the last half hour.
        assert (
            summary["max"] > 85 and summary["min"] < 35 and summary["min"] <= summary["avg"] <= summary["max"]
        )
        # One sample a minute, seeded when the module's estate was: minutes later, the window's
        # oldest few have aged out of it.
        assert 110 <= summary["samples"] <= 120
        assert 55 <= len(cpu["points"]) <= 61 and cpu["latest"] == cpu["points"][-1]
        assert [t for t, _ in cpu["points"]] == sorted(t for t, _ in cpu["points"])
        valid_output(registry, "cloudwatch_get_metrics", result)

    def test_several_metrics_are_read_in_one_call(self, registry: ToolRegistry) -> None:
        network = {**WEB_CPU, "name": "NetworkIn"}
        alb = {
            "namespace": "AWS/ApplicationELB",
            "name": "RequestCount",
            "dimensions": {"LoadBalancer": "app/storefront-alb/50dc6c495c0c9188"},
        }
        result = call(registry, "cloudwatch_get_metrics", metrics=[WEB_CPU, network, alb], stat="Sum")
        assert [m["name"] for m in result["metrics"]] == ["CPUUtilization", "NetworkIn", "RequestCount"]
        # Seeded a minute apart and at the same times (some may have aged out of the window since).
        (samples,) = {m["summary"]["samples"] for m in result["metrics"]}
        assert 170 <= samples <= 180

    def test_a_metric_without_data_says_so_by_leaving_its_figures_out(self, registry: ToolRegistry) -> None:
        (quiet,) = call(registry, "cloudwatch_get_metrics", metrics=[{**WEB_CPU, "name": "Nothing"}])[
            "metrics"
        ]
        assert quiet.get("summary") is None and quiet.get("latest") is None and quiet["points"] == []

    def test_points_that_do_not_fit_the_budget_are_dropped_and_the_summary_stays(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=1200), clients).registry
        result = call(registry, "cloudwatch_get_metrics", metrics=[WEB_CPU])
        (cpu,) = result["metrics"]
        assert cpu.get("points") is None and cpu["summary"]["max"] > 85 and cpu["latest"]
        assert "left out" in result["note"]

    @pytest.mark.parametrize(
        ("minutes", "period"),
        [(5, 60), (180, 180), (24 * 60, 1440), (30 * 1440, 43_200), (100 * 1440, 144_000)],
    )
    def test_the_period_gives_about_sixty_points_in_steps_cloudwatch_keeps(
        self, minutes: int, period: int
    ) -> None:
        age = minutes * 60
        assert _round_up(max(age // 60, 60), _retention_step(age)) == period
        assert period % _retention_step(age) == 0

    def test_percentiles_asked_come_in_the_summary(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        at = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        results = [
            {
                "Id": "s0",
                "Timestamps": [at - timedelta(minutes=3), at],
                "Values": [40.0, 90.0],
                "StatusCode": "Complete",
            },
            *(
                {"Id": f"w0_{k}", "Timestamps": [at], "Values": [v], "StatusCode": "Complete"}
                for k, v in enumerate([10.0, 95.0, 45.0, 180.0, 88.5])
            ),
        ]
        with Stubber(clients.client("cloudwatch", STUBBED)) as stubber:
            stubber.add_response(
                "get_metric_data",
                {"MetricDataResults": results},
                {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY, "ScanBy": "TimestampAscending"},
            )
            result = call(
                registry, "cloudwatch_get_metrics", region=STUBBED, metrics=[WEB_CPU], percentiles=["p99"]
            )
        (cpu,) = result["metrics"]
        assert cpu["summary"] == {"min": 10.0, "max": 95.0, "avg": 45.0, "samples": 180.0, "p99": 88.5}
        assert cpu["latest"] == ["2026-11-28T12:00:00+00:00", 90.0]

    @pytest.mark.parametrize(
        "arguments",
        [
            {"metrics": []},
            {"metrics": [WEB_CPU] * 6},
            {"metrics": [WEB_CPU], "minutes": 4},
            {"metrics": [WEB_CPU], "percentiles": ["median"]},
            {"metrics": [{**WEB_CPU, "dimensions": {f"d{n}": "v" for n in range(31)}}]},
        ],
    )
    def test_arguments_are_bounded(self, registry: ToolRegistry, arguments: dict[str, Any]) -> None:
        assert "Invalid arguments" in refused(registry, "cloudwatch_get_metrics", **arguments)


class TestListAlarms:
    def test_alarms_come_in_alarm_first(self, registry: ToolRegistry) -> None:
        alarms = walk(registry, "cloudwatch_list_alarms", "alarms")
        assert [(a["name"], a["state"]) for a in alarms] == [
            ("storefront-cpu-high", "ALARM"),
            ("reports-batch-cpu-low", "INSUFFICIENT_DATA"),
            ("storefront-5xx", "OK"),
        ]
        high = alarms[0]
        assert (
            high["condition"] == "Average > 80.0 for 3 x 60 s" and high["metric"] == "AWS/EC2/CPUUtilization"
        )
        assert high["dimensions"] == WEB and "greater than the threshold" in high["reason"]

    def test_a_state_asked_lists_only_it(self, registry: ToolRegistry) -> None:
        result = call(registry, "cloudwatch_list_alarms", state="OK", fields=["state"])
        assert (
            result["alarms"] == [{"name": "storefront-5xx", "state": "OK"}]
            and result.get("next_cursor") is None
        )

    def test_pages_follow_the_cursor_across_states_without_gaps_or_repeats(
        self, registry: ToolRegistry
    ) -> None:
        cloudwatch = boto3.client("cloudwatch", region_name=PAGING_REGION)
        for n in range(8):
            cloudwatch.put_metric_alarm(
                AlarmName=f"paged-{n}",
                Namespace="Paged",
                MetricName="m00",
                Statistic="Sum",
                ComparisonOperator="GreaterThanThreshold",
                Threshold=1.0,
                Period=60,
                EvaluationPeriods=1,
            )
            if n % 2:
                cloudwatch.set_alarm_state(AlarmName=f"paged-{n}", StateValue="ALARM", StateReason="test")
        alarms = walk(registry, "cloudwatch_list_alarms", "alarms", region=PAGING_REGION, max_results=5)
        names = [a["name"] for a in alarms]
        assert len(names) == len(set(names)) == 8
        assert [a["state"] for a in alarms[:4]] == ["ALARM"] * 4

    def test_a_forged_cursor_past_the_states_says_to_start_over(self, registry: ToolRegistry) -> None:
        from aws_mcp.tools.paging import bind

        past = bind({"n": 25, "s": 3}, {"region": "us-east-1", "state": None, "name_prefix": None})
        assert "start over" in refused(registry, "cloudwatch_list_alarms", cursor=past)


class TestAlarmHistory:
    def test_state_changes_come_newest_first(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        at = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
        items = [
            {
                "AlarmName": "web",
                "Timestamp": at,
                "HistoryItemType": "StateUpdate",
                "HistorySummary": "Alarm updated from OK to ALARM",
            },
            {
                "AlarmName": "web",
                "Timestamp": at - timedelta(hours=1),
                "HistoryItemType": "StateUpdate",
                "HistorySummary": "Alarm updated from ALARM to OK",
            },
        ]
        with Stubber(clients.client("cloudwatch", STUBBED)) as stubber:
            stubber.add_response(
                "describe_alarm_history",
                {"AlarmHistoryItems": items},
                {
                    "AlarmName": "web",
                    "HistoryItemType": "StateUpdate",
                    "ScanBy": "TimestampDescending",
                    "MaxRecords": 25,
                },
            )
            result = call(registry, "cloudwatch_alarm_history", region=STUBBED, alarm_name="web")
        assert result["changes"] == [
            {
                "at": "2026-11-28T12:00:00+00:00",
                "kind": "StateUpdate",
                "summary": "Alarm updated from OK to ALARM",
            },
            {
                "at": "2026-11-28T11:00:00+00:00",
                "kind": "StateUpdate",
                "summary": "Alarm updated from ALARM to OK",
            },
        ]
        valid_output(registry, "cloudwatch_alarm_history", result)


class TestPutAlarm:
    def test_creates_an_alarm_then_updates_it_saying_which(self, registry: ToolRegistry) -> None:
        arguments = {
            "name": "web-network",
            "metric": {**WEB_CPU, "name": "NetworkIn"},
            "comparison": ">=",
            "threshold": 5e6,
        }
        created = call(registry, "cloudwatch_put_alarm", **arguments, region=PAGING_REGION)
        assert created["created"] is True
        assert created["alarm"]["condition"] == "Average >= 5000000.0 for 1 x 300 s"
        updated = call(
            registry,
            "cloudwatch_put_alarm",
            **arguments,
            region=PAGING_REGION,
            evaluation_periods=3,
            period_s=60,
        )
        assert (
            updated["created"] is False
            and updated["alarm"]["condition"] == "Average >= 5000000.0 for 3 x 60 s"
        )
        valid_output(registry, "cloudwatch_put_alarm", updated)

    def test_notifications_go_to_the_topics_named(self, registry: ToolRegistry) -> None:
        topic = "arn:aws:sns:ap-northeast-1:123456789012:on-call"
        call(
            registry,
            "cloudwatch_put_alarm",
            region=PAGING_REGION,
            name="paged-notify",
            metric=WEB_CPU,
            comparison=">",
            threshold=1,
            notify=[topic],
        )
        (found,) = boto3.client("cloudwatch", region_name=PAGING_REGION).describe_alarms(
            AlarmNames=["paged-notify"]
        )["MetricAlarms"]
        assert found["AlarmActions"] == [topic] and found["OKActions"] == [topic]

    @pytest.mark.parametrize(
        "arguments", [{"period_s": 90}, {"comparison": "!="}, {"notify": ["arn:aws:sqs:x"]}]
    )
    def test_arguments_are_checked(self, registry: ToolRegistry, arguments: dict[str, Any]) -> None:
        base = {"name": "x", "metric": WEB_CPU, "comparison": ">", "threshold": 1}
        assert "Invalid arguments" in refused(registry, "cloudwatch_put_alarm", **{**base, **arguments})

    def test_is_refused_in_read_only_mode(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
        with pytest.raises(ProtocolError) as raised:
            registry.call(
                "cloudwatch_put_alarm",
                {"name": "x", "metric": WEB_CPU, "comparison": ">", "threshold": 1},
                CallContext(),
            )
        assert "ReadOnly" in raised.value.message


class TestExamples:
    def test_every_example_answers_as_declared(self, registry: ToolRegistry) -> None:
        answers_as_declared(registry, "cloudwatch_", skip=("cloudwatch_alarm_history",))
