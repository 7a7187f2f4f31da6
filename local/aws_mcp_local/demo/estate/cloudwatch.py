"""The demo's CloudWatch: three hours of the storefront's metrics (its web servers' CPU climbing
past 80 % in the last half hour) and alarms in each state, in us-east-1."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from aws_mcp_local.demo.estate import DemoClients

__all__ = ["seed"]

WEB: Final = {"AutoScalingGroupName": "storefront-web-asg"}
BATCH: Final = {"AutoScalingGroupName": "reports-batch-asg"}
ALB: Final = {"LoadBalancer": "app/storefront-alb/50dc6c495c0c9188"}
_MINUTES: Final = 180


def _cpu(minutes_ago: int) -> float:
    """The web tier's CPU: a daily wave around 35 %, then a climb to over 90 % in the last 30 minutes."""
    base = 35 + 10 * math.sin(minutes_ago / 20)
    return round(base if minutes_ago > 30 else 60 + (30 - minutes_ago), 2)


def seed(clients: DemoClients) -> None:
    cloudwatch = clients("cloudwatch")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    series: list[tuple[str, str, dict[str, str], str, Any]] = [
        ("AWS/EC2", "CPUUtilization", WEB, "Percent", _cpu),
        ("AWS/EC2", "CPUUtilization", BATCH, "Percent", lambda m: 3.0 + (m % 7)),
        ("AWS/EC2", "NetworkIn", WEB, "Bytes", lambda m: 2_000_000.0 + 1000 * (m % 13)),
        ("AWS/EC2", "StatusCheckFailed", WEB, "Count", lambda m: 0.0),
        ("AWS/ApplicationELB", "RequestCount", ALB, "Count", lambda m: 1200.0 + 40 * (m % 9)),
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", ALB, "Count", lambda m: 2.0 if m < 30 else 0.0),
    ]
    for namespace, name, dimensions, unit, value in series:
        data = [
            {
                "MetricName": name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                "Timestamp": now - timedelta(minutes=m),
                "Value": float(value(m)),
                "Unit": unit,
            }
            for m in range(1, _MINUTES + 1)
        ]
        for start in range(0, len(data), 150):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + 150])
    alarms = [
        ("storefront-cpu-high", "AWS/EC2", "CPUUtilization", WEB, "GreaterThanThreshold", 80.0, 3, "ALARM"),
        (
            "storefront-5xx",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            ALB,
            "GreaterThanThreshold",
            50.0,
            5,
            "OK",
        ),
        (
            "reports-batch-cpu-low",
            "AWS/EC2",
            "CPUUtilization",
            BATCH,
            "LessThanThreshold",
            1.0,
            12,
            "INSUFFICIENT_DATA",
        ),
    ]
    for name, namespace, metric, dimensions, operator, threshold, periods, state in alarms:
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace=namespace,
            MetricName=metric,
            Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
            Statistic="Average" if namespace == "AWS/EC2" else "Sum",
            ComparisonOperator=operator,
            Threshold=threshold,
            Period=60 if namespace == "AWS/EC2" else 300,
            EvaluationPeriods=periods,
        )
        crossed = f"the threshold ({threshold})"
        reasons = {
            "ALARM": f"Threshold Crossed: {periods} datapoints were greater than {crossed}.",
            "OK": f"Threshold Crossed: no datapoint was greater than {crossed}.",
            "INSUFFICIENT_DATA": f"Insufficient Data: {periods} datapoints were unknown.",
        }
        cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reasons[state])
