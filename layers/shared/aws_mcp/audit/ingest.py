"""Read-only audit records from the function's log into the audit table (the log subscription).

On Lambda a read-only call costs no DynamoDB round trip: the template sets
``AWS_MCP_AUDIT_TABLE_WRITES=mutations``, so its record goes only to the log, as one JSON
line with the record under ``audit``. A CloudWatch Logs subscription filter on the
function's log group passes those lines to functions/audit_ingest, which hands the event
to :meth:`AuditIngest.handle`:

* :func:`decode_subscription`: ``awslogs.data`` (base64 of gzip of JSON) to the log data,
  by Powertools' ``CloudWatchLogsEvent``.
* :func:`extract`: the table items of the lines to store, and why the others were left.
  Stored: audit records of read-only calls that completed. Left: mutating calls (the call
  itself wrote them, intent and completion), records that are not complete, and lines
  that are not audit records (metrics, platform lines, other logs). An audit object that
  cannot be rebuilt is counted as malformed and reported; it never fails the batch.
* :class:`AuditTableWriter`: BatchWriteItem, 25 items a request, unprocessed items sent
  again after a capped, jittered exponential backoff. Hand-written: boto3's
  ``Table.batch_writer`` resends unprocessed items without backoff or bound, and
  Powertools' batch utility does not take CloudWatch Logs events. If items stay
  unprocessed, :class:`IngestError` fails the invocation and Lambda retries the event.

Items are keyed by the record itself (``DAY#<date>``, ``<start time>#<call id>``) exactly as
the synchronous path (aws_mcp.audit.trail) keys them, so writing the same log events again
overwrites each item with the same content: retries and replays are idempotent.
"""

from __future__ import annotations

import binascii
import json
import random
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from boto3.dynamodb.types import TypeSerializer

from aws_mcp.audit.record import AuditRecord, Outcome
from aws_mcp.errors import AwsMcpError

__all__ = [
    "BATCH_SIZE",
    "AuditIngest",
    "AuditTableWriter",
    "Extracted",
    "IngestError",
    "Malformed",
    "decode_subscription",
    "extract",
]

# BatchWriteItem takes at most 25 put requests.
BATCH_SIZE: Final = 25
DATA_MESSAGE: Final = "DATA_MESSAGE"
# Fields the table key is made of: without them a replay could not find the same item.
_KEY_FIELDS: Final = ("tool", "caller", "call_id", "started_at")
_SERIALIZER: Final = TypeSerializer()


class IngestError(AwsMcpError):
    """The event cannot be decoded, or its items could not be stored; Lambda retries the event."""


class _MalformedAuditError(ValueError):
    """An audit object that cannot be rebuilt into a record; the message says why."""


@dataclass(frozen=True, slots=True)
class Malformed:
    """An audit line that was not stored: the log event's id (to find it in the log) and why."""

    event_id: str
    reason: str


@dataclass(slots=True)
class Extracted:
    """What one subscription event holds: the items to store, and counts of what was left."""

    # DynamoDB items in wire form ({"S": ...}), one per read-only record, in log order.
    items: list[dict[str, Any]] = field(default_factory=list)
    # Lines without an audit object: metrics, platform lines, other logs, garbage.
    not_audit: int = 0
    # Audit records the call stored itself (mutating) or that are not complete.
    not_ingested: int = 0
    malformed: list[Malformed] = field(default_factory=list)


def decode_subscription(event: Mapping[str, Any]) -> dict[str, Any]:
    """The log data of a CloudWatch Logs subscription event (``{"awslogs": {"data": ...}}``)."""
    from aws_lambda_powertools.utilities.data_classes.cloud_watch_logs_event import CloudWatchLogsEvent

    try:
        data: Any = CloudWatchLogsEvent(dict(event)).parse_logs_data().raw_event
    except (KeyError, TypeError, ValueError, binascii.Error, zlib.error) as err:
        # ValueError covers bad JSON and bad UTF-8 too.
        raise IngestError(f"not a CloudWatch Logs subscription event: {type(err).__name__}: {err}") from None
    if not isinstance(data, dict):
        raise IngestError("not a CloudWatch Logs subscription event: the log data is not an object")
    return data


def extract(data: Mapping[str, Any], *, retention_days: int) -> Extracted:
    """The table items of the read-only, completed audit records among the log events."""
    found = Extracted()
    # CONTROL_MESSAGE: CloudWatch Logs checking that the destination is reachable; no log events.
    if data.get("messageType") != DATA_MESSAGE:
        return found
    events = data.get("logEvents")
    for event in events if isinstance(events, list) else ():
        message = event.get("message") if isinstance(event, dict) else None
        event_id = str(event.get("id", "")) if isinstance(event, dict) else ""
        try:
            audit = _audit_object(message)
            if audit is None:
                found.not_audit += 1
            elif not _to_ingest(audit):
                found.not_ingested += 1
            else:
                found.items.append(_item(_record(audit), retention_days))
        except _MalformedAuditError as err:
            found.malformed.append(Malformed(event_id, str(err)))
    return found


