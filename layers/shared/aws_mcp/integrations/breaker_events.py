"""Circuit breakers opening and closing, as the server's events (``breaker_opened``, ``breaker_closed``).

Where they come from: the breaker table's DynamoDB stream (new and old images), read by the same
delivery function as the audit table's. Chosen over writing an event item from the breaker's
``on_transition`` callback into the audit table because:

* the breaker table is where every instance's transition lands, exactly once: an opening is a
  conditional write only one instance wins (``resilience.breaker``), a closing the probe's
  winner's write; the stream sees each as one change of ``state``, whoever made it;
* nothing is added to the MCP call path (no extra write while a tool call waits, nothing new to
  fail there), and the audit table keeps one key space of one record per ``tools/call``, so its
  queries and the "exactly one audit record per call" guarantee are untouched by construction.

What counts: a circuit's ``state`` moving to ``OPEN`` from anything but ``OPEN`` (a first opening,
or a failed probe re-opening it) is ``breaker_opened``; moving to ``CLOSED`` from ``OPEN`` or
``HALF_OPEN`` is ``breaker_closed``. A half-open probe starting, failure counts, TTL expiry and
deletions are not events. The attribute names are Powertools' defaults, which ``resilience.breaker``
uses (``id``: the circuit ``service:region[:account]``, ``state``, ``failure_count``, ``opened_at``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from boto3.dynamodb.types import TypeDeserializer

from aws_mcp.integrations.model import EventType

__all__ = ["breaker_event", "is_breaker_image"]

_DESERIALIZER: Final = TypeDeserializer()
_CLOSING_FROM: Final = frozenset({"OPEN", "HALF_OPEN"})
_STATES: Final = frozenset({"OPEN", "HALF_OPEN", "CLOSED"})


def is_breaker_image(image: Mapping[str, Any]) -> bool:
    """Whether a stream image (DynamoDB JSON) is a circuit's state item."""
    state = image.get("state")
    return "id" in image and isinstance(state, Mapping) and state.get("S") in _STATES


def breaker_event(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """The event one breaker-table stream record stands for, or None (not a transition we report)."""
    if entry.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    change = entry.get("dynamodb") or {}
    new = _plain_image(change.get("NewImage"))
    old = _plain_image(change.get("OldImage"))
    to_state, from_state = new.get("state"), old.get("state", "CLOSED")
    if to_state == "OPEN" and from_state != "OPEN":
        kind = EventType.BREAKER_OPENED
    elif to_state == "CLOSED" and from_state in _CLOSING_FROM:
        kind = EventType.BREAKER_CLOSED
    else:
        return None
    circuit = str(new.get("id", ""))
    service, _, rest = circuit.partition(":")
    region, _, account = rest.partition(":")
    event: dict[str, Any] = {
        # The stream record's id: the same transition delivered twice (a retried batch) keeps it.
        "id": f"breaker-{entry.get('eventID', '')}",
        "type": kind.value,
        "source": "aws-mcp",
        "circuit": circuit,
        "aws_service": service,
        "region": region,
        "from_state": from_state,
        "to_state": to_state,
        "failure_count": _int(new.get("failure_count")),
    }
    if account:
        event["account"] = account
    if (opened := _int(new.get("opened_at"))) is not None and (text := _iso(opened)):
        event["opened_at"] = text
    at = change.get("ApproximateCreationDateTime")  # Lambda's: epoch seconds
    if isinstance(at, int | float) and (text := _iso(float(at))):
        event["at"] = text
    return event


def _plain_image(image: Any) -> dict[str, Any]:
    if not isinstance(image, Mapping):
        return {}
    return {k: _DESERIALIZER.deserialize(v) for k, v in image.items()}


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _iso(seconds: float) -> str | None:
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):  # not a time this record could hold
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
