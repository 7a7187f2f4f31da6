"""The audit log subscription: functions/audit_ingest/app.py against moto's DynamoDB.

Events are built the way CloudWatch Logs builds them (the log data as JSON, gzipped,
base64 under ``awslogs.data``), from lines the McpFunction really logs: audit records
written by AuditTrail through a Powertools Logger, an EMF metrics line, platform lines,
and lines that are broken on purpose. The audit table has the demo's (and the template's)
keys and by-caller index.
"""

from __future__ import annotations

import base64
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
from botocore.stub import Stubber
from moto import mock_aws

from aws_mcp.audit import BY_CALLER_INDEX, AuditRecord, AuditTrail, Outcome
from aws_mcp.audit.ingest import BATCH_SIZE, AuditTableWriter, IngestError
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
        yield client


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

    assert summary == {"written": 2, "not_audit": 4, "not_ingested": 2, "malformed": 0}
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

    assert first == again == {"written": 3, "not_audit": 0, "not_ingested": 1, "malformed": 0}
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


def test_records_are_written_25_to_a_request(app: ModuleType, dynamodb: Any) -> None:
    records = [completed(started_at=STARTED + timedelta(milliseconds=n)) for n in range(2 * BATCH_SIZE + 7)]
    sizes: list[int] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        sizes.append(len(params["RequestItems"][TABLE]))

    app.dynamodb.meta.events.register("provide-client-params.dynamodb.BatchWriteItem", count)
    summary = invoke(app, subscription_event(logged(*records)))

    assert summary["written"] == len(records)
    assert sizes == [BATCH_SIZE, BATCH_SIZE, 7]
    assert len(stored(dynamodb)) == len(records)


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

    assert summary == {"written": 1, "not_audit": 0, "not_ingested": 0, "malformed": len(broken)}
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
    assert invoke(app, event) == {"written": 0, "not_audit": 0, "not_ingested": 0, "malformed": 0}
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


# -- unprocessed items -----------------------------------------------------------------------------


def items_for(count: int) -> list[dict[str, Any]]:
    return [
        {"pk": {"S": "DAY#2026-11-21"}, "sk": {"S": f"2026-11-21T00:00:00.000Z#{n:032x}"}}
        for n in range(count)
    ]


def puts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"PutRequest": {"Item": item}} for item in items]


def test_unprocessed_items_are_sent_again_after_a_backoff() -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    items = items_for(3)
    pauses: list[float] = []
    writer = AuditTableWriter(client, TABLE, base_delay=0.05, max_delay=1.0, sleep=pauses.append)
    with Stubber(client) as stubber:
        stubber.add_response(
            "batch_write_item",
            {"UnprocessedItems": {TABLE: puts(items[1:])}},
            {"RequestItems": {TABLE: puts(items)}},
        )
        stubber.add_response(
            "batch_write_item",
            {"UnprocessedItems": {TABLE: puts(items[2:])}},
            {"RequestItems": {TABLE: puts(items[1:])}},
        )
        stubber.add_response(
            "batch_write_item", {"UnprocessedItems": {}}, {"RequestItems": {TABLE: puts(items[2:])}}
        )
        assert writer.write(items) == 3
        stubber.assert_no_pending_responses()
    assert len(pauses) == 2
    assert 0 <= pauses[0] <= 0.05 and 0 <= pauses[1] <= 0.1


def test_items_still_unprocessed_after_the_last_attempt_fail_the_invocation() -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    items = items_for(2)
    pauses: list[float] = []
    writer = AuditTableWriter(
        client, TABLE, max_attempts=5, base_delay=0.1, max_delay=0.3, sleep=pauses.append
    )
    with Stubber(client) as stubber:
        for _ in range(5):
            stubber.add_response("batch_write_item", {"UnprocessedItems": {TABLE: puts(items)}})
        with pytest.raises(IngestError, match="2 of 2 audit items still unprocessed after 5"):
            writer.write(items)
        stubber.assert_no_pending_responses()
    assert len(pauses) == 4
    assert all(0 <= pause <= 0.3 for pause in pauses)
