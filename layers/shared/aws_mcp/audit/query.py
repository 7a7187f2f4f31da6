"""Reading the audit table back: by time range (day partitions) or by caller (the by-caller index)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from aws_mcp.audit.record import BY_CALLER_INDEX, iso
from aws_mcp.errors import ToolInputError

__all__ = ["AUDIT_STORE", "AuditPage", "AuditStore"]

# The name under which the registry injects the store: a tool takes it as a parameter so named.
AUDIT_STORE = "audit_store"

# Bounded work per call: a page of results never costs more than this many Queries.
_MAX_QUERIES: Final = 25
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_FIELDS: Final = (
    "started_at",
    "call_id",
    "tool",
    "caller",
    "outcome",
    "status",
    "region",
    "duration_ms",
    "error",
    "client_name",
    "client_version",
    "protocol_version",
    "request_id",
    "mutating",
    "arguments",
    "aws_request_ids",
)


@dataclass(frozen=True, slots=True)
class AuditPage:
    records: list[dict[str, Any]]
    # Where the next page starts (None: this was the last), as ``query`` takes it back.
    next_position: dict[str, Any] | None
    by_caller: bool = False

    def position_after(self, kept: int) -> dict[str, Any]:
        """Where to resume after the first ``kept`` records of this page (a page cut short)."""
        last = self.records[kept - 1]
        sort_key = f"{last['started_at']}#{last['call_id']}"
        key = {"pk": {"S": f"DAY#{last['started_at'][:10]}"}, "sk": {"S": sort_key}}
        if self.by_caller:
            key["caller_pk"] = {"S": f"CALLER#{last['caller']}"}
        return {"day": last["started_at"][:10], "key": key}


class AuditStore:
    def __init__(self, dynamodb: Callable[[], Any], table: str) -> None:
        """``dynamodb`` returns the client when first needed."""
        self._client = dynamodb
        self._table = table
        self._serializer = TypeSerializer()
        self._deserializer = TypeDeserializer()

    def query(
        self,
        *,
        since: datetime,
        until: datetime,
        caller: str | None = None,
        tool: str | None = None,
        outcome: str | None = None,
        limit: int = 50,
        position: dict[str, Any] | None = None,
    ) -> AuditPage:
        """Newest first. A position (from a previous page) names the partition and where it stopped."""
        if since > until:
            raise ToolInputError("since must be before until")
        day, start_key = _checked(position) if position else (f"{until:%Y-%m-%d}", None)
        records: list[dict[str, Any]] = []
        for _ in range(_MAX_QUERIES):
            request = self._request(
                since=since,
                until=until,
                caller=caller,
                tool=tool,
                outcome=outcome,
                day=day,
                limit=limit - len(records),
            )
            if start_key:
                request["ExclusiveStartKey"] = start_key
            response = self._client().query(**request)
            records.extend(self._plain(item) for item in response.get("Items", []))
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                if caller is not None or day <= f"{since:%Y-%m-%d}":
                    return AuditPage(records, None, caller is not None)
                day = f"{date.fromisoformat(day) - timedelta(days=1):%Y-%m-%d}"
            if len(records) >= limit:
                break
        return AuditPage(records, {"day": day, "key": start_key}, caller is not None)

    def _request(
        self,
        *,
        since: datetime,
        until: datetime,
        caller: str | None,
        tool: str | None,
        outcome: str | None,
        day: str,
        limit: int,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {":from": iso(since), ":to": iso(until) + "~"}
        if caller is not None:
            key = "caller_pk = :p AND sk BETWEEN :from AND :to"
            values[":p"] = f"CALLER#{caller}"
        else:
            key = "pk = :p AND sk BETWEEN :from AND :to"
            values[":p"] = f"DAY#{day}"
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": key,
            "ScanIndexForward": False,
            "Limit": max(limit, 1),
        }
        if caller is not None:
            request["IndexName"] = BY_CALLER_INDEX
        filters, names = [], {}
        for field, value in (("tool", tool), ("outcome", outcome)):
            if value is not None:
                filters.append(f"#{field} = :{field}")
                names[f"#{field}"] = field
                values[f":{field}"] = value
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
            request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = {k: self._serializer.serialize(v) for k, v in values.items()}
        return request

    def _plain(self, item: dict[str, Any]) -> dict[str, Any]:
        data = {k: self._deserializer.deserialize(v) for k, v in item.items()}
        if "duration_ms" in data:
            data["duration_ms"] = float(data["duration_ms"])
        return {k: _jsonable(data.get(k)) for k in _FIELDS}


def _jsonable(value: Any) -> Any:
    # DynamoDB numbers come back as Decimal; the audit record holds no other number kinds.
    return json.loads(json.dumps(value, default=float))


def _checked(position: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """(day, DynamoDB start key) of a position, or ToolInputError: a cursor can be forged."""
    day, key = position.get("day"), position.get("key")
    valid_key = key is None or (
        isinstance(key, dict)
        and set(key) <= {"pk", "sk", "caller_pk"}
        and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values())
    )
    if isinstance(day, str) and _DAY.fullmatch(day) and valid_key:
        try:
            date.fromisoformat(day)
            return day, key
        except ValueError:
            pass
    raise ToolInputError(
        "Invalid cursor: it is damaged or was not made by audit_query. Call again without cursor to "
        "start from the newest record."
    )
