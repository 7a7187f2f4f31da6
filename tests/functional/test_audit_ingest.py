"""The audit log subscription: functions/audit_ingest/app.py against moto's DynamoDB.

Events are built the way CloudWatch Logs builds them (the log data as JSON, gzipped,
base64 under ``awslogs.data``), from lines the McpFunction really logs: audit records
written by AuditTrail through a Powertools Logger, an EMF metrics line, platform lines,
and lines that are broken on purpose. The audit table has the demo's (and the template's)
keys and by-caller index; the dead-letter queue is moto's SQS.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import importlib.util
import io
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from boto3.dynamodb.types import TypeDeserializer
from moto import mock_aws

from aws_mcp.audit import BY_CALLER_INDEX, AuditRecord, AuditTrail, Outcome
from aws_mcp.audit.ingest import DEAD_LETTER_QUEUE_VARIABLE, IngestError
from aws_mcp.audit.trail import ITEM_LIMIT_BYTES
from aws_mcp.config import ENV
from aws_mcp.errors import ConfigurationError
from aws_mcp_local.demo import AUDIT_BY_CALLER, TABLE_KEYS, table_names

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "functions" / "audit_ingest" / "app.py"
TABLE = table_names()["audit"]
RETENTION_DAYS = 30
LOG_GROUP = "/aws/lambda/aws-mcp-McpFunction"
STARTED = datetime(2026, 11, 21, 23, 59, 59, 250_000, tzinfo=UTC)


# -- building what CloudWatch Logs sends -----------------------------------------------------------


def create_audit_table(client: Any, name: str = TABLE) -> None:
    """The audit table as aws_mcp_local.demo.seed and template.yaml create it."""
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": key, "KeyType": kind}
            for key, kind in zip(TABLE_KEYS["audit"], ("HASH", "RANGE"), strict=True)
        ],
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"}
            for a in sorted({*TABLE_KEYS["audit"], *AUDIT_BY_CALLER})
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": BY_CALLER_INDEX,
                "KeySchema": [
                    {"AttributeName": AUDIT_BY_CALLER[0], "KeyType": "HASH"},
                    {"AttributeName": AUDIT_BY_CALLER[1], "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def completed(
    tool: str = "ec2_list_instances",
    *,
    caller: str = "arn:aws:iam::123456789012:user/alice",
    mutating: bool = False,
    started_at: datetime = STARTED,
    arguments: Any = None,
    outcome: Outcome = Outcome.SUCCESS,
) -> AuditRecord:
    record = AuditRecord(
        tool=tool,
        caller=caller,
        arguments={"region": "eu-west-1"} if arguments is None else arguments,
        started_at=started_at,
        request_id=uuid.uuid4().hex,
        client_name="claude-code",
        client_version="2.1.0",
        protocol_version="2026-07-28",
        region="eu-west-1",
        mutating=mutating,
    )
    return record.completed(
        outcome,
        duration_ms=12.3456,
        error="Throttling: slow down" if outcome is Outcome.TOOL_ERROR else None,
        aws_request_ids=("0f3c1a2b-req",),
    )


def logged(*records: AuditRecord) -> list[str]:
    """The log lines the function writes for ``records``: AuditTrail through a Powertools Logger."""
    stream = io.StringIO()
    # A service name of its own: Powertools Loggers of one name share their handlers.
    logger = Logger(service=f"aws-mcp-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(stream))
    trail = AuditTrail(logger)
    for record in records:
        trail.finish(record)
    return stream.getvalue().splitlines()


def emf_line() -> str:
    return json.dumps(
        {
            "_aws": {
                "Timestamp": 1795305599250,
                "CloudWatchMetrics": [
                    {"Namespace": "AwsMcp", "Dimensions": [["service"]], "Metrics": [{"Name": "ToolCalls"}]}
                ],
            },
            "service": "aws-mcp",
            "ToolCalls": 1,
        }
    )


def subscription_event(messages: list[str], *, message_type: str = "DATA_MESSAGE") -> dict[str, Any]:
    """A CloudWatch Logs subscription event carrying ``messages`` as log events."""
    data = {
        "messageType": message_type,
        "owner": "123456789012",
        "logGroup": LOG_GROUP,
        "logStream": "2026/11/21/[$LATEST]0123456789abcdef0123456789abcdef",
        "subscriptionFilters": ["audit-read-only-records"],
        "logEvents": [
            {"id": f"3{index:055d}", "timestamp": 1795305599250 + index, "message": message}
            for index, message in enumerate(messages)
        ],
    }
    payload = base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()
    return {"awslogs": {"data": payload}}


def audit_line(audit: Any) -> str:
    return json.dumps({"level": "INFO", "message": "tool call", "service": "aws-mcp", "audit": audit})


# -- the handler, as Lambda runs it ----------------------------------------------------------------


class FakeLambdaContext:
    function_name = "AuditIngestFunction"
    aws_request_id = "7d8e9f00-0000-4000-8000-000000000000"


def import_app() -> ModuleType:
    """Import functions/audit_ingest/app.py afresh: it reads its settings and builds its client at import."""
    spec = importlib.util.spec_from_file_location(f"audit_ingest_app_{uuid.uuid4().hex}", APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv(ENV.AUDIT_TABLE, TABLE)
    monkeypatch.setenv(ENV.AUDIT_RETENTION_DAYS, str(RETENTION_DAYS))
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_audit_table(client)
        queue = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="audit-ingest-dlq")
        monkeypatch.setenv(DEAD_LETTER_QUEUE_VARIABLE, queue["QueueUrl"])
        yield client


def dead_letters() -> list[dict[str, Any]]:
    """The log data of every message in the dead-letter queue (each body is a subscription event)."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="audit-ingest-dlq")["QueueUrl"]
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            event = json.loads(message["Body"])
            found.append(json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"]))))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


@pytest.fixture
def app(dynamodb: Any) -> ModuleType:
    return import_app()


def invoke(app: ModuleType, event: dict[str, Any]) -> dict[str, int]:
    summary: dict[str, int] = app.handler(event, FakeLambdaContext())
    return summary


def stored(client: Any, table: str = TABLE) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item of the table, plain Python values, by (pk, sk)."""
    deserializer = TypeDeserializer()
    items = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        items += [{k: deserializer.deserialize(v) for k, v in item.items()} for item in page["Items"]]
    return {(item["pk"], item["sk"]): item for item in items}


def key_of(record: AuditRecord) -> tuple[str, str]:
    return f"DAY#{record.started_at:%Y-%m-%d}", record.sort_key


# -- what lands in the table -----------------------------------------------------------------------

# The summary of an event that stores nothing.
NOTHING = {
    "written": 0,
    "unchanged": 0,
    "truncated": 0,
    "dead_lettered": 0,
    "not_audit": 0,
    "not_ingested": 0,
    "malformed": 0,
}


def test_only_completed_read_only_records_land_keyed_by_day_time_and_caller_with_ttl(
    app: ModuleType, dynamodb: Any
) -> None:
    alice = completed()
    bob = completed(
        "aws_whoami",
        caller="apikey:k-1",
        started_at=STARTED + timedelta(seconds=1),
        outcome=Outcome.TOOL_ERROR,
    )
    stop = completed("ec2_stop_instances", mutating=True)
    read_intent = AuditRecord(tool="aws_whoami", caller="local", arguments={}, started_at=STARTED).to_log()
    messages = [
        "START RequestId: 7d8e9f00 Version: $LATEST",
        *logged(alice),
        emf_line(),
        *logged(stop),
        audit_line(read_intent),
        *logged(bob),
        '{"audit": {"tool": "truncated',
        "not json at all",
    ]

    summary = invoke(app, subscription_event(messages))

    assert summary == {**NOTHING, "written": 2, "not_audit": 4, "not_ingested": 2}
    items = stored(dynamodb)
    assert set(items) == {key_of(alice), key_of(bob)}
    item = items[key_of(alice)]
    assert item["pk"] == "DAY#2026-11-21"
    assert item["sk"] == f"2026-11-21T23:59:59.250Z#{alice.call_id}"
    assert item["caller_pk"] == "CALLER#arn:aws:iam::123456789012:user/alice"
    assert item["expires_at"] == int((STARTED + timedelta(days=RETENTION_DAYS)).timestamp())
    assert item["tool"] == "ec2_list_instances"
    assert item["mutating"] is False
    assert item["status"] == "complete"
    assert item["outcome"] == "success"
    assert item["arguments"] == {"region": "eu-west-1"}
    assert item["aws_request_ids"] == ["0f3c1a2b-req"]
    assert float(item["duration_ms"]) == alice.duration_ms
    assert "error" not in item  # None values are left out, as the synchronous path does
    assert items[key_of(bob)]["error"] == "Throttling: slow down"
    by_bob = dynamodb.query(
        TableName=TABLE,
        IndexName=BY_CALLER_INDEX,
        KeyConditionExpression="caller_pk = :c",
        ExpressionAttributeValues={":c": {"S": "CALLER#apikey:k-1"}},
    )
    assert [i["sk"]["S"] for i in by_bob["Items"]] == [bob.sort_key]


def test_replaying_the_same_events_changes_nothing(app: ModuleType, dynamodb: Any) -> None:
    records = [completed(started_at=STARTED + timedelta(minutes=n)) for n in range(3)]
    event = subscription_event([*logged(*records), *logged(completed(mutating=True))])

    first = invoke(app, event)
    before = stored(dynamodb)
    again = invoke(app, event)

    assert first == {**NOTHING, "written": 3, "not_ingested": 1}
    assert again == {**NOTHING, "unchanged": 3, "not_ingested": 1}
    assert stored(dynamodb) == before
    assert set(before) == {key_of(r) for r in records}


def test_the_log_path_stores_the_item_the_synchronous_path_would(app: ModuleType, dynamodb: Any) -> None:
    record = completed(arguments={"instance_ids": ["i-0123456789abcdef0"], "dry_run": True, "limit": 5})
    create_audit_table(dynamodb, "synchronous")
    AuditTrail(
        Logger(service=f"aws-mcp-{uuid.uuid4().hex}", logger_handler=logging.NullHandler()),
        dynamodb=lambda: dynamodb,
        table="synchronous",
        retention_days=RETENTION_DAYS,
        write_reads=True,
    ).finish(record)

    invoke(app, subscription_event(logged(record)))

    assert stored(dynamodb) == stored(dynamodb, "synchronous")


def test_each_record_is_put_only_where_no_item_is(app: ModuleType, dynamodb: Any) -> None:
    records = [completed(started_at=STARTED + timedelta(milliseconds=n)) for n in range(57)]
    requests: list[tuple[str, dict[str, Any]]] = []

    def seen(params: dict[str, Any], model: Any, **_: Any) -> None:
        requests.append((model.name, params))

    app.dynamodb.meta.events.register("provide-client-params.dynamodb.*", seen)
    summary = invoke(app, subscription_event(logged(*records)))

    assert summary["written"] == len(records)
    assert len(stored(dynamodb)) == len(records)
    assert {name for name, _ in requests} == {"PutItem"}
    assert {params["ConditionExpression"] for _, params in requests} == {"attribute_not_exists(pk)"}


def test_a_log_event_delivered_twice_in_one_event_is_written_once(app: ModuleType, dynamodb: Any) -> None:
    record = completed()
    summary = invoke(app, subscription_event(logged(record) * 2))
    assert summary["written"] == 1
    assert set(stored(dynamodb)) == {key_of(record)}


def test_float_arguments_are_stored_as_numbers(app: ModuleType, dynamodb: Any) -> None:
    record = completed(arguments={"threshold": 0.75, "nested": [{"ratio": 1e-7}], "count": 3})
    invoke(app, subscription_event(logged(record)))
    arguments = stored(dynamodb)[key_of(record)]["arguments"]
    assert {k: json.loads(json.dumps(v, default=float)) for k, v in arguments.items()} == {
        "threshold": 0.75,
        "nested": [{"ratio": 1e-7}],
        "count": 3,
    }


# -- what is left out, and how it is reported ------------------------------------------------------


def test_malformed_audit_lines_are_counted_and_logged_and_the_rest_still_land(
    app: ModuleType, dynamodb: Any
) -> None:
    good = completed()
    valid = completed(caller="someone-else").to_log()
    broken = [
        "a string, not an object",
        {**valid, "mutating": "false"},
        {k: v for k, v in valid.items() if k != "call_id"},
        {**valid, "started_at": "yesterday"},
        {**valid, "started_at": "2026-11-21T10:00:00"},
        {**valid, "outcome": "exploded"},
        {**valid, "tool": None},
        {**valid, "duration_ms": "fast"},
        {**valid, "aws_request_ids": "r-1"},
    ]
    messages = [audit_line(audit) for audit in broken]
    # The function's own log lines, formatted as on Lambda.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(app.logger.registered_formatter)
    app.logger.addHandler(handler)
    try:
        summary = invoke(app, subscription_event([*messages, *logged(good)]))
    finally:
        app.logger.removeHandler(handler)

    assert summary == {**NOTHING, "written": 1, "malformed": len(broken)}
    assert set(stored(dynamodb)) == {key_of(good)}
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    warnings = [line for line in lines if line["message"] == "malformed audit line skipped"]
    assert [w["log_event_id"] for w in warnings] == [f"3{n:055d}" for n in range(len(broken))]
    assert all(w["level"] == "WARNING" and w["log_group"] == LOG_GROUP and w["reason"] for w in warnings)
    (report,) = [line for line in lines if line["message"] == "audit records ingested"]
    assert report["ingest"] == summary


def test_control_messages_store_nothing(app: ModuleType, dynamodb: Any) -> None:
    event = subscription_event(
        ["CWL CONTROL MESSAGE: Checking health of destination Lambda."], message_type="CONTROL_MESSAGE"
    )
    assert invoke(app, event) == NOTHING
    assert stored(dynamodb) == {}


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"awslogs": {"data": "not base64 !"}},
        {"awslogs": {"data": base64.b64encode(b"not gzip").decode()}},
        {"awslogs": {"data": base64.b64encode(gzip.compress(b"[1, 2]")).decode()}},
    ],
)
def test_an_event_that_is_not_a_log_subscription_fails_the_invocation(
    app: ModuleType, event: dict[str, Any]
) -> None:
    with pytest.raises(IngestError, match="not a CloudWatch Logs subscription event"):
        invoke(app, event)


def test_the_function_refuses_to_start_without_an_audit_table(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV.AUDIT_TABLE)
    with pytest.raises(ConfigurationError, match=ENV.AUDIT_TABLE):
        import_app()


# -- records too large, records in the way, failures -----------------------------------------------


def oversized_arguments() -> dict[str, Any]:
    """Arguments that alone make a record larger than a DynamoDB item may be."""
    return {"user_data": ["#!/bin/bash " + "x" * 1000] * 450}


def test_an_oversized_record_is_stored_truncated_and_the_rest_of_its_batch_with_it(
    app: ModuleType, dynamodb: Any
) -> None:
    records = [completed(started_at=STARTED + timedelta(milliseconds=n)) for n in range(25)]
    records[7] = completed(started_at=STARTED + timedelta(milliseconds=7), arguments=oversized_arguments())
    original_bytes = len(json.dumps(records[7].arguments))
    assert original_bytes > ITEM_LIMIT_BYTES

    summary = invoke(app, subscription_event(logged(*records)))

    assert summary == {**NOTHING, "written": 25, "truncated": 1}
    items = stored(dynamodb)
    assert set(items) == {key_of(r) for r in records}
    big = items[key_of(records[7])]
    assert big["truncated"] == {"arguments"}
    arguments = big["arguments"]
    assert arguments["truncated"] is True
    # Its size as DynamoDB counts it: about the JSON's, without quotes and separators.
    assert ITEM_LIMIT_BYTES < arguments["original_bytes"] <= original_bytes
    assert arguments["preview"].startswith('{"user_data": ["#!/bin/bash xxx')
    assert big["status"] == "complete" and big["outcome"] == "success"
    assert all("truncated" not in items[key_of(r)] for n, r in enumerate(records) if n != 7)
    assert dead_letters() == []


def test_a_record_that_cannot_be_stored_goes_alone_to_the_dead_letter_queue(
    app: ModuleType, dynamodb: Any
) -> None:
    good = [completed(started_at=STARTED + timedelta(milliseconds=n)) for n in range(3)]
    # A sort key longer than DynamoDB's 1,024 bytes: nothing to truncate, no way to store it.
    unstorable = dataclasses.replace(completed(), call_id="c" * 2000)
    lines = logged(good[0], unstorable, *good[1:])

    summary = invoke(app, subscription_event(lines))

    assert summary == {**NOTHING, "written": 3, "dead_lettered": 1}
    assert set(stored(dynamodb)) == {key_of(r) for r in good}
    (letter,) = dead_letters()
    # A subscription event of its own, ready to be replayed, with only that log event.
    assert letter["messageType"] == "DATA_MESSAGE"
    assert letter["logGroup"] == LOG_GROUP
    assert [e["message"] for e in letter["logEvents"]] == [lines[1]]
    assert letter["logEvents"][0]["id"] == f"3{1:055d}"


def test_a_different_record_under_the_same_key_is_left_alone_and_dead_lettered(
    app: ModuleType, dynamodb: Any
) -> None:
    record = completed()
    invoke(app, subscription_event(logged(record)))
    before = stored(dynamodb)
    forged = record.completed(Outcome.TOOL_ERROR, duration_ms=1.0, error="forged", aws_request_ids=())

    summary = invoke(app, subscription_event(logged(forged)))

    assert summary == {**NOTHING, "dead_lettered": 1}
    assert stored(dynamodb) == before
    (letter,) = dead_letters()
    assert json.loads(letter["logEvents"][0]["message"])["audit"]["error"] == "forged"


def test_a_table_error_fails_the_invocation_so_lambda_retries_the_event(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV.AUDIT_TABLE, "no-such-table")
    app = import_app()
    with pytest.raises(IngestError, match="ResourceNotFoundException"):
        invoke(app, subscription_event(logged(completed())))
    assert dead_letters() == []


def test_without_a_dead_letter_queue_an_unstorable_record_fails_the_invocation_after_the_rest_land(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DEAD_LETTER_QUEUE_VARIABLE)
    app = import_app()
    good = completed()
    with pytest.raises(IngestError, match="1 audit record"):
        invoke(app, subscription_event(logged(good, dataclasses.replace(completed(), call_id="c" * 2000))))
    assert set(stored(dynamodb)) == {key_of(good)}
