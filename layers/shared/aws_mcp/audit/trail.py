"""Where audit records go: one structured log line per call, and the audit table.

* Every completed record is logged once, as JSON under an ``audit`` key (Powertools Logger).
* A mutating call's record goes to the table twice: its intent before the AWS call (so a
  crash mid-call leaves evidence) and its completion after. If the intent cannot be written,
  the mutation is refused: no change to AWS goes unrecorded.
* A read-only call's record reaches the table synchronously only when ``audit_table_writes``
  is ``all`` (local serving). On Lambda it is ``mutations``: the read path makes no DynamoDB
  round trip, and the log subscription in template.yaml copies read records to the table.

Records are written once, then only completed (tamper evidence; the writers' roles in
template.yaml can put items but delete none): an intent only where no item is, a completion
only where none is or an intent still is. The same item written again (a retry whose answer
was lost) is no error; a different item under the key is never replaced. An item over
DynamoDB's 400 KB is stored with its largest free-form fields truncated, saying so
(:func:`fit_item`, shared with the log-subscription ingest).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Final

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from aws_mcp.audit.record import AuditRecord
from aws_mcp.errors import AccessDeniedError, AwsMcpError
from aws_mcp.telemetry import Telemetry

__all__ = [
    "ABSENT",
    "ABSENT_OR_INTENT",
    "ITEM_LIMIT_BYTES",
    "TRUNCATED",
    "AuditConflictError",
    "AuditTrail",
    "fit_item",
    "item_size",
    "put_once",
]

# DynamoDB's largest item, names and values together.
ITEM_LIMIT_BYTES: Final = 400 * 1024
# The top-level attribute naming the fields fit_item truncated.
TRUNCATED: Final = "truncated"
# Fields a record's size can come from, in the order they give way; keys, caller, times and the
# outcome are never shortened.
_FREE_FORM: Final = (
    "arguments",
    "error",
    "aws_request_ids",
    "tool",
    "client_name",
    "client_version",
    "request_id",
    "protocol_version",
    "region",
    "account",
)
# What is kept of a truncated field: its opening, enough to tell what it was.
_PREVIEW_CHARS: Final = 1000

# Conditions of the two writes: a record is written once, then only completed.
ABSENT: Final = "attribute_not_exists(pk)"
ABSENT_OR_INTENT: Final = "attribute_not_exists(pk) OR #status = :intent"
_DESERIALIZER: Final = TypeDeserializer()
# Room for the attribute fit_item adds once anything is shortened (naming every field, at most).
_MARKER_ALLOWANCE: Final = len(TRUNCATED) + sum(len(name) for name in _FREE_FORM)


class AuditConflictError(AwsMcpError):
    """A different item is already stored under the record's key; it was left as it is."""

    def __init__(self, key: Mapping[str, Any], existing: Mapping[str, Any] | None) -> None:
        self.existing = existing
        where = f"pk={key['pk']['S']} sk={key['sk']['S']}"
        super().__init__(f"a different audit item is already stored under {where}; left as it is")


def item_size(item: Mapping[str, Any]) -> int:
    """The size DynamoDB counts for ``item`` (wire form): names plus values, by its documented rules."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Mapping[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        # Up to 38 significant digits, about one byte per two, plus one (and one for the sign).
        return (len(data.lstrip("-").replace(".", "").lstrip("0")) + 1) // 2 + 2
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: member}) for member in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(member) for member in data)
    # M
    return 3 + sum(1 + len(name.encode()) + _value_size(member) for name, member in data.items())


def fit_item(item: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``item`` (wire form) as it can be stored, and the names of the fields shortened to get there.

    Within DynamoDB's item limit it comes back as it is. Over it, its free-form fields give
    way, largest first, until it fits: a string keeps its opening and says how long it was;
    a map or list becomes ``{"truncated": true, "original_bytes": n, "preview": <opening of its
    JSON>}``; the item's ``truncated`` attribute lists them. What still does not fit comes back
    over the limit: the caller cannot store it.
    """
    fitted = dict(item)
    shortened: list[str] = []
    candidates = sorted(
        (name for name in _FREE_FORM if name in fitted),
        key=lambda name: _value_size(fitted[name]),
        reverse=True,
    )
    for name in candidates:
        if item_size(fitted) + _MARKER_ALLOWANCE <= ITEM_LIMIT_BYTES:
            break
        fitted[name] = _truncated(fitted[name])
        shortened.append(name)
    if shortened:
        fitted[TRUNCATED] = {"SS": sorted(shortened)}
    return fitted, tuple(shortened)


