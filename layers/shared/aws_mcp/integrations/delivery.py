"""Outbound delivery: the server's events, from the audit table's stream, to the integrations that
subscribe to them.

The audit table holds one record per ``tools/call``; its DynamoDB stream (new images) is the
server's event log. A completed record is an event: ``tool_call`` (a mutating call's outcome),
``denied`` (the server or AWS refused it), ``breaker_open`` (refused because its AWS service's
circuit was open). The breaker table's stream adds ``breaker_opened`` and ``breaker_closed``
(``breaker_events``). Each goes to every enabled, ``ACTIVE``, outbound integration whose
``subscription`` wants it (event type, tool, account).

Per integration and event: attempts up to ``retry.max_attempts`` (one when retries are off), a
failure retried only when the plugin says so (a status in ``retry_on_status_codes``, no answer),
waiting a random time below the exponential backoff (full jitter) and never past the invocation's
deadline; each attempt takes a unit of the integration's ``rate_limit_per_minute`` (a DynamoDB
counter shared by every instance, ``ratelimit``), waiting for the next minute when it is used up.
What still fails is sent to the dead-letter queue with its cause and counted
(``IntegrationDeadLetters``); nothing is dropped. If the queue itself cannot be written, the
invocation fails and Lambda retries the stream batch (duplicates, never a loss; the stream's
OnFailure destination keeps what fails beyond that).

The retry loop is hand-written: it spans HTTP and AWS SDK plugins alike, decides on the plugin's
own result, and must end before the Lambda deadline with a dead letter rather than a timeout;
urllib3's Retry covers HTTP only and tenacity is not in the layer for a loop of this size.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from boto3.dynamodb.types import TypeDeserializer

from aws_mcp.audit.record import redact
from aws_mcp.errors import InvalidIntegrationError
from aws_mcp.integrations.breaker_events import breaker_event, is_breaker_image
from aws_mcp.integrations.integration import SendResult
from aws_mcp.integrations.model import EventType, IntegrationRecord, IntegrationStatus
from aws_mcp.integrations.ratelimit import RateLimiter
from aws_mcp.integrations.registry import IntegrationRegistry

__all__ = ["DeadLetters", "Delivery", "DeliveryReport", "events_from_stream"]

_DESERIALIZER: Final = TypeDeserializer()
# The event carries these fields of the audit record (secrets in arguments are redacted there).
_EVENT_FIELDS: Final = (
    "call_id",
    "tool",
    "caller",
    "outcome",
    "status",
    "region",
    "account",
    "started_at",
    "duration_ms",
    "error",
    "mutating",
    "request_id",
    "aws_request_ids",
    "arguments",
)


def event_of(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The server's event an audit record stands for, or None (in progress, or a plain read)."""
    if record.get("status") != "complete":
        return None
    outcome = record.get("outcome")
    if outcome == "denied":
        kind = EventType.DENIED
    elif outcome == "breaker_open":
        kind = EventType.BREAKER_OPEN
    elif record.get("mutating"):
        kind = EventType.TOOL_CALL
    else:
        return None
    event = {k: _plain(record[k]) for k in _EVENT_FIELDS if record.get(k) is not None}
    if "arguments" in event:  # redacted when recorded; again here, so no record can leak one out
        event["arguments"] = redact(event["arguments"])
    return {"id": f"{record.get('call_id', '')}", "type": kind.value, "source": "aws-mcp", **event}


