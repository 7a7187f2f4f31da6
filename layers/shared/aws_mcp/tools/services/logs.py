"""CloudWatch Logs: log groups, events matching a pattern, and Logs Insights queries.

Events come newest first. FilterLogEvents answers oldest first, so a page walks back in time
slices from the window's end: each slice is read whole (oldest first) and turned around, and
the cursor holds the instant the page stopped at, how many events of that instant it showed, and
the slice length it had come to. The first slice is the whole window; one too busy to read whole
in a few calls is halved, and after a quiet one the next doubles.

An Insights query runs in AWS, not in the call: logs_query starts it and polls while the call's
wait budget lasts (``resilience/waiting.py``), then answers with its rows, or with its id for
logs_query_results, so a query never outlives the call unseen.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Final, Self

from pydantic import BaseModel, Field

from aws_mcp.errors import ToolError
from aws_mcp.tools.contract import Example, RegionalInput, tool
from aws_mcp.tools.paging import (
    Cursor,
    Fields,
    Item,
    Paged,
    TokenPages,
    bind,
    malformed_cursor,
    page_size,
    resume,
)

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

    from aws_mcp.resilience.waiting import WaitBudget

__all__ = ["TOOLS", "TOOLSET"]

TOOLSET: Final = "monitoring"

LogGroupName = Annotated[str, Field(max_length=512)]
# A page makes at most this many FilterLogEvents calls (halving a busy hour to a second takes 12);
# a slice holds at most this many events.
_CALLS: Final = 30
_SLICE_EVENTS: Final = 2_000
_RUNNING: Final = ("Scheduled", "Running")
# Polling a query: first after 0.5 s, then every 2 s at most.
_FIRST_POLL_S: Final = 0.5
_POLL_S: Final = 2.0


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def _window(minutes: int, end: datetime | None) -> tuple[int, int]:
    """The window as epoch milliseconds, both ends included."""
    until = (end or datetime.now(UTC)).astimezone(UTC)
    return int((until - timedelta(minutes=minutes)).timestamp() * 1000), int(until.timestamp() * 1000)


class Window(RegionalInput):
    minutes: int = Field(default=60, ge=1, le=30 * 1440, description="Window: the N minutes before end.")
    end: datetime | None = Field(default=None, description="Default: now.")


# -- log groups -------------------------------------------------------------------------------


class LogGroup(Item):
    item_key = "name"

    name: str
    retention_days: int | None = Field(default=None, description="Absent: kept forever.")
    stored_bytes: int | None = None
    created_at: str | None = None


class ListGroupsInput(RegionalInput):
    prefix: LogGroupName | None = Field(default=None, description="Names starting with this.")
    fields: Fields[LogGroup] = None
    max_results: int = page_size(most=50)
    cursor: Cursor = None


class ListGroupsOutput(Paged):
    items_field = "groups"

    region: str
    groups: list[LogGroup]


@tool(
    name="logs_list_groups",
    title="List log groups",
    iam_actions=("logs:DescribeLogGroups",),
    read_only=True,
    idempotent=True,
    examples=(Example({"prefix": "/aws/lambda/"}, {"region": "us-east-1", "count": 2}),),
)
def list_groups(logs: CloudWatchLogsClient, args: ListGroupsInput) -> ListGroupsOutput:
    """Log groups with their retention and stored size."""
    region = logs.meta.region_name
    pages = TokenPages.resume(args.cursor, {"region": region, "prefix": args.prefix}, args.max_results)
    request: dict[str, Any] = {"limit": pages.size}
    if args.prefix:
        request["logGroupNamePrefix"] = args.prefix
    response = pages.fetch(logs.describe_log_groups, paged_by="nextToken", **request)
    found, next_cursor = pages.window(response.get("logGroups", []), response.get("nextToken"))
    groups = [
        LogGroup(
            name=g.get("logGroupName", ""),
            retention_days=g.get("retentionInDays"),
            stored_bytes=g.get("storedBytes"),
            created_at=_iso(g.get("creationTime")),
        )
        for g in found
    ]
    page = ListGroupsOutput(region=region, count=len(groups), groups=groups, next_cursor=next_cursor)
    return page.resume_with(pages.cursor_at)


# -- events -----------------------------------------------------------------------------------


class Event(Item):
    item_key = "message"

    message: str
    at: str | None = None
    stream: str | None = None


class FilterEventsInput(Window):
    group: LogGroupName = Field(description="Log group name.")
    pattern: str | None = Field(default=None, max_length=1024, description='e.g. ERROR or "timed out".')
    fields: Fields[Event] = None
    max_results: int = page_size(default=50)
    cursor: Cursor = None


class FilterEventsOutput(Paged):
    items_field = "events"

    region: str
    events: list[Event]


@tool(
    name="logs_filter_events",
    title="Find log events",
    iam_actions=("logs:FilterLogEvents",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"group": "/aws/lambda/checkout", "pattern": "ERROR", "fields": ["at"]},
            {"region": "us-east-1", "count": 3, "next_cursor": None},
        ),
    ),
    secret_fields=("events",),
)
def filter_events(logs: CloudWatchLogsClient, args: FilterEventsInput) -> FilterEventsOutput:
    """A log group's events matching a filter pattern in a window, newest first."""
    region = logs.meta.region_name
    question = {
        "region": region,
        **args.model_dump(mode="json", include={"group", "pattern", "minutes", "end"}),
    }
    position = resume(args.cursor, question)
    if position is None:
        low, high = _window(args.minutes, args.end)
        shown_at_high, span = 0, high - low + 1
    else:
        low, high, shown_at_high, span = (position.get(name, 0) for name in ("lo", "hi", "k", "s"))
        if not all(isinstance(v, int) and v >= 0 for v in (low, high, shown_at_high, span)):
            raise malformed_cursor()
    # Newest first, each with its epoch milliseconds.
    found: list[tuple[int, Event]] = []
    calls, top = 0, high
    while top >= low and len(found) < args.max_results and calls < _CALLS:
        start = max(low, top - span + 1)
        events, used, whole = _read_slice(logs, args, start, top, _CALLS - calls)
        calls += used
        if not whole:
            if span > 1000:
                span //= 2
                continue
            if len(events) >= _SLICE_EVENTS:
                raise ToolError(
                    f"More than {_SLICE_EVENTS} events of {args.group} match in one second: "
                    "narrow the pattern to read them newest first."
                )
            break  # AWS needs more calls for this second than the page has left: resume here
        if top == high:
            # Those of the newest instant already shown by the page before.
            events = events[: len(events) - shown_at_high] if shown_at_high else events
        found += [(e["timestamp"], _event(e)) for e in reversed(events)]
        top = start - 1
        span = span * 2 if len(events) < args.max_results else span

    def cursor_at(kept: int) -> str:
        at = found[kept - 1][0]
        shown = sum(1 for ms, _ in found[:kept] if ms == at) + (shown_at_high if at == high else 0)
        return bind({"lo": low, "hi": at, "k": shown, "s": span}, question)

    page_events = [e for _, e in found[: args.max_results]]
    if len(found) > args.max_results:
        next_cursor: str | None = cursor_at(args.max_results)
    elif top >= low:
        # Where the page stopped, and the slice it had come to (a busy one stays halved).
        position = {"lo": low, "hi": top, "k": shown_at_high if top == high else 0, "s": span}
        next_cursor = bind(position, question)
    else:
        next_cursor = None
    page = FilterEventsOutput(
        region=region, count=len(page_events), events=page_events, next_cursor=next_cursor
    )
    return page.resume_with(cursor_at)


