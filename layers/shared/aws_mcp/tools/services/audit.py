"""The audit trail as a tool: who called what, when, and how it ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from aws_mcp.audit.record import Outcome
from aws_mcp.errors import ToolError
from aws_mcp.tools.contract import Example, ToolInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, bind, malformed_cursor, page_size, resume

if TYPE_CHECKING:
    from aws_mcp.audit.query import AuditStore

__all__ = ["TOOLS", "TOOLSET"]


class AuditEntry(Item):
    item_key = "call_id"

    started_at: str | None = None
    call_id: str
    tool: str | None = None
    caller: str | None = None
    outcome: str | None = Field(
        default=None, description="null while a mutating call is still under way (or crashed)."
    )
    status: str | None = Field(default=None, description="intent (under way, or interrupted) or complete.")
    region: str | None = None
    duration_ms: float | None = None
    error: str | None = None
    client_name: str | None = None
    client_version: str | None = None
    protocol_version: str | None = None
    request_id: str | None = None
    mutating: bool | None = None
    arguments: Any = Field(default=None, description="The arguments as called, secrets redacted.")
    aws_request_ids: list[str] | None = None


class AuditQueryInput(ToolInput):
    since: datetime | None = Field(
        default=None, description="Start of the time range, ISO 8601 (default: 24 hours before until)."
    )
    until: datetime | None = Field(
        default=None, description="End of the time range, ISO 8601 (default: now)."
    )
    caller: str | None = Field(
        default=None,
        max_length=2048,
        description="Only calls by this principal: an IAM ARN, apikey:<id>, a JWT subject or local.",
    )
    tool: str | None = Field(
        default=None, max_length=64, description="Only calls of this tool, e.g. ec2_stop_instances."
    )
    outcome: Outcome | None = Field(default=None, description="Only calls that ended this way.")
    fields: Fields[AuditEntry] = None
    max_results: int = page_size(least=1, most=200)
    cursor: Cursor = None

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class AuditQueryOutput(Paged):
    items_field = "records"

    records: list[AuditEntry] = Field(description="Newest first.")


@tool(
    name="audit_query",
    title="Query the audit trail",
    iam_actions=("dynamodb:Query",),
    read_only=True,
    idempotent=True,
    open_world=False,
    # No principal of that name has called: an empty page, whatever else is on the trail.
    examples=(
        Example(
            {"caller": "arn:aws:iam::123456789012:user/nobody", "tool": "ec2_stop_instances"},
            {"count": 0, "records": [], "next_cursor": None},
        ),
    ),
)
def audit_query(audit_store: AuditStore | None, args: AuditQueryInput) -> AuditQueryOutput:
    """Search the record of every tool call made through this server: by time range, caller, tool and
    outcome (success, tool_error, protocol_error, denied, breaker_open, replay, in_progress, timeout,
    outcome_unknown, confirmation_required).
    Newest first, paginated. Records with status intent are changes that were started but never
    finished."""
    if audit_store is None:
        raise ToolError("This server has no audit table configured; its audit trail is in its logs only.")
    question = args.model_dump(mode="json", include={"since", "until", "caller", "tool", "outcome"})
    position = resume(args.cursor, question)
    # The window is fixed by the first page: a default "until now" must not move between pages.
    if position is None:
        until = args.until or datetime.now(UTC)
        since = args.since or until - timedelta(days=1)
    else:
        since, until = _window(position)
    window = {"since": since.isoformat(), "until": until.isoformat()}
    page = audit_store.query(
        since=since,
        until=until,
        caller=args.caller,
        tool=args.tool,
        outcome=args.outcome.value if args.outcome else None,
        limit=args.max_results,
        position=position,
    )
    records = [AuditEntry.model_validate(r) for r in page.records]
    following = page.next_position
    output = AuditQueryOutput(
        count=len(records),
        records=records,
        next_cursor=bind({**following, **window}, question) if following else None,
    )
    return output.resume_with(lambda kept: bind({**page.position_after(kept), **window}, question))


def _window(position: dict[str, Any]) -> tuple[datetime, datetime]:
    try:
        since, until = (datetime.fromisoformat(position[k]) for k in ("since", "until"))
    except (KeyError, TypeError, ValueError):
        raise malformed_cursor() from None
    if since.tzinfo is None or until.tzinfo is None:
        raise malformed_cursor()
    return since, until


TOOLSET = "core"
TOOLS = (audit_query,)
