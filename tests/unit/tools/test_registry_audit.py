"""Every tools/call leaves exactly one completed audit record, in the log and in the table."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from aws_mcp.audit.query import AuditStore
from aws_mcp.audit.trail import AuditTrail
from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools.contract import MutatingInput, MutatingOutput, ToolSpec, tool
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import table_names

TABLE = table_names()["audit"]


class Audited:
    """A registry whose audit lines are captured, and the table they also reach."""

    def __init__(
        self, settings: Settings, clients: ClientFactory, tools: list[ToolSpec] | None = None
    ) -> None:
        self.stream = io.StringIO()
        logger = Logger(
            service=f"audit-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(self.stream)
        )
        settings = settings.with_changes(audit_table=TABLE)
        if tools is None:
            self.registry = build_server(settings, clients, logger=logger).registry
        else:
            trail = AuditTrail(logger, dynamodb=lambda: clients.client("dynamodb", "us-east-1"), table=TABLE)
            self.registry = ToolRegistry(tools, settings, clients, audit=trail)
        self.caller = f"arn:aws:iam::123456789012:user/{uuid.uuid4().hex}"
        self.context = CallContext(
            caller=self.caller, request_id="req-1", client_name="pytest", client_version="9"
        )

    def call(self, name: Any, arguments: Any) -> Any:
        return self.registry.call(name, arguments, self.context)

    def logged(self) -> list[dict[str, Any]]:
        return [
            json.loads(line)["audit"] for line in self.stream.getvalue().splitlines() if '"audit"' in line
        ]

    def stored(self) -> list[dict[str, Any]]:
        store = AuditStore(lambda: boto3.client("dynamodb", region_name="us-east-1"), TABLE)
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        return store.query(since=now - timedelta(hours=1), until=now, caller=self.caller, limit=100).records


@pytest.fixture
def audited(settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]]) -> Audited:
    return Audited(settings, clients)


def only_record(audited: Audited) -> dict[str, Any]:
    (logged,) = audited.logged()
    (stored,) = audited.stored()
    assert stored["call_id"] == logged["call_id"] and stored["status"] == "complete"
    assert logged["caller"] == audited.caller and logged["client_name"] == "pytest"
    return logged


def test_success_records_the_region_and_aws_request_ids(audited: Audited) -> None:
    audited.call("ec2_list_instances", {"region": "eu-west-1"})
    record = only_record(audited)
    assert record["outcome"] == "success" and record["region"] == "eu-west-1"
    assert record["aws_request_ids"] and record["duration_ms"] > 0


def test_a_tool_error_is_recorded_with_its_message(audited: Audited) -> None:
    audited.call("ec2_describe_instance", {"instance_id": "i-0123456789abcdef0"})
    record = only_record(audited)
    assert record["outcome"] == "tool_error" and "InvalidInstanceID.NotFound" in record["error"]


@pytest.mark.parametrize(
    ("name", "arguments"),
    [("no_such_tool", {}), (7, {}), ("aws_whoami", ["x"]), (["a"], {}), ({"n": 1}, {}), ("bad\ud800", {})],
)
def test_a_protocol_error_on_tools_call_is_recorded(audited: Audited, name: Any, arguments: Any) -> None:
    with pytest.raises(ProtocolError):
        audited.call(name, arguments)
    assert only_record(audited)["outcome"] == "protocol_error"


@pytest.mark.parametrize(
    "arguments",
    [
        {"tags": {"env": "\ud800"}},
        {"tags": {"k\udfff": "v"}},
        {"max_results": 1e300},
        {"max_results": 1e-200},
        {"max_results": 10**100},
        {"odd": [1e300, -(10**100)]},
    ],
)
def test_arguments_no_store_could_hold_are_still_recorded_once(
    audited: Audited, arguments: dict[str, Any]
) -> None:
    audited.call("ec2_list_instances", arguments)
    only_record(audited)


def test_a_huge_tool_name_is_recorded_cut_short(audited: Audited) -> None:
    with pytest.raises(ProtocolError):
        audited.call("x" * 100_000, {})
    assert only_record(audited)["tool"] == "x" * 100


def test_a_client_name_with_a_lone_surrogate_is_still_recorded_once(
    settings: Settings, clients: ClientFactory, fleet: Any
) -> None:
    audited = Audited(settings, clients)
    audited.context = audited.context.with_client("2025-06-18", {"name": "evil\ud800", "version": "1"})
    audited.call("aws_whoami", {})
    (logged,) = audited.logged()
    (stored,) = audited.stored()
    assert logged["client_name"] == stored["client_name"] == "evil\\ud800"


def test_a_tool_disabled_by_the_access_mode_is_recorded_as_denied(
    settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]]
) -> None:
    audited = Audited(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients)
    with pytest.raises(ProtocolError, match="disabled"):
        audited.call("ec2_stop_instances", {"instance_ids": [fleet["us-east-1"][0]]})
    assert only_record(audited)["outcome"] == "denied"


def test_aws_access_denied_is_recorded_as_denied(
    settings: Settings, clients: ClientFactory, fleet: Any
) -> None:
    def refuse(args: Nothing) -> Done:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "Do")

    audited = Audited(settings, clients, [declare("test_do_read", refuse, read_only=True)])
    outcome = audited.call("test_do_read", {})
    assert outcome.is_error and "denied" in outcome.text
    assert only_record(audited)["outcome"] == "denied"


def test_invalid_arguments_are_recorded_as_a_tool_error(audited: Audited) -> None:
    audited.call("ec2_list_instances", {"states": ["asleep"]})
    assert only_record(audited)["outcome"] == "tool_error"


def test_secrets_in_arguments_reach_neither_the_log_nor_the_table(audited: Audited) -> None:
    audited.call(
        "ec2_list_instances",
        {"tags": {"env": "prod"}, "password": "hunter2", "token": "AKIAIOSFODNN7EXAMPLE"},
    )
    only_record(audited)
    assert (
        "hunter2" not in audited.stream.getvalue() and "AKIAIOSFODNN7EXAMPLE" not in audited.stream.getvalue()
    )
    assert "hunter2" not in str(audited.stored()) and "AKIAIOSFODNN7EXAMPLE" not in str(audited.stored())
    assert audited.logged()[0]["arguments"]["tags"] == {"env": "prod"}


def test_a_crash_between_intent_and_completion_leaves_the_intent(
    settings: Settings, clients: ClientFactory, fleet: Any
) -> None:
    def crash(args: Nothing) -> Done:
        raise KeyboardInterrupt  # stands for the runtime killing the process mid-call

    audited = Audited(settings, clients, [declare("test_do_change", crash, read_only=False)])
    with pytest.raises(KeyboardInterrupt):
        audited.call("test_do_change", {"region": "us-east-1"})
    assert audited.logged() == []
    (intent,) = audited.stored()
    assert intent["status"] == "intent" and intent["outcome"] is None
    assert (
        intent["tool"] == "test_do_change" and intent["mutating"] is True and intent["region"] == "us-east-1"
    )


def test_a_mutation_writes_intent_before_calling_aws(
    settings: Settings, clients: ClientFactory, fleet: Any
) -> None:
    seen: list[list[dict[str, Any]]] = []
    audited: Audited

    def change(args: Nothing) -> Done:
        seen.append(audited.stored())
        return Done(ok=True)

    audited = Audited(settings, clients, [declare("test_do_change", change, read_only=False)])
    audited.call("test_do_change", {})
    assert [r["status"] for r in seen[0]] == ["intent"]
    assert only_record(audited)["outcome"] == "success"


class Nothing(MutatingInput):
    """Arguments of the test tools; MutatingInput so they may be declared mutating."""


class Done(MutatingOutput):
    ok: bool


def declare(name: str, fn: Callable[[Nothing], Done], *, read_only: bool) -> ToolSpec:
    fn.__doc__ = "A test tool."
    return tool(
        name=name,
        title=name,
        iam_actions=("test:Do",),
        read_only=read_only,
    )(fn)
