"""Where audit records go: one structured log line per call, and the audit table.

* Every completed record is logged once, as JSON under an ``audit`` key (Powertools Logger).
* A mutating call's record goes to the table twice: its intent before the AWS call (so a
  crash mid-call leaves evidence) and its completion after. If the intent cannot be written,
  the mutation is refused: no change to AWS goes unrecorded.
* A read-only call's record reaches the table synchronously only when ``audit_table_writes``
  is ``all`` (local serving). On Lambda it is ``mutations``: the read path makes no DynamoDB
  round trip, and the log subscription in template.yaml copies read records to the table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from aws_mcp.audit.record import AuditRecord
from aws_mcp.errors import AccessDeniedError
from aws_mcp.telemetry import Telemetry

__all__ = ["AuditTrail"]


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
            self._put(record)
        except (ClientError, BotoCoreError) as err:
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
            self._put(record)
        except (ClientError, BotoCoreError, ValueError) as err:
            # The log line above already holds the record; the table copy is best effort here.
            logging.getLogger(__name__).error("audit completion not stored: %s", err)
            self._count_failure()

    def _count_failure(self) -> None:
        if self._telemetry is not None:
            self._telemetry.count("AuditWriteErrors")

    def _put(self, record: AuditRecord) -> None:
        item = {k: self._serializer.serialize(v) for k, v in record.to_item(self._retention_days).items()}
        self._dynamodb.put_item(TableName=self._table, Item=item)