def _truncated(value: Mapping[str, Any]) -> dict[str, Any]:
    size = _value_size(value)
    ((kind, data),) = value.items()
    if kind == "S":
        return {"S": f"{data[:_PREVIEW_CHARS]}... [truncated: {size} bytes]"}
    preview = json.dumps(_deserialize(value), default=_plain_number, ensure_ascii=False)
    return {
        "M": {
            "truncated": {"BOOL": True},
            "original_bytes": {"N": str(size)},
            "preview": {"S": preview[:_PREVIEW_CHARS]},
        }
    }


def _plain_number(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def put_once(client: Any, table: str, item: Mapping[str, Any], *, condition: str) -> bool:
    """Put ``item`` where ``condition`` (ABSENT or ABSENT_OR_INTENT) holds; True if it was written.

    False: the very same item is stored already (a retry). A different item raises
    AuditConflictError and stays as it was; any other error is DynamoDB's.
    """
    request: dict[str, Any] = {
        "TableName": table,
        "Item": dict(item),
        "ConditionExpression": condition,
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    if condition == ABSENT_OR_INTENT:
        request["ExpressionAttributeNames"] = {"#status": "status"}
        request["ExpressionAttributeValues"] = {":intent": {"S": "intent"}}
    try:
        client.put_item(**request)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        existing: Any = err.response.get("Item")
        if isinstance(existing, dict) and _same(existing, item):
            return False
        raise AuditConflictError(item, existing) from None
    return True


def _same(stored: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    """Whether two wire-form items hold the same values (DynamoDB may spell numbers differently)."""
    if stored.keys() != item.keys():
        return False
    return all(_deserialize(stored[k]) == _deserialize(item[k]) for k in item)


def _deserialize(value: Any) -> Any:
    return _DESERIALIZER.deserialize(value)


class AuditTrail:
    def __init__(
        self,
        logger: Any,
        *,
        dynamodb: Callable[[], Any] | None = None,
        table: str | None = None,
        retention_days: int = 90,
        write_reads: bool = True,
        telemetry: Telemetry | None = None,
    ) -> None:
        """``dynamodb`` returns the client when first needed, so a cold start builds none."""
        self._logger = logger
        self._client = dynamodb if table else None
        self._table = table
        self._retention_days = retention_days
        self._write_reads = write_reads
        self._telemetry = telemetry
        self._serializer = TypeSerializer()

    @property
    def _dynamodb(self) -> Any:
        return self._client() if self._client is not None else None

    def begin(self, record: AuditRecord) -> None:
        """Write a mutating call's intent; refuse the call if that is impossible."""
        if self._client is None:
            return
        try:
            self._put(record, condition=ABSENT)
        except (ClientError, BotoCoreError, AuditConflictError, ValueError) as err:
            logging.getLogger(__name__).error("audit intent not written: %s", err)
            self._count_failure()
            raise AccessDeniedError(
                "The audit trail is unavailable, so changes are refused until it is back. "
                "Read-only tools still work."
            ) from None

    def finish(self, record: AuditRecord) -> None:
        """Log the completed record; store it when the table takes this kind of call."""
        self._logger.info("tool call", extra={"audit": record.to_log()})
        if self._client is None or not (record.mutating or self._write_reads):
            return
        try:
            self._put(record, condition=ABSENT_OR_INTENT)
        except (ClientError, BotoCoreError, AuditConflictError, ValueError) as err:
            # The log line above already holds the record; the table copy is best effort here.
            logging.getLogger(__name__).error("audit completion not stored: %s", err)
            self._count_failure()

    def _count_failure(self) -> None:
        if self._telemetry is not None:
            self._telemetry.count("AuditWriteErrors")

    def _put(self, record: AuditRecord, *, condition: str) -> None:
        item = {k: self._serializer.serialize(v) for k, v in record.to_item(self._retention_days).items()}
        fitted, _ = fit_item(item)
        put_once(self._dynamodb, str(self._table), fitted, condition=condition)
