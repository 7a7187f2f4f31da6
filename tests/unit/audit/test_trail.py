"""The trail logs every completed record once and keeps mutations' intent in the table."""

from __future__ import annotations

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