def _read_slice(
    logs: CloudWatchLogsClient, args: FilterEventsInput, start: int, end: int, calls: int
) -> tuple[list[dict[str, Any]], int, bool]:
    """The events of [start, end], oldest first; the calls used; whether that is all of them."""
    request: dict[str, Any] = {
        "logGroupName": args.group,
        "startTime": start,
        "endTime": end,
        "limit": _SLICE_EVENTS,
    }
    if args.pattern:
        request["filterPattern"] = args.pattern
    events: list[Any] = []
    for used in range(1, calls + 1):
        response = logs.filter_log_events(**request)
        events += response.get("events", [])
        token = response.get("nextToken")
        if not token:
            # One order for every read of the slice (an instant's events are counted off the end).
            # Event ids are digits: a shorter one is smaller (AWS's are all one length, moto's are not).
            events.sort(
                key=lambda e: (e.get("timestamp", 0), len(e.get("eventId", "")), e.get("eventId", ""))
            )
            return events, used, True
        if len(events) >= _SLICE_EVENTS:
            return events, used, False
        request["nextToken"] = token
    return events, calls, False


def _event(found: dict[str, Any]) -> Event:
    return Event(
        message=found.get("message", "").rstrip("\n"),
        at=_iso(found.get("timestamp")),
        stream=found.get("logStreamName"),
    )


