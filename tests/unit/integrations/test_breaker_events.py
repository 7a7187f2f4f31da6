"""Breakers opening and closing reach integrations: the real breaker code on a moto table with a
stream, its stream records through the delivery, to a webhook on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.circuit_breaker.base import CircuitBreakerHandler
from hypothesis import given
from hypothesis import strategies as st

from aws_mcp.config import Settings
from aws_mcp.errors import AwsUnavailableError, BreakerOpenError
from aws_mcp.integrations.breaker_events import breaker_event
from aws_mcp.integrations.delivery import DeadLetters, Delivery, events_from_stream
from aws_mcp.integrations.model import IntegrationConfig, IntegrationStatus
from aws_mcp.integrations.ratelimit import RateLimiter
from aws_mcp.integrations.registry import IntegrationRegistry
from aws_mcp.resilience.breaker import Breakers
from aws_mcp.telemetry import Telemetry
from tests.unit.integrations.conftest import REGION, TABLE, Clock, Receiver

BREAKERS = "breaker-events-test"


class BreakerClock:
    """Powertools' breaker clock, moved by the test (the recovery timeout passes at once)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_900_000_000
        monkeypatch.setattr(CircuitBreakerHandler, "_now", staticmethod(lambda: self.now))


def breaker_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName=BREAKERS,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