def _audit_object(message: object) -> dict[str, Any] | None:
    """The ``audit`` object of a log line, or None when the line carries none."""
    # Most lines the subscription passes are audit lines; the cheap test spares parsing others.
    if not isinstance(message, str) or '"audit"' not in message:
        return None
    try:
        line = json.loads(message)
    except ValueError:
        return None
    if not isinstance(line, dict) or "audit" not in line:
        return None
    audit = line["audit"]
    if not isinstance(audit, dict):
        raise _MalformedAuditError(f"audit is a {type(audit).__name__}, not an object")
    return audit


def _to_ingest(audit: Mapping[str, Any]) -> bool:
    mutating = audit.get("mutating")
    if not isinstance(mutating, bool):
        raise _MalformedAuditError(f"mutating is {mutating!r}, not true or false")
    return not mutating and audit.get("status") == "complete"


def _record(audit: dict[str, Any]) -> AuditRecord:
    for name in _KEY_FIELDS:
        value = audit.get(name)
        if not isinstance(value, str) or not value:
            raise _MalformedAuditError(f"{name} is {value!r}, not a non-empty string")
    try:
        started = datetime.fromisoformat(audit["started_at"])
    except ValueError:
        raise _MalformedAuditError(f"started_at {audit['started_at']!r} is not an ISO 8601 time") from None
    if started.tzinfo is None:
        raise _MalformedAuditError(f"started_at {audit['started_at']!r} has no time zone")
    outcome = audit.get("outcome")
    if outcome is not None and outcome not in {o.value for o in Outcome}:
        raise _MalformedAuditError(f"outcome {outcome!r} is not one of the known outcomes")
    duration = audit.get("duration_ms")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int | float)):
        raise _MalformedAuditError(f"duration_ms {duration!r} is not a number")
    request_ids = audit.get("aws_request_ids")
    if request_ids is not None and (
        not isinstance(request_ids, list) or not all(isinstance(i, str) for i in request_ids)
    ):
        raise _MalformedAuditError("aws_request_ids is not a list of strings")
    try:
        return AuditRecord.from_log(audit)
    except (KeyError, TypeError, ValueError) as err:
        raise _MalformedAuditError(f"not an audit record: {err}") from None


def _item(record: AuditRecord, retention_days: int) -> dict[str, Any]:
    """The record's table item in DynamoDB's wire form, as the synchronous path writes it."""
    try:
        return {name: _SERIALIZER.serialize(value) for name, value in record.to_item(retention_days).items()}
    except (TypeError, ValueError, ArithmeticError) as err:
        raise _MalformedAuditError(f"cannot be stored in DynamoDB: {err}") from None


class AuditTableWriter:
    """BatchWriteItem into the audit table, with bounded retries of unprocessed items."""

    def __init__(
        self,
        client: Any,
        table: str,
        *,
        max_attempts: int = 6,
        base_delay: float = 0.05,
        max_delay: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``client``: a boto3 DynamoDB client; throttling errors are its own retry config's job."""
        self._client = client
        self._table = table
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep

    def write(self, items: Iterable[Mapping[str, Any]]) -> int:
        """Store ``items`` (wire form); return how many distinct items were written."""
        # BatchWriteItem refuses a request that puts one key twice; the last copy wins.
        unique = {(item["pk"]["S"], item["sk"]["S"]): item for item in items}
        pending = list(unique.values())
        for start in range(0, len(pending), BATCH_SIZE):
            self._write_batch(pending[start : start + BATCH_SIZE])
        return len(pending)

    def _write_batch(self, batch: Sequence[Mapping[str, Any]]) -> None:
        requests: list[Any] = [{"PutRequest": {"Item": dict(item)}} for item in batch]
        for attempt in range(self._max_attempts):
            if attempt:
                self._sleep(self._delay(attempt))
            response = self._client.batch_write_item(RequestItems={self._table: requests})
            requests = list((response.get("UnprocessedItems") or {}).get(self._table) or [])
            if not requests:
                return
        raise IngestError(
            f"{len(requests)} of {len(batch)} audit items still unprocessed after "
            f"{self._max_attempts} BatchWriteItem attempts"
        )

    def _delay(self, attempt: int) -> float:
        # Full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter").
        cap = min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
        return random.uniform(0, cap)  # noqa: S311 - jitter, not a secret


class AuditIngest:
    """One subscription event: decode, pick the read-only records, store them, report."""

    def __init__(self, writer: AuditTableWriter, *, retention_days: int, logger: Any) -> None:
        """``logger``: a Powertools Logger (anything with ``info``/``warning`` taking ``extra``)."""
        self._writer = writer
        self._retention_days = retention_days
        self._logger = logger

    def handle(self, event: Mapping[str, Any]) -> dict[str, int]:
        data = decode_subscription(event)
        found = extract(data, retention_days=self._retention_days)
        source = {"log_group": data.get("logGroup"), "log_stream": data.get("logStream")}
        for bad in found.malformed:
            self._logger.warning(
                "malformed audit line skipped",
                extra={**source, "log_event_id": bad.event_id, "reason": bad.reason},
            )
        written = self._writer.write(found.items)
        summary = {
            "written": written,
            "not_audit": found.not_audit,
            "not_ingested": found.not_ingested,
            "malformed": len(found.malformed),
        }
        self._logger.info("audit records ingested", extra={**source, "ingest": summary})
        return summary
