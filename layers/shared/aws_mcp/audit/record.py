"""One audit record per ``tools/call``: what was asked, by whom, and how it ended.

Table layout (one table, TTL on ``expires_at``):

* ``pk = DAY#<yyyy-mm-dd>``, ``sk = <iso-utc-start>#<call id>``: a day's calls in time order,
  so a time range is one Query per day.
* GSI ``by-caller``: ``caller_pk = CALLER#<caller>``, same ``sk``: one caller's calls in time
  order across days.

A day partition takes every call of that day; at agent call rates (far below DynamoDB's
1,000 writes/s per partition) that is the simplest layout that answers both questions.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, DecimalException
from enum import StrEnum
from typing import Any, Final

from boto3.dynamodb.types import DYNAMODB_CONTEXT

__all__ = ["BY_CALLER_INDEX", "REDACTED", "AuditRecord", "Outcome", "redact", "redact_text", "redact_values"]

BY_CALLER_INDEX: Final = "by-caller"
REDACTED: Final = "***redacted***"

# Argument names that carry secrets, wherever they appear in the arguments.
_SECRET_NAME: Final = re.compile(
    r"pass(word|wd|phrase)?|secret|token|credential|private|api[_-]?key|access[_-]?key|auth|cookie|session"
    r"|^key$|(ssh|signing|encryption|master)[_-]?key"
    # What is handed to a machine to run with: a launch script, a function's variables.
    r"|user[_-]?data|^environment$|environment[_-]?variables"
    # The token that confirms a destructive change (aws_mcp.auth.confirmation): never kept.
    r"|^confirmation$",
    re.IGNORECASE,
)
# Values that are secrets whatever they are called: AWS access key ids, JWTs, PEM keys,
# and long base64 runs the length of AWS secret keys and session tokens.
_SECRET_VALUE: Final = re.compile(
    r"(?:AKIA|ASIA)[A-Z0-9]{16}|eyJ[\w-]{8,}\.[\w-]{8,}\.|-----BEGIN [A-Z ]*PRIVATE KEY|[A-Za-z0-9/+=]{40,}"
)


class Outcome(StrEnum):
    SUCCESS = "success"
    TOOL_ERROR = "tool_error"
    PROTOCOL_ERROR = "protocol_error"
    DENIED = "denied"
    BREAKER_OPEN = "breaker_open"
    REPLAY = "replay"
    IN_PROGRESS = "in_progress"
    TIMEOUT = "timeout"
    OUTCOME_UNKNOWN = "outcome_unknown"
    # A destructive change answered with its plan or an elicitation: nothing done yet.
    CONFIRMATION_REQUIRED = "confirmation_required"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    tool: str
    caller: str
    arguments: Any
    started_at: datetime
    call_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    request_id: str = ""
    client_name: str | None = None
    client_version: str | None = None
    protocol_version: str = ""
    region: str | None = None
    account: str | None = None
    mutating: bool = False
    # "intent" while a mutating call is under way, "complete" once it has an outcome.
    status: str = "intent"
    outcome: Outcome | None = None
    error: str | None = None
    duration_ms: float | None = None
    aws_request_ids: tuple[str, ...] = ()

    def completed(
        self, outcome: Outcome, *, duration_ms: float, error: str | None, aws_request_ids: tuple[str, ...]
    ) -> AuditRecord:
        return replace(
            self,
            status="complete",
            outcome=outcome,
            duration_ms=round(duration_ms, 3),
            error=redact_text(error)[:500] if error else None,
            aws_request_ids=aws_request_ids,
        )

    @property
    def sort_key(self) -> str:
        return f"{iso(self.started_at)}#{self.call_id}"

    def to_log(self) -> dict[str, Any]:
        """The JSON-ready record, as it appears in logs and in the table (minus keys).

        Every text is encodable: a lone surrogate a client sent (in a tool name, an argument,
        its clientInfo) shows as its ``\\udXXX`` escape instead of failing the write. The
        arguments are made so by :func:`redact`, the other texts here.
        """
        data = {name: getattr(self, name) for name in _FIELDS}
        for name in _TEXTS:
            if isinstance(data[name], str):
                data[name] = _encodable(data[name])
        data["started_at"] = iso(self.started_at)
        data["outcome"] = self.outcome.value if self.outcome else None
        data["aws_request_ids"] = list(self.aws_request_ids)
        return data

    @classmethod
    def from_log(cls, data: dict[str, Any]) -> AuditRecord:
        """The record back from its log form (``to_log``), e.g. in the log-subscription ingest."""
        values = {k: v for k, v in data.items() if k in _FIELDS}
        values["started_at"] = datetime.fromisoformat(values["started_at"])
        values["outcome"] = Outcome(values["outcome"]) if values.get("outcome") else None
        values["aws_request_ids"] = tuple(values.get("aws_request_ids") or ())
        return cls(**values)

    def to_item(self, retention_days: int) -> dict[str, Any]:
        """The table item, in Python types (numbers as Decimal, as DynamoDB's serializer wants)."""
        expires = self.started_at + timedelta(days=retention_days)
        item = {k: _dynamodb_numbers(v) for k, v in self.to_log().items() if v is not None}
        item.update(
            pk=f"DAY#{self.started_at:%Y-%m-%d}",
            sk=self.sort_key,
            caller_pk=f"CALLER#{self.caller}",
            expires_at=int(expires.timestamp()),
        )
        return item


_FIELDS: Final = tuple(f.name for f in fields(AuditRecord))
# Texts a client chose (or that quote what it sent): made encodable for the log and the table.
_TEXTS: Final = ("tool", "caller", "request_id", "client_name", "client_version", "protocol_version", "error")


def _dynamodb_numbers(value: Any) -> Any:
    """``value`` with floats as Decimal (the only non-integer numbers DynamoDB takes), and numbers
    beyond DynamoDB's 38 digits and exponents -130..125 as their text, so the record is kept."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, float | int) and not isinstance(value, bool):
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            DYNAMODB_CONTEXT.create_decimal(number)  # traps what the table write would refuse
        except DecimalException:
            return str(value)
        return number if isinstance(value, float) else value
    if isinstance(value, dict):
        return {k: _dynamodb_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dynamodb_numbers(v) for v in value]
    return value


def now() -> datetime:
    """UTC now, to the millisecond: the precision records keep, so a record survives its log form."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _encodable(text: str) -> str:
    """``text`` with any lone surrogate as its escape (ASCII, the usual case, as it is)."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


def redact_text(text: str) -> str:
    """``text`` with secret-looking values (the same rules as :func:`redact`) replaced."""
    return _SECRET_VALUE.sub(REDACTED, text)


def redact_values(value: Any) -> Any:
    """A tool result's ``value`` with secrets replaced by :func:`redact`'s rules: what a secret-looking
    name holds, and secret-looking runs within any text (the rest of the text kept, and not cut)."""
    if isinstance(value, dict):
        return {
            k: REDACTED
            if isinstance(k, str) and _SECRET_NAME.search(k) and v not in (None, "")
            else redact_values(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_values(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact(value: Any, *, _depth: int = 0) -> Any:
    """A copy of ``value`` with secret-looking names and values (and keys) replaced; never raises."""
    if _depth > 20:
        return REDACTED
    if isinstance(value, dict):
        if value.keys() == {"Key", "Value"}:
            # A tag as AWS writes them: "Key" holds its name, whose value is secret if the name says so.
            name = redact(value["Key"], _depth=_depth + 1)
            said = isinstance(name, str) and _SECRET_NAME.search(name)
            return {"Key": name, "Value": REDACTED if said else redact(value["Value"], _depth=_depth + 1)}
        redacted: dict[str, Any] = {}
        for k, v in value.items():
            key = _encodable(str(k))
            if _SECRET_VALUE.search(key):
                key = f"{REDACTED}#{len(redacted)}"  # numbered: two such keys stay two entries
            # A number or a flag is no secret, whatever it is called (MaxSessionDuration, has_password).
            secret = _SECRET_NAME.search(key) and not isinstance(v, bool | int | float)
            redacted[key] = REDACTED if secret else redact(v, _depth=_depth + 1)
        return redacted
    if isinstance(value, list | tuple):
        return [redact(v, _depth=_depth + 1) for v in value]
    if isinstance(value, str):
        return REDACTED if _SECRET_VALUE.search(value) else _encodable(value[:1000])
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN and infinities: JSON extensions no store takes
    if value is None or isinstance(value, bool | int | float):
        return value
    return REDACTED
