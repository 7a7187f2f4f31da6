"""CloudTrail: who did what to a resource, from the last 90 days of management events.

An event is described field by field from its record (``CloudTrailEvent``), never sent whole: a
record holds the call's request parameters, which can carry secrets.

From an audit record to CloudTrail: a mutating call's audit record lists the AWS request ids of
the calls it made (``aws_request_ids``), and CloudTrail records each call's ``requestID``.
LookupEvents cannot filter by request id, so ``request_id`` reads the events of a short window
from the record's ``started_at`` (``since``) and keeps the one whose requestID matches.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Self

from pydantic import Field, field_validator, model_validator

from aws_mcp.tools.contract import Example, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient

__all__ = ["TOOLS", "TOOLSET"]

# LookupEvents answers at most 50 events a call.
_MOST: Final = 50
# A call's event has the time AWS received it, within the call's span after the audit record's
# start; the window leaves room for a slow call. Read at most this many pages of it per call.
_REQUEST_WINDOW: Final = timedelta(minutes=15)
_SCAN_PAGES: Final = 10
_RESOURCES_SHOWN: Final = 10
_NOT_FOUND: Final = (
    "No event with this request id from since to 15 minutes later. CloudTrail shows an event about 5 "
    "minutes (at most 15) after the call, and records management events only (no S3 object or Lambda "
    "invoke calls)."
)


class Event(Item):
    item_key = "event_id"

    event_id: str
    time: str | None = None
    name: str | None = None
    user: str | None = None
    source: str | None = Field(default=None, description="The AWS service, e.g. ec2.amazonaws.com.")
    resources: list[str] | None = Field(default=None, description="type:name of each resource named.")
    request_id: str | None = None
    error: str | None = None
    read_only: bool | None = None
    source_ip: str | None = None


class LookupEventsInput(RegionalInput):
    resource: str | None = Field(default=None, max_length=2048, description="Resource name or ARN.")
    user: str | None = Field(default=None, max_length=128, description="IAM user or role session name.")
    event_name: str | None = Field(default=None, max_length=128, description="e.g. StopInstances.")
    request_id: str | None = Field(
        default=None, max_length=128, description="One of an audit record's aws_request_ids."
    )
    since: datetime | None = Field(default=None, description="For request_id: the record's started_at.")
    fields: Fields[Event] = None
    max_results: int = page_size(least=5, most=_MOST)
    cursor: Cursor = None

    @field_validator("since")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _one_filter(self) -> Self:
        if sum(x is not None for x in (self.resource, self.user, self.event_name)) > 1:
            raise ValueError("CloudTrail filters by one of resource, user or event_name at a time")
        if self.request_id and self.since is None:
            raise ValueError("request_id needs since: the audit record's started_at")
        return self


class LookupEventsOutput(Paged):
    items_field = "events"

    region: str
    events: list[Event] = Field(description="Newest first.")
    note: str | None = None


@tool(
    name="cloudtrail_lookup_events",
    title="CloudTrail events",
    iam_actions=("cloudtrail:LookupEvents",),
    read_only=True,
    idempotent=True,
    # The demo's AWS (moto) has no LookupEvents.
    examples=(Example({"resource": "storefront-web"}, None, error_contains=("cloudtrail_lookup_events",)),),
)
def lookup_events(cloudtrail: CloudTrailClient, args: LookupEventsInput) -> LookupEventsOutput:
    """Management events of the last 90 days in one region, newest first: who called what, when, on
    which resources. For an audit record's AWS call, pass request_id and since."""
    region = cloudtrail.meta.region_name
    question = args.model_dump(mode="json", include={"resource", "user", "event_name", "request_id", "since"})
    request: dict[str, Any] = {}
    for name, value in (
        ("ResourceName", args.resource),
        ("Username", args.user),
        ("EventName", args.event_name),
    ):
        if value is not None:
            request["LookupAttributes"] = [{"AttributeKey": name, "AttributeValue": value}]
    if args.since is not None:
        request["StartTime"] = args.since
        if args.request_id:
            request["EndTime"] = args.since + _REQUEST_WINDOW
    if args.request_id:
        return _find_request(cloudtrail, args, {"region": region, **question}, request)
    pages = TokenPages.resume(args.cursor, {"region": region, **question}, args.max_results)
    response = pages.fetch(cloudtrail.lookup_events, MaxResults=pages.size, **request)
    found, next_cursor = pages.window(response.get("Events", []), response.get("NextToken"))
    events = [_event(e) for e in found]
    page = LookupEventsOutput(region=region, count=len(events), events=events, next_cursor=next_cursor)
    return page.resume_with(pages.cursor_at)


def _find_request(
    cloudtrail: CloudTrailClient, args: LookupEventsInput, question: dict[str, Any], request: dict[str, Any]
) -> LookupEventsOutput:
    """The window's events read page by page (at most ``_SCAN_PAGES``) for the request id."""
    pages = TokenPages.resume(args.cursor, question, _MOST)
    token = pages.token
    for _ in range(_SCAN_PAGES):
        response = (
            pages.fetch(cloudtrail.lookup_events, MaxResults=_MOST, **request)
            if token is None or token == pages.token
            else cloudtrail.lookup_events(MaxResults=_MOST, NextToken=token, **request)
        )
        matched = [e for e in map(_event, response.get("Events", [])) if e.request_id == args.request_id]
        token = response.get("NextToken")
        if matched or not token:
            break
    region = cloudtrail.meta.region_name
    following = None if matched else pages.next_cursor(token)
    return LookupEventsOutput(
        region=region,
        count=len(matched),
        events=matched,
        next_cursor=following,
        note=None
        if matched
        else ("Not found yet: pass next_cursor to read on." if following else _NOT_FOUND),
    )


def _event(found: Any) -> Event:
    record = _record(found.get("CloudTrailEvent"))
    when = found.get("EventTime")
    read_only = found.get("ReadOnly")
    return Event(
        event_id=found.get("EventId", ""),
        time=when.astimezone(UTC).isoformat() if isinstance(when, datetime) else None,
        name=found.get("EventName"),
        user=found.get("Username") or record.get("userIdentity", {}).get("arn"),
        source=found.get("EventSource"),
        resources=[
            f"{r.get('ResourceType', '')}:{r.get('ResourceName', '')}"
            for r in found.get("Resources", [])[:_RESOURCES_SHOWN]
        ]
        or None,
        request_id=record.get("requestID"),
        error=record.get("errorCode"),
        read_only=read_only == "true" if read_only in ("true", "false") else None,
        source_ip=record.get("sourceIPAddress"),
    )


def _record(text: Any) -> dict[str, Any]:
    """The event's record, or nothing when it is missing or not JSON."""
    if not isinstance(text, str):
        return {}
    try:
        record = json.loads(text)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


TOOLSET = "security"
TOOLS = (lookup_events,)
