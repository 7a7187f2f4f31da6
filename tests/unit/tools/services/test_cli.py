"""The CLI executor's tools: commands answer as their structured form does, pages are followed within
the budget, and changes and deny-listed operations are refused unless allowed."""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.executor import CliExecutor
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import FLEET
from tests.unit.tools.services.calling import answers_as_declared, call, refused

IDS = "Reservations[].Instances[].InstanceId"
NAMES = "sort(Reservations[].Instances[].Tags[?Key=='Name'].Value[])"

# A command as people write it, and the same call as service, operation and parameters.
SAME_CALLS: list[tuple[str, dict[str, Any]]] = [
    (
        f'ec2 describe-instances --filters Name=tag:team,Values=payments --query "{NAMES}"',
        {
            "service": "ec2",
            "operation": "DescribeInstances",
            "parameters": {"Filters": [{"Name": "tag:team", "Values": ["payments"]}]},
            "query": NAMES,
        },
    ),
    (
        "ec2 describe-instances --filters "
        f'\'[{{"Name": "instance-state-name", "Values": ["stopped"]}}]\' --query "{NAMES}"',
        {
            "service": "ec2",
            "operation": "DescribeInstances",
            "parameters": {"Filters": [{"Name": "instance-state-name", "Values": ["stopped"]}]},
            "query": NAMES,
        },
    ),
    (
        f'ec2 describe-instances --page-size 3 --query "{NAMES}"',
        {"service": "ec2", "operation": "DescribeInstances", "query": NAMES},
    ),
    (
        "ec2 describe-instances --filters Name=tag:Name,Values=bastion,web-prod-1 "
        "--query length(Reservations[].Instances[])",
        {
            "service": "ec2",
            "operation": "describe-instances",
            "parameters": {"Filters": [{"Name": "tag:Name", "Values": ["bastion", "web-prod-1"]}]},
            "query": "length(Reservations[].Instances[])",
        },
    ),
]


@pytest.mark.parametrize(("command", "structured"), SAME_CALLS, ids=[c[:60] for c, _ in SAME_CALLS])
def test_a_command_answers_as_its_structured_form(
    registry: ToolRegistry, command: str, structured: dict[str, Any]
) -> None:
    by_command = call(registry, "aws_cli_run", command=command)
    assert by_command["result"] == call(registry, "aws_cli_run", **structured)["result"]
    assert by_command["result"]


def test_the_answer_is_what_the_demo_holds(registry: ToolRegistry) -> None:
    found = call(
        registry, "aws_cli_run", command=f'ec2 describe-instances --query "{NAMES}"', region="eu-west-1"
    )
    assert found["result"] == sorted(m.name for m in FLEET if m.region == "eu-west-1")


def test_pages_are_followed_and_merged(registry: ToolRegistry) -> None:
    found = call(registry, "aws_cli_run", command=f"ec2 describe-instances --page-size 2 --query {IDS}")
    assert found["pages"] == 4 and len(found["result"]) == 7 and "next_cursor" not in found


def test_an_answer_over_the_budget_stops_between_pages_with_a_cursor_for_the_rest(
    settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]]
) -> None:
    small = build_server(settings.with_changes(max_result_chars=3000), clients).registry
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = call(small, "aws_cli_run", command="ec2 describe-instances --page-size 1", cursor=cursor)
        seen += [i["InstanceId"] for r in page["result"]["Reservations"] for i in r["Instances"]]
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    assert sorted(seen) == sorted(fleet["us-east-1"]) and len(seen) == len(set(seen))


def test_max_items_keeps_that_many(registry: ToolRegistry) -> None:
    found = call(registry, "aws_cli_run", command="ec2 describe-instances --page-size 2 --max-items 3")
    assert sum(len(r["Instances"]) for r in found["result"]["Reservations"]) == 3


def test_a_change_is_refused_by_the_read_tool_naming_the_change_tool(registry: ToolRegistry) -> None:
    text = refused(registry, "aws_cli_run", command="ec2 stop-instances --instance-ids i-0123456789abcdef0")
    assert "aws_cli_change" in text


def test_a_read_only_server_does_not_serve_changes(
    clients: ClientFactory, fleet: dict[str, list[str]]
) -> None:
    registry = build_server(Settings(access_mode=AccessMode.READ_ONLY), clients).registry
    assert "aws_cli_change" not in registry.names and "aws_cli_run" in registry.names
    text = refused(registry, "aws_cli_run", command="ec2 terminate-instances --instance-ids i-1")
    assert "only reads" in text


