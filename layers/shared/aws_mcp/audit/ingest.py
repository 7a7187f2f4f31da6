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
* :class:`AuditTableWriter`: one conditional PutItem per record, a few at a time, each only
  where no item is yet (aws_mcp.audit.trail.put_once): the ingest never replaces an audit
  item, and its role may put items but delete none (BatchWriteItem, which can delete, takes
  no conditions). An item over DynamoDB's 400 KB is stored with its largest free-form fields
  truncated, saying so (aws_mcp.audit.trail.fit_item).
* A record that still cannot be stored (a key DynamoDB refuses, or a different item already
  under its key) does not cost the others their place: the rest are stored, and that log
  event alone goes to the dead-letter queue (:class:`DeadLetterQueue`) as a subscription
  event of its own, to be replayed once the cause is fixed. Errors of the table itself
  (throttling after the client's retries, a missing table) fail the invocation with
  :class:`IngestError`, and Lambda retries the whole event.

Items are keyed by the record itself (``DAY#<date>``, ``<start time>#<call id>``) exactly as
the synchronous path (aws_mcp.audit.trail) keys them, and an item already stored with the same
content counts as done: retries and replays are idempotent.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from aws_mcp.audit.record import AuditRecord, Outcome
from aws_mcp.audit.trail import ABSENT, ITEM_LIMIT_BYTES, AuditConflictError, fit_item, item_size, put_once
from aws_mcp.errors import AwsMcpError

__all__ = [
    "DEAD_LETTER_QUEUE_VARIABLE",
    "AuditIngest",
    "AuditTableWriter",
    "Candidate",
    "DeadLetterQueue",
    "Extracted",
    "IngestError",
    "Malformed",
    "Rejected",
    "Written",
    "decode_subscription",
    "extract",
]

# The ingest function's environment: the URL of the queue for records that cannot be stored.
DEAD_LETTER_QUEUE_VARIABLE: Final = "AWS_MCP_AUDIT_DEAD_LETTER_QUEUE"
# PutItem requests in flight at once: a few thousand records in a few seconds.
WORKERS: Final = 8
# DynamoDB's answers to a request it will never take, whatever the retry.
_REFUSED: Final = frozenset({"ValidationException"})
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


@dataclass(frozen=True, slots=True)
class Candidate:
    """A record to store: its table item (wire form, ``{"S": ...}``) and the log event it came from."""

    item: dict[str, Any]
    event: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.item["pk"]["S"], self.item["sk"]["S"]


@dataclass(frozen=True, slots=True)
class Written:
    """A record now in the table: ``new`` if this put wrote it, else it was there already."""

    new: bool
    truncated: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record the table cannot take; its log event goes to the dead-letter queue."""

    candidate: Candidate
    reason: str


@dataclass(slots=True)
class Extracted:
    """What one subscription event holds: the records to store, and counts of what was left."""

    # One per read-only record, in log order.
    items: list[Candidate] = field(default_factory=list)
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
                found.items.append(Candidate(_item(_record(audit), retention_days), dict(event)))
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
    """Conditional PutItem of each record into the audit table, a few requests at a time."""

    def __init__(self, client: Any, table: str, *, workers: int = WORKERS) -> None:
        """``client``: a boto3 DynamoDB client (thread-safe); throttling is its retry config's job.

        Its connection pool should hold ``workers`` connections (botocore's default is 10).
        """
        self._client = client
        self._table = table
        self._workers = workers

    def write(self, candidates: Sequence[Candidate]) -> list[Written | Rejected]:
        """Store each candidate where no item is yet; what became of each, in order.

        A table error (anything but a refusal of that one item) raises IngestError once every
        other candidate has been tried.
        """
        if not candidates:
            return []
        with ThreadPoolExecutor(max_workers=min(self._workers, len(candidates))) as pool:
            results = list(pool.map(self._write_one, candidates))
        failures = [result for result in results if isinstance(result, Exception)]
        if failures:
            raise IngestError(
                f"{len(failures)} of {len(candidates)} audit items not stored: {failures[0]}"
            ) from failures[0]
        return [result for result in results if not isinstance(result, Exception)]

    def _write_one(self, candidate: Candidate) -> Written | Rejected | Exception:
        item, truncated = fit_item(candidate.item)
        if item_size(item) > ITEM_LIMIT_BYTES:
            return Rejected(candidate, f"over DynamoDB's {ITEM_LIMIT_BYTES}-byte item limit even truncated")
        try:
            return Written(put_once(self._client, self._table, item, condition=ABSENT), truncated)
        except AuditConflictError as err:
            return Rejected(candidate, str(err))
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in _REFUSED:
                return Rejected(candidate, f"{code}: {err.response.get('Error', {}).get('Message', '')}")
            return err
        except BotoCoreError as err:
            return err


class DeadLetterQueue:
    """The SQS queue for log events whose records cannot be stored.

    Each message body is a CloudWatch Logs subscription event (``{"awslogs": {"data": ...}}``)
    holding only those log events: invoking the ingest function with it replays them, the way
    Lambda's own dead letters (whole events that failed every retry) are replayed.
    """

    def __init__(self, client: Any, url: str) -> None:
        """``client``: a boto3 SQS client; ``url``: the queue URL (the template's ``!Ref`` of the queue)."""
        self._client = client
        self._url = url

    def send(
        self, data: Mapping[str, Any], events: Sequence[Mapping[str, Any]], reasons: Sequence[str]
    ) -> None:
        payload = {**data, "logEvents": list(events)}
        encoded = base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()
        try:
            self._client.send_message(
                QueueUrl=self._url,
                MessageBody=json.dumps({"awslogs": {"data": encoded}}),
                MessageAttributes={
                    "reason": {"DataType": "String", "StringValue": "; ".join(reasons)[:1000]},
                },
            )
        except (ClientError, BotoCoreError) as err:
            raise IngestError(f"{len(events)} audit records could not be dead-lettered: {err}") from err


class AuditIngest:
    """One subscription event: decode, pick the read-only records, store them, report."""

    def __init__(
        self,
        writer: AuditTableWriter,
        *,
        retention_days: int,
        logger: Any,
        dead_letters: DeadLetterQueue | None = None,
    ) -> None:
        """``logger``: a Powertools Logger (anything with ``info``/``warning`` taking ``extra``).

        Without ``dead_letters``, a record that cannot be stored fails the invocation (after the
        others are stored), so the event ends in Lambda's own dead-letter queue.
        """
        self._writer = writer
        self._retention_days = retention_days
        self._logger = logger
        self._dead_letters = dead_letters

    def handle(self, event: Mapping[str, Any]) -> dict[str, int]:
        data = decode_subscription(event)
        found = extract(data, retention_days=self._retention_days)
        source = {"log_group": data.get("logGroup"), "log_stream": data.get("logStream")}
        for bad in found.malformed:
            self._logger.warning(
                "malformed audit line skipped",
                extra={**source, "log_event_id": bad.event_id, "reason": bad.reason},
            )
        # One log event delivered twice in an event: one put (the last copy).
        unique = list({candidate.key: candidate for candidate in found.items}.values())
        results = self._writer.write(unique)
        written = [r for r in results if isinstance(r, Written)]
        rejected = [r for r in results if isinstance(r, Rejected)]
        for rejection in rejected:
            self._logger.warning(
                "audit record not stored",
                extra={
                    **source,
                    "log_event_id": str(rejection.candidate.event.get("id", "")),
                    "reason": rejection.reason,
                },
            )
        summary = {
            "written": sum(1 for w in written if w.new),
            "unchanged": sum(1 for w in written if not w.new),
            "truncated": sum(1 for w in written if w.truncated),
            "dead_lettered": len(rejected) if self._dead_letters is not None else 0,
            "not_audit": found.not_audit,
            "not_ingested": found.not_ingested,
            "malformed": len(found.malformed),
        }
        if rejected:
            if self._dead_letters is None:
                raise IngestError(f"{len(rejected)} audit record(s) cannot be stored: {rejected[0].reason}")
            self._dead_letters.send(data, [r.candidate.event for r in rejected], [r.reason for r in rejected])
        self._logger.info("audit records ingested", extra={**source, "ingest": summary})
        return summary
