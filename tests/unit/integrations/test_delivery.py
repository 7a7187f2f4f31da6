"""Outbound delivery from the audit stream: retries with backoff, rate limits, dead letters, metrics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from aws_mcp.audit.record import AuditRecord, Outcome
from aws_mcp.integrations.delivery import DeadLetters, Delivery, DeliveryReport, events_from_stream
from aws_mcp.integrations.model import IntegrationConfig, IntegrationStatus
from aws_mcp.integrations.ratelimit import RateLimiter
from aws_mcp.integrations.registry import IntegrationRegistry
from tests.unit.integrations.conftest import REGION, TABLE, UNREACHABLE, Clock, Receiver

SECRET = "delivery-token-never-dead-lettered"


def stream_of(*records: AuditRecord) -> dict[str, Any]:
    serializer = TypeSerializer()
    return {
        "Records": [
            {
                "eventName": "INSERT",
                "dynamodb": {"NewImage": {k: serializer.serialize(v) for k, v in r.to_item(90).items()}},
            }
            for r in records
        ]
    }


def record(
    tool: str = "ec2_stop_instances", outcome: Outcome = Outcome.SUCCESS, *, mutating: bool = True
) -> AuditRecord:
    started = AuditRecord(
        tool=tool,
        caller="arn:aws:iam::123456789012:user/ops",
        arguments={"instance_ids": ["i-1"], "password": "hunter2"},
        started_at=datetime(2026, 1, 5, 10, 2, tzinfo=UTC),
        mutating=mutating,
        account="123456789012",
        region="us-east-1",
    )
    return started.completed(outcome, duration_ms=12.5, error=None, aws_request_ids=("r-1",))


class Harness:
    def __init__(self, registry: IntegrationRegistry, aws: Callable[[str, str], Any], clock: Clock) -> None:
        self.registry = registry
        self.clock = clock
        self.sqs = aws("sqs", REGION)
        self.queue = self.sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
        self.counted: list[str] = []
        self.slept: list[float] = []
        limiter = RateLimiter(lambda: aws("dynamodb", REGION), TABLE, clock=lambda: clock().timestamp())

        async def sleep(seconds: float) -> None:
            self.slept.append(seconds)
            clock.advance(seconds)

        self.delivery = Delivery(
            registry,
            limiter,
            DeadLetters(lambda: self.sqs, self.queue),
            count=self.counted.append,
            sleep=sleep,
            jitter=lambda low, high: high,
        )

    def active(self, **config: Any) -> str:
        base = {
            "name": "out",
            "type": "WEBHOOK",
            "direction": "OUTBOUND",
            "auth": {"token": SECRET, "type": "BEARER_TOKEN"},
        }
        made = asyncio.run(self.registry.create(IntegrationConfig.model_validate(base | config), caller="me"))
        self.registry.store.replace(
            made.model_copy(update={"status": IntegrationStatus.ACTIVE}), made.revision
        )
        return made.id

    def deliver(self, *records: AuditRecord, time_left: float = 600.0) -> DeliveryReport:
        return asyncio.run(
            self.delivery.deliver(events_from_stream(stream_of(*records)), time_left=lambda: time_left)
        )

    def dead_letters(self) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


@pytest.fixture
def harness(registry: IntegrationRegistry, aws_clients: Callable[[str, str], Any], clock: Clock) -> Harness:
    return Harness(registry, aws_clients, clock)


def test_completed_mutations_denials_and_open_breakers_are_events_and_reads_are_not() -> None:
    events = events_from_stream(
        stream_of(
            record(),
            record("ec2_list_instances", mutating=False),
            record("ec2_list_instances", Outcome.DENIED, mutating=False),
            record("rds_stop_instance", Outcome.BREAKER_OPEN),
        )
    )
    assert [(e["type"], e["tool"]) for e in events] == [
        ("tool_call", "ec2_stop_instances"),
        ("denied", "ec2_list_instances"),
        ("breaker_open", "rds_stop_instance"),
    ]
    assert events[0]["arguments"]["password"] == "***redacted***"
    assert events[0]["duration_ms"] == 12.5


def test_an_integration_that_fails_then_recovers_gets_the_event_after_backing_off(
    harness: Harness, receiver: Receiver
) -> None:
    harness.active(endpoint=receiver.url, retry={"max_attempts": 3, "initial_backoff_seconds": 2})
    receiver.statuses = [503, 503, 200]
    report = harness.deliver(record())
    assert (report.delivered, report.retried, report.dead_lettered) == (1, 2, 0)
    assert harness.slept == [2.0, 4.0]
    bodies = {r.body for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(bodies) == 1
    assert harness.counted == ["IntegrationRetries", "IntegrationRetries", "IntegrationDeliveries"]
    assert harness.dead_letters() == []


def test_an_integration_that_stays_down_has_the_event_dead_lettered_and_counted(harness: Harness) -> None:
    made = harness.active(endpoint=UNREACHABLE, retry={"max_attempts": 2, "initial_backoff_seconds": 1})
    report = harness.deliver(record())
    assert (report.delivered, report.dead_lettered) == (0, 1)
    (letter,) = harness.dead_letters()
    assert (letter["integration_id"], letter["attempts"], letter["event"]["tool"]) == (
        made,
        2,
        "ec2_stop_instances",
    )
    assert letter["error"]
    assert harness.counted[-1] == "IntegrationDeadLetters"
    assert SECRET not in json.dumps(letter) and "hunter2" not in json.dumps(letter)


def test_a_refusal_not_worth_retrying_is_dead_lettered_at_once(harness: Harness, receiver: Receiver) -> None:
    harness.active(endpoint=receiver.url)
    receiver.statuses = [400]
    report = harness.deliver(record())
    assert (report.retried, report.dead_lettered, len(receiver.requests)) == (0, 1, 1)
    assert harness.dead_letters()[0]["error"] == "HTTP 400"


def test_no_backoff_outlives_the_invocation_the_event_is_dead_lettered_instead(
    harness: Harness, receiver: Receiver
) -> None:
    harness.active(endpoint=receiver.url, retry={"max_attempts": 5, "initial_backoff_seconds": 30})
    receiver.statuses = [503]
    report = harness.deliver(record(), time_left=40.0)
    assert (report.dead_lettered, len(receiver.requests), harness.slept) == (1, 1, [])


def test_only_active_outbound_subscribers_receive_the_events_they_subscribe_to(
    harness: Harness, receiver: Receiver
) -> None:
    harness.active(endpoint=receiver.url + "/denials", subscription={"event_types": ["denied"]})
    harness.active(endpoint=receiver.url + "/rds", subscription={"tools": ["rds_stop_instance"]})
    harness.active(endpoint=receiver.url + "/other-account", subscription={"accounts": ["999999999999"]})
    asyncio.run(
        harness.registry.create(
            IntegrationConfig.model_validate(
                {"name": "new", "type": "WEBHOOK", "direction": "OUTBOUND", "endpoint": receiver.url + "/new"}
            ),
            caller="me",
        )
    )
    harness.deliver(
        record(), record("ec2_list_instances", Outcome.DENIED, mutating=False), record("rds_stop_instance")
    )
    assert sorted((r.path, json.loads(r.body)["tool"]) for r in receiver.requests) == [
        ("/denials", "ec2_list_instances"),
        ("/rds", "rds_stop_instance"),
    ]


def test_the_rate_limit_paces_deliveries_into_the_next_minute(harness: Harness, receiver: Receiver) -> None:
    harness.active(endpoint=receiver.url, rate_limit_per_minute=2)
    report = harness.deliver(record(), record(), record())
    assert report.delivered == 3
    assert len(harness.slept) == 1 and harness.slept[0] > 0
    report = harness.deliver(record(), record(), record(), time_left=5.0)
    assert report.dead_lettered >= 1
    assert "rate limit" in harness.dead_letters()[-1]["error"]


def test_the_delivery_function_delivers_a_stream_batch_to_its_subscribers(
    aws_clients: Callable[[str, str], Any], receiver: Receiver
) -> None:
    from aws_mcp.aws.clients import ClientFactory
    from aws_mcp.config import Settings
    from aws_mcp.server import build_integrations, integrations_delivery_handler

    queue = aws_clients("sqs", REGION).create_queue(QueueName="dlq")["QueueUrl"]
    settings = Settings(integrations_table=TABLE, integrations_dead_letter_queue=queue)
    handler = integrations_delivery_handler(settings)
    registry = build_integrations(settings, ClientFactory(settings))
    made = asyncio.run(
        registry.create(
            IntegrationConfig.model_validate(
                {"name": "hook", "type": "WEBHOOK", "direction": "OUTBOUND", "endpoint": receiver.url}
            ),
            caller="me",
        )
    )
    registry.store.replace(made.model_copy(update={"status": IntegrationStatus.ACTIVE}), made.revision)

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 60_000

    assert handler(stream_of(record()), Context()) == {"delivered": 1, "retried": 0, "dead_lettered": 0}
    assert json.loads(receiver.requests[0].body)["type"] == "tool_call"
