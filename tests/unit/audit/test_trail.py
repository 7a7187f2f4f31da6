"""The trail logs every completed record once and keeps mutations' intent in the table."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import uuid
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from botocore.stub import Stubber

from aws_mcp.audit.record import AuditRecord, Outcome, now
from aws_mcp.audit.trail import AuditTrail
from aws_mcp.errors import AccessDeniedError
from aws_mcp.telemetry import Telemetry


def capture_logger() -> tuple[Logger, io.StringIO]:
    stream = io.StringIO()
    return Logger(service=f"t-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(stream)), stream


def record(mutating: bool) -> AuditRecord:
    return AuditRecord(tool="x_do_y", caller="local", arguments={}, started_at=now(), mutating=mutating)


def done(r: AuditRecord) -> AuditRecord:
    return r.completed(Outcome.SUCCESS, duration_ms=1, error=None, aws_request_ids=())


@pytest.fixture
def stubbed() -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber


def test_a_completed_record_is_one_json_line_under_audit() -> None:
    logger, stream = capture_logger()
    AuditTrail(logger).finish(done(record(False)))
    (line,) = stream.getvalue().splitlines()
    assert json.loads(line)["audit"]["outcome"] == "success"


def test_reads_skip_the_table_when_only_mutations_are_written(stubbed: Any) -> None:
    client, stubber = stubbed
    trail = AuditTrail(capture_logger()[0], dynamodb=lambda: client, table="audit", write_reads=False)
    trail.finish(done(record(False)))  # the stubber has no responses queued: any call would fail
    stubber.assert_no_pending_responses()


def test_a_mutation_writes_intent_then_completion(aws: None) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="audit",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
        BillingMode="PAY_PER_REQUEST",
    )
    trail = AuditTrail(capture_logger()[0], dynamodb=lambda: client, table="audit", write_reads=False)
    r = record(True)
    key = {"pk": {"S": f"DAY#{r.started_at:%Y-%m-%d}"}, "sk": {"S": r.sort_key}}

    trail.begin(r)
    assert client.get_item(TableName="audit", Key=key)["Item"]["status"] == {"S": "intent"}
    trail.finish(done(r))
    stored = client.get_item(TableName="audit", Key=key)["Item"]
    assert stored["status"] == {"S": "complete"} and stored["outcome"] == {"S": "success"}


def test_a_mutation_is_refused_when_its_intent_cannot_be_written(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_client_error("put_item", "ProvisionedThroughputExceededException", http_status_code=400)
    trail = AuditTrail(capture_logger()[0], dynamodb=lambda: client, table="audit")
    with pytest.raises(AccessDeniedError, match="audit trail is unavailable"):
        trail.begin(record(True))


def test_a_failed_completion_write_keeps_the_log_line(stubbed: Any) -> None:
    client, stubber = stubbed
    stubber.add_client_error("put_item", "InternalServerError", http_status_code=500)
    logger, stream = capture_logger()
    AuditTrail(logger, dynamodb=lambda: client, table="audit").finish(done(record(False)))
    assert '"audit"' in stream.getvalue()


# -- written once, then only completed -------------------------------------------------------------


def audit_table(client: Any) -> None:
    client.create_table(
        TableName="audit",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
        BillingMode="PAY_PER_REQUEST",
    )


def key_of(r: AuditRecord) -> dict[str, Any]:
    return {"pk": {"S": f"DAY#{r.started_at:%Y-%m-%d}"}, "sk": {"S": r.sort_key}}


@pytest.fixture
def table(aws: None) -> Any:
    client = boto3.client("dynamodb", region_name="us-east-1")
    if "audit" not in client.list_tables()["TableNames"]:
        audit_table(client)
    return client


def counting_trail(client: Any) -> tuple[AuditTrail, io.StringIO]:
    metrics = io.StringIO()
    telemetry = Telemetry("AwsMcp", "aws-mcp", enabled=True, stream=metrics)
    trail = AuditTrail(
        capture_logger()[0], dynamodb=lambda: client, table="audit", write_reads=True, telemetry=telemetry
    )
    return trail, metrics


def test_a_completed_record_cannot_be_overwritten_and_the_original_stays(table: Any) -> None:
    trail, metrics = counting_trail(table)
    original = done(record(True))
    trail.finish(original)
    stored = table.get_item(TableName="audit", Key=key_of(original))["Item"]

    forged = original.completed(
        Outcome.TOOL_ERROR, duration_ms=2, error="it never happened", aws_request_ids=()
    )
    trail.finish(forged)

    assert table.get_item(TableName="audit", Key=key_of(original))["Item"] == stored
    assert "AuditWriteErrors" in metrics.getvalue()


def test_a_completion_replaces_only_an_intent(table: Any) -> None:
    trail, metrics = counting_trail(table)
    r = record(True)
    trail.begin(r)
    trail.finish(done(r))
    assert table.get_item(TableName="audit", Key=key_of(r))["Item"]["status"] == {"S": "complete"}
    assert metrics.getvalue() == ""


def test_the_same_completion_written_again_is_no_error(table: Any) -> None:
    trail, metrics = counting_trail(table)
    completed = done(record(False))
    trail.finish(completed)
    trail.finish(completed)  # a retry whose first answer was lost
    assert metrics.getvalue() == ""


def test_an_intent_is_written_once_and_a_different_one_under_its_key_is_refused(table: Any) -> None:
    trail, _ = counting_trail(table)
    r = record(True)
    trail.begin(r)
    trail.begin(r)  # the same intent again (a retried request) is fine
    with pytest.raises(AccessDeniedError, match="audit trail"):
        trail.begin(dataclasses.replace(r, arguments={"instance_ids": ["i-0"]}))
    assert table.get_item(TableName="audit", Key=key_of(r))["Item"]["arguments"] == {"M": {}}


def test_an_intent_never_replaces_a_completed_record(table: Any) -> None:
    trail, _ = counting_trail(table)
    r = record(True)
    trail.finish(done(r))
    with pytest.raises(AccessDeniedError):
        trail.begin(r)
    assert table.get_item(TableName="audit", Key=key_of(r))["Item"]["status"] == {"S": "complete"}


def test_a_mutation_with_arguments_over_the_item_limit_is_recorded_truncated_not_refused(table: Any) -> None:
    trail, metrics = counting_trail(table)
    r = dataclasses.replace(record(True), arguments={"user_data": ["x" * 1000] * 450})
    trail.begin(r)
    trail.finish(done(r))
    stored = table.get_item(TableName="audit", Key=key_of(r))["Item"]
    assert stored["status"] == {"S": "complete"}
    assert stored["truncated"] == {"SS": ["arguments"]}
    assert stored["arguments"]["M"]["truncated"] == {"BOOL": True}
    assert metrics.getvalue() == ""
