"""Integrations tools against the demo's integrations (moto), through the registry as an agent calls them."""

from __future__ import annotations

import json

import pytest

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import seed, table_names
from aws_mcp_local.demo.estate.integrations import BROKEN_WEBHOOK, DEMO_HOOK_TOKEN, DEMO_INTEGRATIONS, TABLE
from tests.unit.tools.services.calling import answers_as_declared, call


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("integrations",))


@pytest.fixture
def registry(settings: Settings, clients: ClientFactory, estate: None) -> ToolRegistry:
    return build_server(settings.with_changes(integrations_table=TABLE), clients).registry


def test_the_demo_part_writes_to_the_demo_table() -> None:
    assert table_names()["integrations"] == TABLE


def test_the_examples_answer_as_declared(registry: ToolRegistry) -> None:
    answers_as_declared(registry, "integrations_")


def test_the_list_says_which_integration_is_failing_since_when_and_why(registry: ToolRegistry) -> None:
    listed = call(registry, "integrations_list")
    assert listed["count"] == len(DEMO_INTEGRATIONS)
    failing = [i for i in listed["integrations"] if i["status"] == "ERROR"]
    assert [i["name"] for i in failing] == [BROKEN_WEBHOOK]
    assert failing[0]["failing_since"] and "Connection" in failing[0]["last_error"]


def test_health_shows_the_checks_and_the_status_changes_with_their_causes(registry: ToolRegistry) -> None:
    health = call(registry, "integrations_health", integration=BROKEN_WEBHOOK)
    assert health["recent_checks"][0]["healthy"] is False
    assert [t["to_status"] for t in health["transitions"]] == ["ERROR", "TESTING"]


def test_a_test_of_a_failing_integration_reports_it_unhealthy(registry: ToolRegistry) -> None:
    tested = call(registry, "integrations_test", integration=BROKEN_WEBHOOK)
    assert (tested["healthy"], tested["status"]) == (False, "ERROR")


def test_no_answer_audit_or_log_line_shows_a_secret(
    registry: ToolRegistry, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    texts = []
    for name, args in (
        ("integrations_list", {}),
        ("integrations_health", {"integration": BROKEN_WEBHOOK}),
        ("integrations_test", {"integration": BROKEN_WEBHOOK}),
    ):
        texts.append(registry.call(name, args, CallContext()).text)
    # Every log record whole (the audit trail's carry each call's record under ``audit``).
    records = [json.dumps(vars(r), default=str) for r in caplog.records]
    assert sum('"call_id"' in r for r in records) == 3  # the three calls' audit records were there
    captured = capsys.readouterr()
    for text in (*texts, *records, captured.out, captured.err):
        for secret in ("demo-chat-token", "demo-signing-secret", DEMO_HOOK_TOKEN, "/hooks/ops"):
            assert secret not in text, secret
    listed = json.loads(texts[0])
    (hook,) = [i for i in listed["integrations"] if i["name"] == BROKEN_WEBHOOK]
    assert (hook.get("endpoint"), hook.get("endpoint_secret")) in (
        (None, None),
        ("http://127.0.0.1:9/…", True),
    )


def test_an_unknown_integration_is_a_tool_error_naming_the_way_out(registry: ToolRegistry) -> None:
    outcome = registry.call("integrations_health", {"integration": "nope"}, CallContext())
    assert outcome.is_error and "integrations_list" in outcome.text


def test_without_an_integrations_table_the_tools_say_so(settings: Settings, clients: ClientFactory) -> None:
    bare = build_server(settings, clients).registry
    outcome = bare.call("integrations_list", {}, CallContext())
    assert outcome.is_error and "no integrations table" in outcome.text