def events_from_stream(stream_event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The events of a DynamoDB stream batch: of the audit table (its completed records) or of
    the breaker table (its circuits opening and closing, ``breaker_events``)."""
    events = []
    for entry in stream_event.get("Records") or ():
        image = (entry.get("dynamodb") or {}).get("NewImage")
        if entry.get("eventName") not in ("INSERT", "MODIFY") or not image:
            continue
        if is_breaker_image(image):
            event = breaker_event(entry)
            if event is not None:
                events.append(event)
            continue
        record = {k: _DESERIALIZER.deserialize(v) for k, v in image.items()}
        event = event_of(record)
        if event is not None:
            events.append(event)
    return events


class DeadLetters:
    """The dead-letter queue: what could not be delivered, with why."""

    def __init__(self, sqs: Callable[[], Any], queue_url: str) -> None:
        self._client = sqs
        self._queue_url = queue_url

    def send(
        self, integration: IntegrationRecord, event: Mapping[str, Any], attempts: int, error: str
    ) -> None:
        body = {
            "integration_id": integration.id,
            "integration": integration.name,
            "attempts": attempts,
            "error": error,
            "event": event,
        }
        self._client().send_message(QueueUrl=self._queue_url, MessageBody=orjson.dumps(body).decode())


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    dead_lettered: int = 0
    outcomes: list[dict[str, Any]] = field(default_factory=list)


class Delivery:
    def __init__(
        self,
        registry: IntegrationRegistry,
        limiter: RateLimiter,
        dead_letters: DeadLetters,
        *,
        count: Callable[[str], None],
        sleep: Callable[[float], Any] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self._registry = registry
        self._limiter = limiter
        self._dead_letters = dead_letters
        self._count = count
        self._sleep = sleep
        self._monotonic = monotonic
        self._jitter = jitter

    async def deliver(
        self, events: Iterable[dict[str, Any]], *, time_left: Callable[[], float]
    ) -> DeliveryReport:
        """Deliver ``events`` to their subscribers; ``time_left()`` is the invocation's, in seconds."""
        events = list(events)
        report = DeliveryReport()
        if not events:
            return report
        targets = await asyncio.to_thread(
            lambda: [
                i
                for i in self._registry.store.every(enabled=True, status=IntegrationStatus.ACTIVE.value)
                if i.direction.sends and self._type_sends(i)
            ]
        )
        jobs = [
            (integration, event)
            for event in events
            for integration in targets
            if integration.subscription.wants(event["type"], event.get("tool"), event.get("account"))
        ]
        plugins = {i.id: await self._registry.plugin(i) for i in {i.id: i for i, _ in jobs}.values()}
        # One integration's deliveries in order; different integrations at once.
        by_integration: dict[str, list[tuple[IntegrationRecord, dict[str, Any]]]] = {}
        for integration, event in jobs:
            by_integration.setdefault(integration.id, []).append((integration, event))

        async def run(queue: list[tuple[IntegrationRecord, dict[str, Any]]]) -> None:
            for integration, event in queue:
                await self._one(integration, plugins[integration.id], event, report, time_left)

        await asyncio.gather(*(run(q) for q in by_integration.values()))
        return report

    def _type_sends(self, integration: IntegrationRecord) -> bool:
        """Whether its type delivers events (GRPC is only checked); a type with no plugin is
        tried, and its failure dead-letters the events as any other would."""
        try:
            return self._registry.plugin_type(integration.type).sends
        except InvalidIntegrationError:
            return True

    async def _one(
        self,
        integration: IntegrationRecord,
        plugin: Any,
        event: dict[str, Any],
        report: DeliveryReport,
        time_left: Callable[[], float],
    ) -> None:
        policy = integration.retry
        attempts_allowed = policy.max_attempts if policy.enabled else 1
        result = SendResult(False, error="not attempted")
        attempt = 0
        while attempt < attempts_allowed:
            if not await self._take_rate(integration, time_left):
                result = SendResult(
                    False,
                    error=f"rate limit ({integration.rate_limit_per_minute}/min) reached "
                    "and no time left in this invocation",
                )
                break
            attempt += 1
            try:
                result = await plugin.send(event)
            except Exception as err:  # a plugin's bug must not lose the event: dead-lettered below
                result = SendResult(False, error=plugin.failure(err))
            if result.delivered:
                report.delivered += 1
                self._count("IntegrationDeliveries")
                report.outcomes.append(
                    {"integration": integration.id, "event": event["id"], "attempts": attempt}
                )
                return
            if not result.retryable or attempt >= attempts_allowed:
                break
            wait = self._jitter(0.0, policy.backoff(attempt))
            if wait >= time_left() - integration.timeout_seconds:
                break
            report.retried += 1
            self._count("IntegrationRetries")
            await self._sleep(wait)
        error = result.error or "not delivered"
        await asyncio.to_thread(self._dead_letters.send, integration, event, attempt, error)
        report.dead_lettered += 1
        self._count("IntegrationDeadLetters")
        report.outcomes.append(
            {"integration": integration.id, "event": event["id"], "attempts": attempt, "dead_lettered": error}
        )

    async def _take_rate(self, integration: IntegrationRecord, time_left: Callable[[], float]) -> bool:
        key = f"delivery#{integration.id}"
        while True:
            if await asyncio.to_thread(self._limiter.try_acquire, key, integration.rate_limit_per_minute):
                return True
            wait = self._limiter.seconds_to_next_window() + 0.05
            if wait >= time_left() - integration.timeout_seconds:
                return False
            await self._sleep(wait)


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals and sets as JSON values."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value