def stream_batch(aws: Callable[[str, str], Any]) -> dict[str, Any]:
    """The breaker table's stream so far, as Lambda hands a batch of it to the delivery function."""
    streams = aws("dynamodbstreams", REGION)
    (stream,) = streams.list_streams(TableName=BREAKERS)["Streams"]
    arn = stream["StreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    batch = {"Records": [r | {"eventSourceARN": arn} for r in records]}
    # Lambda gives ApproximateCreationDateTime as epoch seconds; boto3 parsed it to a datetime.
    plain: dict[str, Any] = json.loads(json.dumps(batch, default=lambda moment: moment.timestamp()))
    return plain


def unavailable() -> Any:
    raise AwsUnavailableError("slow down", service="ec2", code="ThrottlingException")


def test_a_breaker_opening_and_closing_reaches_a_webhook(
    registry: IntegrationRegistry,
    aws_clients: Callable[[str, str], Any],
    clock: Clock,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    breaker_clock = BreakerClock(monkeypatch)
    breaker_table(aws_clients("dynamodb", REGION))
    settings = Settings(
        breaker_table=BREAKERS,
        breaker_failure_threshold=2,
        breaker_recovery_timeout=30,
        breaker_success_threshold=1,
    )
    breakers = Breakers(settings, lambda: aws_clients("dynamodb", REGION), Telemetry("t", "t", enabled=False))
    for _ in range(2):
        with pytest.raises(AwsUnavailableError):
            breakers.run("ec2", "eu-west-1", unavailable)
    with pytest.raises(BreakerOpenError):
        breakers.run("ec2", "eu-west-1", lambda: "not called")
    breaker_clock.now += 31
    assert breakers.run("ec2", "eu-west-1", lambda: "recovered") == "recovered"

    config = {
        "name": "ops",
        "type": "WEBHOOK",
        "direction": "OUTBOUND",
        "endpoint": receiver.url,
        "subscription": {"event_types": ["breaker_opened", "breaker_closed"]},
    }
    made = asyncio.run(registry.create(IntegrationConfig.model_validate(config), caller="me"))
    registry.store.replace(made.model_copy(update={"status": IntegrationStatus.ACTIVE}), made.revision)
    sqs = aws_clients("sqs", REGION)
    queue = sqs.create_queue(QueueName="dead")["QueueUrl"]
    delivery = Delivery(
        registry,
        RateLimiter(lambda: aws_clients("dynamodb", REGION), TABLE, clock=lambda: clock().timestamp()),
        DeadLetters(lambda: sqs, queue),
        count=lambda name: None,
    )
    events = events_from_stream(stream_batch(aws_clients))
    report = asyncio.run(delivery.deliver(events, time_left=lambda: 600.0))

    assert report.delivered == 2
    sent = [json.loads(r.body) for r in receiver.requests]
    assert [(e["type"], e["circuit"], e["from_state"], e["to_state"]) for e in sent] == [
        ("breaker_opened", "ec2:eu-west-1", "CLOSED", "OPEN"),
        ("breaker_closed", "ec2:eu-west-1", "HALF_OPEN", "CLOSED"),
    ]
    assert sent[0]["opened_at"] == "2030-03-17T17:46:40Z"
    assert [r.headers["X-Aws-Mcp-Event"] for r in receiver.requests] == ["breaker_opened", "breaker_closed"]
    assert len({e["id"] for e in sent}) == 2
    assert all(e["at"].endswith("Z") for e in sent)


def test_an_integration_not_subscribed_to_breakers_gets_none_of_them(
    registry: IntegrationRegistry,
    aws_clients: Callable[[str, str], Any],
    receiver: Receiver,
) -> None:
    opened = {
        "eventID": "1",
        "eventName": "INSERT",
        "dynamodb": {"NewImage": {"id": {"S": "s3:us-east-1"}, "state": {"S": "OPEN"}}},
    }
    (event,) = events_from_stream({"Records": [opened]})
    config = {"name": "x", "type": "WEBHOOK", "direction": "OUTBOUND", "endpoint": receiver.url}
    subscribed = IntegrationConfig.model_validate(config | {"subscription": {"event_types": ["denied"]}})
    assert not subscribed.subscription.wants(event["type"], event.get("tool"), event.get("account"))
    assert IntegrationConfig.model_validate(config).subscription.wants(event["type"], None, None)


@pytest.mark.parametrize(
    ("event_name", "old", "new", "expected"),
    [
        ("INSERT", None, "OPEN", "breaker_opened"),
        ("MODIFY", "CLOSED", "OPEN", "breaker_opened"),
        ("MODIFY", "HALF_OPEN", "OPEN", "breaker_opened"),  # a failed probe re-opens it
        ("MODIFY", "OPEN", "HALF_OPEN", None),  # a probe starting is no event
        ("MODIFY", "HALF_OPEN", "CLOSED", "breaker_closed"),
        ("MODIFY", "OPEN", "CLOSED", "breaker_closed"),
        ("MODIFY", "CLOSED", "CLOSED", None),  # a failure count
        ("MODIFY", "OPEN", "OPEN", None),
        ("REMOVE", "OPEN", None, None),  # TTL
    ],
)
def test_only_changes_of_state_to_open_or_closed_are_events(
    event_name: str, old: str | None, new: str | None, expected: str | None
) -> None:
    change: dict[str, Any] = {}
    if old:
        change["OldImage"] = {"id": {"S": "ec2:us-east-1:111122223333"}, "state": {"S": old}}
    if new:
        change["NewImage"] = {"id": {"S": "ec2:us-east-1:111122223333"}, "state": {"S": new}}
    event = breaker_event({"eventID": "e", "eventName": event_name, "dynamodb": change})
    assert (event or {}).get("type") == expected
    if event:
        assert (event["aws_service"], event["region"], event["account"]) == (
            "ec2",
            "us-east-1",
            "111122223333",
        )


_attribute = st.one_of(
    st.builds(lambda v: {"S": v}, st.text(max_size=30)),
    st.builds(lambda v: {"N": str(v)}, st.one_of(st.integers(), st.sampled_from([10**12, -(10**12), 2**63]))),
    st.builds(lambda v: {"BOOL": v}, st.booleans()),
)
_image = st.dictionaries(
    st.sampled_from(["id", "state", "failure_count", "opened_at", "expiration", "other"]), _attribute
)


@given(
    name=st.sampled_from(["INSERT", "MODIFY", "REMOVE", "?"]),
    new=_image,
    old=_image,
    state=st.sampled_from(["OPEN", "HALF_OPEN", "CLOSED"]),
)
def test_any_breaker_stream_record_is_an_event_or_none_never_an_error(
    name: str, new: dict[str, Any], old: dict[str, Any], state: str
) -> None:
    new = new | {"state": {"S": state}}
    event = breaker_event({"eventID": "x", "eventName": name, "dynamodb": {"NewImage": new, "OldImage": old}})
    assert event is None or event["type"] in ("breaker_opened", "breaker_closed")
