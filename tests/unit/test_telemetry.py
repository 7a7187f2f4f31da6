"""The EMF lines CloudWatch turns into the metrics template.yaml's alarms and dashboard read."""

from __future__ import annotations

import io
import json
from typing import Any

from aws_mcp.telemetry import Telemetry


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def directive(blob: dict[str, Any]) -> dict[str, Any]:
    (found,) = blob["_aws"]["CloudWatchMetrics"]
    return dict(found)


def test_a_tool_call_is_one_line_counted_per_tool_and_per_service() -> None:
    stream = io.StringIO()
    Telemetry("AwsMcp", "aws-mcp", enabled=True, stream=stream).tool_call(
        "ec2_list_instances", error=True, latency_ms=12.5, throttled=True
    )

    (blob,) = lines(stream)
    metrics = directive(blob)
    assert metrics["Namespace"] == "AwsMcp"
    assert sorted(map(sorted, metrics["Dimensions"])) == [["service"], ["service", "tool"]]
    assert {m["Name"] for m in metrics["Metrics"]} == {"ToolCalls", "ToolErrors", "Throttles", "ToolLatency"}
    assert blob["tool"] == "ec2_list_instances"
    assert blob["service"] == "aws-mcp"
    assert (blob["ToolCalls"], blob["ToolErrors"], blob["Throttles"]) == ([1.0], [1.0], [1.0])
    assert blob["ToolLatency"] == [12.5]


def test_an_untroubled_call_reports_no_throttle() -> None:
    stream = io.StringIO()
    Telemetry("AwsMcp", "aws-mcp", enabled=True, stream=stream).tool_call(
        "aws_whoami", error=False, latency_ms=3.0, throttled=False
    )

    (blob,) = lines(stream)
    assert "Throttles" not in blob
    assert blob["ToolErrors"] == [0.0]


def test_breaker_transitions_are_counted_per_aws_service_and_openings_overall() -> None:
    stream = io.StringIO()
    telemetry = Telemetry("AwsMcp", "aws-mcp", enabled=True, stream=stream)
    telemetry.breaker_transition("ec2", "OPEN")
    telemetry.breaker_transition("ec2", "CLOSED")

    transition, opened, closed = lines(stream)
    assert directive(transition)["Dimensions"] == [["aws_service", "to_state", "service"]]
    assert (transition["aws_service"], transition["to_state"]) == ("ec2", "OPEN")
    assert directive(opened)["Dimensions"] == [["service"]]
    assert opened["BreakerOpened"] == [1.0]
    assert closed["to_state"] == "CLOSED"


def test_disabled_telemetry_writes_nothing() -> None:
    stream = io.StringIO()
    Telemetry("AwsMcp", "aws-mcp", enabled=False, stream=stream).tool_call(
        "aws_whoami", error=False, latency_ms=1.0, throttled=False
    )
    assert stream.getvalue() == ""