def test_a_change_runs_in_read_write(registry: ToolRegistry, launch: Any) -> None:
    instance = launch("running")
    changed = call(
        registry,
        "aws_cli_change",
        command=f"ec2 create-tags --resources {instance} --tags Key=owner,Value=ana",
        region="ap-southeast-2",
    )
    assert changed["command"] == "ec2 create-tags"
    tags = boto3.client("ec2", region_name="ap-southeast-2").describe_tags(
        Filters=[{"Name": "resource-id", "Values": [instance]}]
    )["Tags"]
    assert {"Key": "owner", "Value": "ana"} in [{"Key": t["Key"], "Value": t["Value"]} for t in tags]


@pytest.mark.parametrize(
    "command",
    [
        "secretsmanager get-secret-value --secret-id prod/db",
        "kms decrypt --ciphertext-blob AAAA",
        "iam create-access-key --user-name bob",
        "ssm get-parameters-by-path --path /prod",
        "iam attach-role-policy --role-name r --policy-arn arn:aws:iam::aws:policy/AdministratorAccess",
    ],
)
def test_the_deny_list_refuses_secrets_and_access_changes_even_in_read_write(
    registry: ToolRegistry, command: str
) -> None:
    tool = "aws_cli_run" if command.split()[1].startswith(("get-", "decrypt")) else "aws_cli_change"
    assert "deny list" in refused(registry, tool, command=command)


def test_the_deny_list_can_be_extended(
    settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]]
) -> None:
    registry = build_server(settings.with_changes(cli_deny=("default", "ec2:Describe*")), clients).registry
    assert "ec2:Describe*" in refused(registry, "aws_cli_run", command="ec2 describe-instances")
    assert "deny list" in refused(
        registry, "aws_cli_run", command="secretsmanager get-secret-value --secret-id x"
    )


def test_a_stream_cannot_be_a_result(registry: ToolRegistry) -> None:
    assert "file's bytes" in refused(
        registry, "aws_cli_run", service="s3", operation="GetObject", parameters={"Bucket": "b", "Key": "k"}
    )


def test_profile_and_conflicting_regions_are_refused(registry: ToolRegistry) -> None:
    assert "account argument" in refused(
        registry, "aws_cli_run", command="ec2 describe-instances --profile prod"
    )
    assert "disagree" in refused(
        registry, "aws_cli_run", command="ec2 describe-instances --region eu-west-1", region="us-east-1"
    )


def test_every_refusal_leaves_one_audit_record_and_no_500(registry: ToolRegistry) -> None:
    outcome = registry.call(
        "aws_cli_run", {"command": "ec2 describe-instances --filters Nme=x"}, CallContext()
    )
    assert outcome.is_error and "Unknown parameter" in outcome.text


def test_the_examples_answer_as_declared(registry: ToolRegistry) -> None:
    answers_as_declared(registry, "aws_cli")


def test_the_python_api_runs_a_command_as_the_seed_shows(fleet: dict[str, list[str]]) -> None:
    executor = CliExecutor(region="eu-west-1", settings=Settings())
    found = asyncio.run(executor.run(f'ec2 describe-instances --query "{NAMES}"'))
    assert found["result"] == sorted(m.name for m in FLEET if m.region == "eu-west-1")
    assert (
        executor.run_sync("ec2 describe-instances --region us-east-1 --query length(Reservations)")["result"]
        == 7
    )


WORDS = st.sampled_from(
    [
        "ec2", "s3api", "sts", "nosuch", "describe-instances", "describe-volumes", "stop-instances",
        "get-caller-identity", "list-buckets", "--filters", "--instance-ids", "--query", "--region",
        "--max-items", "--page-size", "--output", "--dry-run", "--no-dry-run", "--cli-input-json",
        "--endpoint-url", "Name=x,Values=a,b", "Name=", "[", "{", "}", "'", '"', "--", "eu-west-1",
        "mars-1", "0", "-1", "99999999999", "Reservations[]", "Reservations[", "file://x", "i-1",
        '{"InstanceIds": ["i-1"]}', "a=b,a=c", "\\", "é", "",
    ]
)  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(WORDS, min_size=0, max_size=8).map(" ".join))
def test_any_command_gets_an_answer_or_a_clear_error_and_one_audit_record(
    read_only_registry: tuple[ToolRegistry, io.StringIO], command: str
) -> None:
    registry, lines = read_only_registry
    before = lines.getvalue().count('"audit"')
    outcome = registry.call("aws_cli_run", {"command": command}, CallContext())
    assert "Internal error" not in outcome.text
    assert lines.getvalue().count('"audit"') == before + 1


@pytest.fixture(scope="module")
def read_only_registry(fleet: dict[str, list[str]]) -> tuple[ToolRegistry, io.StringIO]:
    lines = io.StringIO()
    logger = Logger(service=f"cli-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(lines))
    settings = Settings(access_mode=AccessMode.READ_ONLY)
    factory = ClientFactory(settings, session=boto3.Session(region_name="us-east-1"))
    return build_server(settings, factory, logger=logger).registry, lines
