"""Results that can carry secrets (stack parameters and outputs, log lines, query rows) leave the
server redacted by the audit trail's rules: one test per such tool, against moto."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from aws_mcp.audit.record import REDACTED, redact_values
from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.server import build_server
from aws_mcp.tools.contract import RegionalInput, tool
from aws_mcp.tools.registry import ToolRegistry
from tests.unit.tools.services.calling import call

REGION = "ca-central-1"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJlLXZhbHVl"
LINE = f"login ok user=ann key={ACCESS_KEY} bearer {JWT} took 12ms"


@pytest.fixture
def registry(settings: Settings, clients: ClientFactory, aws: None) -> ToolRegistry:
    return build_server(settings, clients).registry


@pytest.fixture(scope="module")
def log_group(aws: None) -> str:
    group = f"/app/secrets-{uuid.uuid4().hex[:6]}"
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(datetime.now(UTC).timestamp() * 1000)
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now - 1000, "message": LINE}]
    )
    return group


def assert_masked(text: str) -> None:
    assert ACCESS_KEY not in text and JWT not in text
    assert "login ok user=ann key=" in text and REDACTED in text and "took 12ms" in text


def test_a_stack_s_secret_parameters_and_outputs_are_redacted(registry: ToolRegistry) -> None:
    template = {
        "Parameters": {"MasterUserPassword": {"Type": "String"}, "Size": {"Type": "String"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "DbPassword": {"Value": "hunter2-but-longer"},
            "Connection": {"Value": f"postgres://app:{ACCESS_KEY}@db.internal:5432/app"},
            "Endpoint": {"Value": "db.internal:5432"},
        },
    }
    name = f"secrets-{uuid.uuid4().hex[:6]}"
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": "MasterUserPassword", "ParameterValue": "s3cr3t-value"},
            {"ParameterKey": "Size", "ParameterValue": "small"},
        ],
    )
    result = call(registry, "cloudformation_describe_stack", stack=name, region=REGION)
    assert result["parameters"] == {"MasterUserPassword": REDACTED, "Size": "small"}
    outputs = result["outputs"]
    assert outputs["DbPassword"] == REDACTED and outputs["Endpoint"] == "db.internal:5432"
    assert outputs["Connection"] == f"postgres://app:{REDACTED}@db.internal:5432/app"
    assert "hunter2" not in json.dumps(result) and "s3cr3t" not in json.dumps(result)


def test_log_lines_keep_their_text_but_not_their_secrets(registry: ToolRegistry, log_group: str) -> None:
    result = call(registry, "logs_filter_events", group=log_group, region=REGION, minutes=60)
    (event,) = result["events"]
    assert_masked(event["message"])


def test_query_rows_are_redacted_and_so_are_they_when_read_again(
    registry: ToolRegistry, log_group: str
) -> None:
    query = call(
        registry, "logs_query", groups=[log_group], region=REGION, query="fields @message", minutes=60
    )
    assert query["rows"], query
    assert_masked(json.dumps(query["rows"]))
    again = call(registry, "logs_query_results", query_id=query["query_id"], region=REGION)
    assert again["rows"] and ACCESS_KEY not in json.dumps(again["rows"])


class Output(BaseModel):
    note: str
    config: dict[str, str]


def test_only_the_declared_fields_are_redacted(settings: Settings, clients: ClientFactory) -> None:
    @tool(name="test_show_config", title="t", iam_actions=("x:Y",), read_only=True, secret_fields=("config",))
    def show(args: RegionalInput) -> Output:
        """Show a configuration, secrets and all."""
        return Output(note=f"made with {ACCESS_KEY}", config={"api_token": "abc", "host": "h"})

    outcome = ToolRegistry([show], settings, clients).call("test_show_config", {}, CallContext())
    assert outcome.structured == {
        "note": f"made with {ACCESS_KEY}",
        "config": {"api_token": REDACTED, "host": "h"},
    }
    assert json.loads(outcome.text) == outcome.structured


def test_a_secret_field_that_is_not_in_the_output_is_a_declaration_error() -> None:
    def show(args: RegionalInput) -> Output:
        """Show a configuration, secrets and all."""
        return Output(note="", config={})

    with pytest.raises(ValueError, match="secret_fields"):
        tool(name="test_show_more", title="t", iam_actions=("x:Y",), read_only=True, secret_fields=("nope",))(
            show
        )


@given(
    st.recursive(
        st.one_of(st.text(max_size=40), st.integers(), st.none(), st.sampled_from([ACCESS_KEY, JWT, LINE])),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
        max_leaves=20,
    )
)
def test_no_access_key_or_token_survives_redaction_and_it_never_raises(value: Any) -> None:
    text = json.dumps(redact_values(value))
    assert ACCESS_KEY not in text and JWT not in text
