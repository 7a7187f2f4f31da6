"""Breaker-open, replay and timeout calls each leave exactly one completed audit record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.stub import Stubber

from aws_mcp.audit.query import AuditStore
from aws_mcp.context import CallContext
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import table_names
from tests.conftest import SCRATCH_REGION
from tests.unit.resilience.conftest import Build
from tests.unit.resilience.test_deadline import FakeLambdaContext


def records_of(caller: str) -> list[dict[str, Any]]:
    store = AuditStore(lambda: boto3.client("dynamodb", region_name="us-east-1"), table_names()["audit"])
    now = datetime.now(UTC)
    return store.query(
        since=now - timedelta(minutes=5), until=now + timedelta(seconds=1), caller=caller
    ).records


def outcomes(caller: str) -> list[str]:
    records = records_of(caller)
    assert all(r["status"] == "complete" for r in records)
    return sorted(r["outcome"] for r in records)


def test_a_breaker_open_call_is_recorded(build: Build) -> None:
    registry, clients, _ = build()
    caller = f"u-{uuid.uuid4().hex}"
    with Stubber(clients.client("ec2", "eu-west-3")) as stubber:
        for _ in range(3):
            stubber.add_client_error("describe_instances", "InternalError", http_status_code=500)
        for _ in range(4):
            registry.call("ec2_list_instances", {"region": "eu-west-3"}, CallContext(caller=caller))
    assert outcomes(caller) == ["breaker_open", "tool_error", "tool_error", "tool_error"]


def test_a_replayed_call_is_recorded_as_a_replay(build: Build, launch: Any) -> None:
    registry, _, _ = build()
    caller = f"u-{uuid.uuid4().hex}"
    arguments = {"instance_ids": [launch("stopped")], "region": SCRATCH_REGION}
    for _ in range(2):
        registry.call("ec2_start_instances", arguments, CallContext(caller=caller))
    assert outcomes(caller) == ["replay", "success"]


def test_a_timed_out_call_is_recorded_as_a_timeout(build: Build) -> None:
    registry: ToolRegistry
    registry, _, _ = build(deadline_margin_ms=1500)
    caller = f"u-{uuid.uuid4().hex}"
    context = CallContext(caller=caller, lambda_context=FakeLambdaContext(1000))
    registry.call("ec2_list_instances", {}, context)
    assert outcomes(caller) == ["timeout"]