# -- Logs Insights ----------------------------------------------------------------------------


class QueryOutput(BaseModel):
    region: str
    query_id: str
    status: str
    rows: list[dict[str, str]] | None = None
    scanned: dict[str, float] | None = None
    note: str | None = None

    def shrunk(self) -> Self | None:
        """The first half of the rows, when they do not fit the result budget."""
        if not self.rows or len(self.rows) < 2:
            return None
        kept = self.rows[: len(self.rows) // 2]
        note = (
            f"Rows cut to the first {len(kept)} to fit the result size limit: add | limit or fewer "
            "fields to the query, or aggregate with stats."
        )
        return self.model_copy(update={"rows": kept, "note": note})


class QueryInput(Window):
    groups: list[LogGroupName] = Field(min_length=1, max_length=10, description="Log group names.")
    query: str = Field(max_length=10_000, description="Insights query, e.g. fields @message | filter ...")


@tool(
    name="logs_query",
    title="Run a Logs Insights query",
    iam_actions=("logs:StartQuery", "logs:GetQueryResults"),
    read_only=True,
    # Every call starts (and pays for) another query.
    idempotent=False,
    examples=(
        Example(
            {
                "groups": ["/aws/lambda/checkout"],
                "query": "fields @timestamp, @message | sort @timestamp desc | limit 5",
            },
            {"region": "us-east-1", "status": "Complete"},
        ),
    ),
    secret_fields=("rows",),
)
def query(logs: CloudWatchLogsClient, wait_budget: WaitBudget, args: QueryInput) -> QueryOutput:
    """Run a Logs Insights query over a window and wait for its rows; if it outlasts this call,
    the answer has its query_id for logs_query_results."""
    start, end = _window(args.minutes, args.end)
    query_id = logs.start_query(
        logGroupNames=args.groups, queryString=args.query, startTime=start // 1000, endTime=end // 1000
    )["queryId"]
    return _results(logs, wait_budget, query_id)


class QueryResultsInput(RegionalInput):
    query_id: str = Field(max_length=256, pattern=r"^[A-Za-z0-9-]+$", description="From logs_query.")


@tool(
    name="logs_query_results",
    title="Logs Insights query results",
    iam_actions=("logs:GetQueryResults",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"query_id": "0a1b2c3d-0000-4000-8000-000000000000"},
            None,
            # The demo keeps no query of this id (its AWS, moto, fails on an unknown one).
            error_contains=("logs_query_results",),
        ),
    ),
    secret_fields=("rows",),
)
def query_results(
    logs: CloudWatchLogsClient, wait_budget: WaitBudget, args: QueryResultsInput
) -> QueryOutput:
    """A logs_query query's rows, waiting while it still runs."""
    return _results(logs, wait_budget, args.query_id)


def _results(logs: CloudWatchLogsClient, wait_budget: WaitBudget, query_id: str) -> QueryOutput:
    waiting = wait_budget.start()
    pause = _FIRST_POLL_S
    while True:
        response = _get_results(logs, query_id)
        status = response.get("status", "Unknown")
        if status not in _RUNNING or not waiting.pause(pause):
            break
        pause = min(pause * 2, _POLL_S)
    region = logs.meta.region_name
    if status in _RUNNING:
        note = f"Still {status}: call logs_query_results with this query_id."
        return QueryOutput(region=region, query_id=query_id, status=status, note=note)
    stats = response.get("statistics") or {}
    return QueryOutput(
        region=region,
        query_id=query_id,
        status=status,
        rows=[
            {f["field"]: f.get("value", "") for f in row if f.get("field") != "@ptr"}
            for row in response.get("results", [])
        ],
        scanned={
            k: float(v) for k, v in stats.items() if k in ("recordsMatched", "recordsScanned", "bytesScanned")
        }
        or None,
    )


def _get_results(logs: CloudWatchLogsClient, query_id: str) -> Any:
    try:
        return logs.get_query_results(queryId=query_id)
    except logs.exceptions.ResourceNotFoundException:
        raise ToolError(
            f"No Logs Insights query {query_id} in this region (AWS keeps results 7 days): "
            "start one with logs_query."
        ) from None


TOOLS = (list_groups, filter_events, query, query_results)
