"""CloudWatch: metrics (what is there, and their figures over a window) and alarms.

Metric figures come from GetMetricData, which answers many metrics and statistics in one
request. A window's summary is read as one datapoint spanning the whole window (so its
minimum, maximum, average and percentiles are CloudWatch's own over the window, not figures
of figures); its series at a period chosen for about 60 points, within what CloudWatch keeps
for a window that old (1-minute points 15 days, 5-minute 63 days, hourly 455 days).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, Self

from pydantic import BaseModel, Field

from aws_mcp.errors import ToolInputError
from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

__all__ = ["TOOLS", "TOOLSET"]

TOOLSET: Final = "monitoring"

# AWS refuses empty names and values itself, clearly; a minLength costs every tools/list tokens.
Namespace = Annotated[str, Field(max_length=255)]
MetricName = Annotated[str, Field(max_length=255)]
Dimensions = Annotated[
    dict[Annotated[str, Field(max_length=255)], Annotated[str, Field(max_length=1024)]],
    Field(max_length=30, description='e.g. {"InstanceId": "i-0abc"}'),
]
AlarmName = Annotated[str, Field(max_length=255)]
Statistic = Literal["Average", "Sum", "Minimum", "Maximum", "SampleCount"]
# A point is [time, value]: about 35 characters of JSON.
_POINTS: Final = 60
_DAY: Final = 86_400


def _dimensions(given: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in (given or {}).items()]


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat(timespec="seconds") if at else None


# -- metrics ----------------------------------------------------------------------------------


class Metric(Item):
    item_key = "name"

    name: str
    namespace: str | None = None
    dimensions: dict[str, str] | None = None


class ListMetricsInput(RegionalInput):
    namespace: Namespace | None = Field(default=None, description="e.g. AWS/EC2.")
    metric_name: MetricName | None = Field(default=None, description="e.g. CPUUtilization.")
    dimensions: Dimensions | None = None
    fields: Fields[Metric] = None
    max_results: int = page_size(default=50, most=500)
    cursor: Cursor = None


class ListMetricsOutput(Paged):
    items_field = "metrics"

    region: str
    metrics: list[Metric]


@tool(
    name="cloudwatch_list_metrics",
    title="List CloudWatch metrics",
    iam_actions=("cloudwatch:ListMetrics",),
    read_only=True,
    idempotent=True,
    examples=(Example({"namespace": "AWS/EC2"}, {"region": "us-east-1", "count": 4}),),
)
def list_metrics(cloudwatch: CloudWatchClient, args: ListMetricsInput) -> ListMetricsOutput:
    """Metrics that have data, by namespace, name or dimensions: what cloudwatch_get_metrics can read."""
    region = cloudwatch.meta.region_name
    question = args.model_dump(mode="json", include={"namespace", "metric_name", "dimensions"})
    pages = TokenPages.resume(args.cursor, {**question, "region": region}, args.max_results)
    request: dict[str, Any] = {
        "Dimensions": [{"Name": k, "Value": v} for k, v in (args.dimensions or {}).items()]
    }
    if args.namespace:
        request["Namespace"] = args.namespace
    if args.metric_name:
        request["MetricName"] = args.metric_name
    response = pages.fetch(cloudwatch.list_metrics, **request)
    found, next_cursor = pages.window(response.get("Metrics", []), response.get("NextToken"))
    metrics = [
        Metric(
            name=m.get("MetricName", ""),
            namespace=m.get("Namespace"),
            dimensions={d["Name"]: d["Value"] for d in m.get("Dimensions", [])},
        )
        for m in found
    ]
    page = ListMetricsOutput(region=region, count=len(metrics), metrics=metrics, next_cursor=next_cursor)
    return page.resume_with(pages.cursor_at)


class MetricQuery(BaseModel):
    namespace: Namespace
    name: MetricName
    dimensions: Dimensions | None = None


Percentile = Annotated[str, Field(pattern=r"^p(\d{1,2}(\.\d{1,2})?)$", max_length=6)]


class GetMetricsInput(RegionalInput):
    metrics: list[MetricQuery] = Field(
        min_length=1, max_length=5, description="As listed by cloudwatch_list_metrics."
    )
    minutes: int = Field(default=180, ge=5, le=455 * 1440, description="Window: the last N minutes.")
    stat: Statistic = Field(default="Average", description="Of the series.")
    percentiles: list[Percentile] | None = Field(
        default=None, max_length=3, description='For the summary, e.g. ["p99"].'
    )


class Figures(BaseModel):
    namespace: str
    name: str
    dimensions: dict[str, str] | None = None
    # Over the whole window; None when the metric had no data in it.
    summary: dict[str, float] | None = None
    latest: tuple[str, float] | None = None
    points: list[tuple[str, float]] | None = None


class GetMetricsOutput(BaseModel):
    region: str
    start: str
    end: str
    period_s: int
    metrics: list[Figures]
    note: str | None = None

    def shrunk(self) -> Self | None:
        """Without the series points, when they do not fit: the summaries and latest values stay."""
        if all(m.points is None for m in self.metrics):
            return None
        note = (
            "Series points left out to fit the result size limit: ask for fewer metrics or a shorter window."
        )
        return self.model_copy(
            update={"metrics": [m.model_copy(update={"points": None}) for m in self.metrics], "note": note}
        )


@tool(
    name="cloudwatch_get_metrics",
    title="Get CloudWatch metric figures",
    iam_actions=("cloudwatch:GetMetricData",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {
                "metrics": [
                    {
                        "namespace": "AWS/EC2",
                        "name": "CPUUtilization",
                        "dimensions": {"AutoScalingGroupName": "storefront-web-asg"},
                    }
                ],
                "minutes": 120,
            },
            {"region": "us-east-1", "period_s": 120},
        ),
    ),
)
def get_metrics(cloudwatch: CloudWatchClient, args: GetMetricsInput) -> GetMetricsOutput:
    """Up to 5 metrics over a window: each one's summary (min, max, avg, samples, percentiles asked),
    latest value and series. Find names with cloudwatch_list_metrics."""
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    start = end - timedelta(minutes=args.minutes)
    age = args.minutes * 60
    window = _round_up(age, _retention_step(age))
    period = _round_up(max(age // _POINTS, 60), _retention_step(age))
    queries: list[dict[str, Any]] = []
    summary_stats = ["Minimum", "Maximum", "Average", "SampleCount", *(args.percentiles or [])]
    for n, metric in enumerate(args.metrics):
        stat = {
            "Namespace": metric.namespace,
            "MetricName": metric.name,
            "Dimensions": _dimensions(metric.dimensions),
        }
        queries.append({"Id": f"s{n}", "MetricStat": {"Metric": stat, "Period": period, "Stat": args.stat}})
        queries += [
            {"Id": f"w{n}_{k}", "MetricStat": {"Metric": stat, "Period": window, "Stat": s}}
            for k, s in enumerate(summary_stats)
        ]
    results: dict[str, dict[str, Any]] = {}
    request: dict[str, Any] = {
        "MetricDataQueries": queries,
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }
    while True:
        response = cloudwatch.get_metric_data(**request)
        for result in response.get("MetricDataResults", []):
            known = results.setdefault(result["Id"], {"Timestamps": [], "Values": []})
            known["Timestamps"] += result.get("Timestamps", [])
            known["Values"] += result.get("Values", [])
        if not response.get("NextToken"):
            break
        request["NextToken"] = response["NextToken"]
    figures = []
    for n, metric in enumerate(args.metrics):
        series = results.get(f"s{n}", {})
        points = sorted(zip(series.get("Timestamps", []), series.get("Values", []), strict=True))
        summary = {
            _short(s): round(float(results[f"w{n}_{k}"]["Values"][0]), 6)
            for k, s in enumerate(summary_stats)
            if results.get(f"w{n}_{k}", {}).get("Values")
        }
        shown = [(_iso(t) or "", round(float(v), 6)) for t, v in points]
        figures.append(
            Figures(
                namespace=metric.namespace,
                name=metric.name,
                dimensions=metric.dimensions,
                summary=summary or None,
                latest=shown[-1] if shown else None,
                points=shown,
            )
        )
    return GetMetricsOutput(
        region=cloudwatch.meta.region_name,
        start=_iso(start) or "",
        end=_iso(end) or "",
        period_s=period,
        metrics=figures,
    )


def _retention_step(age_s: int) -> int:
    """The period a window reaching ``age_s`` back must be a multiple of: CloudWatch keeps 1-minute
    points 15 days, 5-minute points 63 days, then hourly ones."""
    return 60 if age_s <= 15 * _DAY else 300 if age_s <= 63 * _DAY else 3600


def _round_up(seconds: int, step: int) -> int:
    return -(-seconds // step) * step


def _short(stat: str) -> str:
    return {"Minimum": "min", "Maximum": "max", "Average": "avg", "SampleCount": "samples"}.get(stat, stat)


# -- alarms -----------------------------------------------------------------------------------


AlarmState = Literal["ALARM", "INSUFFICIENT_DATA", "OK"]
# Listed in this order: what is wrong first.
_STATES: Final[tuple[AlarmState, ...]] = ("ALARM", "INSUFFICIENT_DATA", "OK")


class Alarm(Item):
    item_key = "name"

    name: str
    state: str | None = None
    reason: str | None = None
    since: str | None = None
    metric: str | None = Field(default=None, description="namespace/name.")
    dimensions: dict[str, str] | None = None
    condition: str | None = Field(default=None, description="e.g. Average > 80 for 3 x 300 s.")


class ListAlarmsInput(RegionalInput):
    state: AlarmState | None = Field(default=None, description="Default: all, ALARM first.")
    name_prefix: AlarmName | None = Field(default=None, description="Names starting with this.")
    fields: Fields[Alarm] = None
    max_results: int = page_size(most=100)
    cursor: Cursor = None


class ListAlarmsOutput(Paged):
    items_field = "alarms"

    region: str
    alarms: list[Alarm]


@tool(
    name="cloudwatch_list_alarms",
    title="List CloudWatch alarms",
    iam_actions=("cloudwatch:DescribeAlarms",),
    read_only=True,
    idempotent=True,
    examples=(
        Example({}, {"region": "us-east-1", "alarms": [{"name": "storefront-cpu-high", "state": "ALARM"}]}),
    ),
)
def list_alarms(cloudwatch: CloudWatchClient, args: ListAlarmsInput) -> ListAlarmsOutput:
    """Metric alarms with their state, why, and condition: those in ALARM first, then
    INSUFFICIENT_DATA, then OK."""
    region = cloudwatch.meta.region_name
    states = (args.state,) if args.state else _STATES
    question = {"region": region, "state": args.state, "name_prefix": args.name_prefix}
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    if pages.phase >= len(states):
        raise ToolInputError("This cursor is past the last alarm: call again without cursor to start over.")
    request: dict[str, Any] = {
        "AlarmTypes": ["MetricAlarm"],
        "StateValue": states[pages.phase],
        "MaxRecords": pages.size,
    }
    if args.name_prefix:
        request["AlarmNamePrefix"] = args.name_prefix
    response = pages.fetch(cloudwatch.describe_alarms, **request)
    found, next_cursor = pages.window(response.get("MetricAlarms", []), response.get("NextToken"))
    if next_cursor is None and pages.phase + 1 < len(states):
        next_cursor = pages.next_phase()
    alarms = [_alarm(a) for a in found]
    page = ListAlarmsOutput(region=region, count=len(alarms), alarms=alarms, next_cursor=next_cursor)
    return page.resume_with(pages.cursor_at)


_OPERATORS: Final = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def _alarm(found: Mapping[str, Any]) -> Alarm:
    stat = found.get("Statistic") or found.get("ExtendedStatistic") or "?"
    operator = _OPERATORS.get(found.get("ComparisonOperator", ""), found.get("ComparisonOperator", "?"))
    times = f"{found.get('EvaluationPeriods')} x {found.get('Period')} s"
    condition = (
        f"{stat} {operator} {found.get('Threshold')} for {times}"
        if found.get("MetricName")
        else None  # an alarm on a metric math expression
    )
    return Alarm(
        name=found.get("AlarmName", ""),
        state=found.get("StateValue"),
        reason=found.get("StateReason"),
        since=_iso(found.get("StateUpdatedTimestamp")),
        metric=f"{found['Namespace']}/{found['MetricName']}" if found.get("MetricName") else None,
        dimensions={d["Name"]: d["Value"] for d in found.get("Dimensions", [])} or None,
        condition=condition,
    )


class Change(Item):
    item_key = "at"

    at: str
    kind: str | None = None
    summary: str | None = None


class AlarmHistoryInput(RegionalInput):
    alarm_name: AlarmName = Field(description="Its exact name.")
    kind: Literal["StateUpdate", "ConfigurationUpdate", "Action"] = Field(
        default="StateUpdate", description="What to list."
    )
    fields: Fields[Change] = None
    max_results: int = page_size()
    cursor: Cursor = None


class AlarmHistoryOutput(Paged):
    items_field = "changes"

    region: str
    alarm_name: str
    changes: list[Change]


@tool(
    name="cloudwatch_alarm_history",
    title="An alarm's history",
    iam_actions=("cloudwatch:DescribeAlarmHistory",),
    read_only=True,
    idempotent=True,
    # The demo's AWS (moto) has no alarm history.
    examples=(
        Example({"alarm_name": "storefront-cpu-high"}, None, error_contains=("cloudwatch_alarm_history",)),
    ),
)
def alarm_history(cloudwatch: CloudWatchClient, args: AlarmHistoryInput) -> AlarmHistoryOutput:
    """An alarm's state changes (or configuration changes, or actions), newest first: when it fired
    and recovered, and why."""
    region = cloudwatch.meta.region_name
    question = {"region": region, "alarm_name": args.alarm_name, "kind": args.kind}
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    response = pages.fetch(
        cloudwatch.describe_alarm_history,
        AlarmName=args.alarm_name,
        HistoryItemType=args.kind,
        ScanBy="TimestampDescending",
        MaxRecords=pages.size,
    )
    found, next_cursor = pages.window(response.get("AlarmHistoryItems", []), response.get("NextToken"))
    changes = [
        Change(
            at=_iso(h.get("Timestamp")) or "", kind=h.get("HistoryItemType"), summary=h.get("HistorySummary")
        )
        for h in found
    ]
    page = AlarmHistoryOutput(
        region=region,
        alarm_name=args.alarm_name,
        count=len(changes),
        changes=changes,
        next_cursor=next_cursor,
    )
    return page.resume_with(pages.cursor_at)


class PutAlarmInput(MutatingInput):
    name: AlarmName = Field(description="An existing alarm of this name is replaced.")
    metric: MetricQuery = Field(description="The metric watched.")
    stat: Statistic = Field(default="Average", description="Statistic compared.")
    comparison: Literal[">", ">=", "<", "<="] = Field(description="stat <comparison> threshold.")
    threshold: float = Field(description="In the metric's unit.")
    period_s: int = Field(default=300, ge=60, le=_DAY, multiple_of=60, description="Seconds per point.")
    evaluation_periods: int = Field(default=1, ge=1, le=100, description="Periods in breach before ALARM.")
    notify: list[Annotated[str, Field(max_length=256, pattern=r"^arn:aws[a-z-]*:sns:")]] | None = Field(
        default=None, max_length=5, description="SNS topic ARNs told on ALARM and OK."
    )


class PutAlarmOutput(MutatingOutput):
    region: str
    alarm: Alarm
    created: bool


@tool(
    name="cloudwatch_put_alarm",
    title="Create or update a metric alarm",
    iam_actions=("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"),
    read_only=False,
    idempotent=True,
    examples=(
        Example(
            {
                "name": "storefront-cpu-low",
                "metric": {"namespace": "AWS/EC2", "name": "CPUUtilization"},
                "comparison": "<",
                "threshold": 5,
            },
            {
                "region": "us-east-1",
                "alarm": {"name": "storefront-cpu-low", "condition": "Average < 5.0 for 1 x 300 s"},
            },
        ),
    ),
)
def put_alarm(cloudwatch: CloudWatchClient, args: PutAlarmInput) -> PutAlarmOutput:
    """Create a metric alarm, or replace the one of that name (the result says which)."""
    existed = bool(
        cloudwatch.describe_alarms(AlarmNames=[args.name], AlarmTypes=["MetricAlarm"]).get("MetricAlarms")
    )
    operator = {v: k for k, v in _OPERATORS.items()}[args.comparison]
    request: dict[str, Any] = {
        "AlarmName": args.name,
        "Namespace": args.metric.namespace,
        "MetricName": args.metric.name,
        "Dimensions": _dimensions(args.metric.dimensions),
        "Statistic": args.stat,
        "ComparisonOperator": operator,
        "Threshold": args.threshold,
        "Period": args.period_s,
        "EvaluationPeriods": args.evaluation_periods,
    }
    if args.notify:
        request.update(AlarmActions=args.notify, OKActions=args.notify)
    cloudwatch.put_metric_alarm(**request)
    (found,) = cloudwatch.describe_alarms(AlarmNames=[args.name], AlarmTypes=["MetricAlarm"])["MetricAlarms"]
    return PutAlarmOutput(region=cloudwatch.meta.region_name, alarm=_alarm(found), created=not existed)


TOOLS = (list_metrics, get_metrics, list_alarms, alarm_history, put_alarm)
