"""The official MCP Python SDK against the real server: ``aws-mcp serve --demo`` over HTTP, and stdio.

Each HTTP test runs twice: ``auto`` (the SDK probes ``server/discover`` and should settle on
2026-07-28) and ``legacy`` (the ``initialize`` handshake, which should settle on 2025-11-25).
Every test runs under a deadline so a wedged server fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from jsonschema import Draft202012Validator
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from aws_mcp.tools import CATALOG
from aws_mcp.tools.contract import SAMPLE_INSTANCE_ID

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from make_events import subset

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

MODES = [
    pytest.param("auto", "2026-07-28", id="auto"),
    pytest.param("legacy", "2025-11-25", id="legacy"),
]
READ_TIMEOUT_S = 20.0
TEST_TIMEOUT_S = 60.0
# The stdio server starts the embedded AWS before it answers: allow for that.
STDIO_TIMEOUT_S = 120.0
INVALID_PARAMS = -32602

READ_ONLY_TOOLS = {spec.name for spec in CATALOG if spec.read_only}
MUTATING_TOOLS = {spec.name for spec in CATALOG if spec.mutating}


@asynccontextmanager
async def connected(url: str, mode: str, timeout: float = TEST_TIMEOUT_S) -> AsyncIterator[Client]:
    with anyio.fail_after(timeout):
        async with Client(url, mode=mode, read_timeout_seconds=READ_TIMEOUT_S) as client:
            yield client


async def call_ok(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool that must succeed; check its result's shape; return its structured content."""
    result = await client.call_tool(name, arguments)
    text = _only_text(result)
    assert result.is_error is False, text
    assert result.structured_content is not None, f"{name} returned no structuredContent"
    # The text block is the structured content, serialized (the spec's backward-compatible copy).
    assert json.loads(text) == result.structured_content
    structured: dict[str, Any] = result.structured_content
    return structured


PLAN_TOKEN = re.compile(r'plus "confirmation": "([A-Za-z0-9_.-]+)"')


async def call_confirmed(client: Client, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    """A call as an agent makes it once the user agreed: a destructive change's plan (this client
    answers no elicitations) is answered by calling again with its confirmation token."""
    result = await client.call_tool(name, arguments)
    if result.is_error and (token := PLAN_TOKEN.search(_only_text(result))):
        result = await client.call_tool(name, {**arguments, "confirmation": token[1]})
    return result


def _only_text(result: types.CallToolResult) -> str:
    assert len(result.content) == 1
    block = result.content[0]
    assert isinstance(block, types.TextContent)
    return block.text


async def list_instances(client: Client, region: str = "us-east-1") -> list[dict[str, Any]]:
    listing = await call_ok(client, "ec2_list_instances", {"region": region})
    instances: list[dict[str, Any]] = listing["instances"]
    return instances


async def state_of(client: Client, instance_id: str, region: str = "us-east-1") -> str:
    described = await call_ok(client, "ec2_describe_instance", {"instance_id": instance_id, "region": region})
    state: str = described["instance"]["state"]
    return state


async def pick(client: Client, state: str, region: str = "us-east-1") -> str:
    ids: list[str] = [i["instance_id"] for i in await list_instances(client, region) if i["state"] == state]
    assert ids, f"the demo fleet has no {state} instance in {region} left"
    return ids[0]


# -- HTTP ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_the_sdk_negotiates_the_expected_protocol_version(
    demo_url: str, mode: str, version: str
) -> None:
    async with connected(demo_url, mode) as client:
        assert client.protocol_version == version
        assert client.server_info is not None
        assert client.server_info.name == "aws-mcp"
        assert client.server_capabilities.tools is not None


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_tools_are_listed_with_annotations_and_output_schemas(
    demo_url: str, mode: str, version: str
) -> None:
    async with connected(demo_url, mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert set(tools) == READ_ONLY_TOOLS | MUTATING_TOOLS
    for name, tool in tools.items():
        assert tool.title, name
        assert tool.description, name
        assert tool.input_schema.get("type") == "object", name
        assert tool.output_schema is not None and tool.output_schema.get("type") == "object", name
        Draft202012Validator.check_schema(tool.output_schema)
        Draft202012Validator.check_schema(tool.input_schema)
        hints = tool.annotations
        assert hints is not None, name
        # Reading and destroying are said outright (the spec's default, destructive, would misdescribe
        # a read); a hint left out takes the spec's cautious default: not idempotent, open world.
        assert None not in (hints.read_only_hint, hints.destructive_hint), name
        assert hints.read_only_hint is (name in READ_ONLY_TOOLS), name
        assert hints.idempotent_hint in (None, True) and hints.open_world_hint in (None, False), name
    assert tools["ec2_stop_instances"].annotations is not None
    assert tools["ec2_stop_instances"].annotations.destructive_hint is True


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_read_only_tools_return_structured_content_that_matches_their_text_and_schema(
    demo_url: str, mode: str, version: str
) -> None:
    async with connected(demo_url, mode) as client:
        schemas = {tool.name: tool.output_schema for tool in (await client.list_tools()).tools}

        whoami = await call_ok(client, "aws_whoami", {})
        assert whoami["region"] == "us-east-1"
        assert whoami["account"].isdigit()

        by_region = {region: await list_instances(client, region) for region in ("us-east-1", "eu-west-1")}
        assert all(by_region.values()), "the demo fleet has instances in both regions"
        listing = await call_ok(client, "ec2_list_instances", {})
        assert listing["count"] == len(listing["instances"]) == len(by_region["us-east-1"])

        instance_id = by_region["eu-west-1"][0]["instance_id"]
        described = await call_ok(
            client, "ec2_describe_instance", {"instance_id": instance_id, "region": "eu-west-1"}
        )
        assert described["instance"]["instance_id"] == instance_id

        for name, structured in (
            ("aws_whoami", whoami),
            ("ec2_list_instances", listing),
            ("ec2_describe_instance", described),
        ):
            Draft202012Validator(schemas[name]).validate(structured)


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_a_list_fans_out_over_the_demos_accounts_and_regions_in_one_call(
    demo_url: str, mode: str, version: str
) -> None:
    async with connected(demo_url, mode) as client:
        schemas = {tool.name: tool.output_schema for tool in (await client.list_tools()).tools}
        found = await call_ok(client, "ec2_list_instances", {"accounts": ["*"], "regions": ["*"]})
        Draft202012Validator(schemas["ec2_list_instances"]).validate(found)
        # prod, staging and sandbox, each in its two regions.
        assert found["fanout"]["targets"] == found["fanout"]["answered"] == 6
        assert {i["account"] for i in found["instances"]} == {"prod", "staging", "sandbox"}
        home = await call_ok(client, "ec2_list_instances", {"region": "eu-west-1"})
        in_prod_eu = [i for i in found["instances"] if (i["account"], i["region"]) == ("prod", "eu-west-1")]
        assert {i["instance_id"] for i in in_prod_eu} == {i["instance_id"] for i in home["instances"]}


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_dry_runs_of_start_and_stop_succeed_and_change_nothing(
    demo_url: str, mode: str, version: str
) -> None:
    async with connected(demo_url, mode) as client:
        stopped, running = await pick(client, "stopped"), await pick(client, "running")

        started = await call_ok(client, "ec2_start_instances", {"instance_ids": [stopped], "dry_run": True})
        halted = await call_ok(client, "ec2_stop_instances", {"instance_ids": [running], "dry_run": True})

        for outcome in (started, halted):
            assert outcome["dry_run"] is True
            assert outcome["changes"] == []
        assert await state_of(client, stopped) == "stopped"
        assert await state_of(client, running) == "running"


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_start_and_stop_change_instance_state(demo_url: str, mode: str, version: str) -> None:
    async with connected(demo_url, mode) as client:
        schemas = {tool.name: tool.output_schema for tool in (await client.list_tools()).tools}
        stopped, running = await pick(client, "stopped"), await pick(client, "running")

        started = await call_ok(client, "ec2_start_instances", {"instance_ids": [stopped]})
        # Stopping is destructive: this client answers no elicitations, so it gets a plan first.
        plan = await client.call_tool("ec2_stop_instances", {"instance_ids": [running]})
        token = PLAN_TOKEN.search(_only_text(plan))
        assert plan.is_error and token, _only_text(plan)
        halted = await call_ok(
            client, "ec2_stop_instances", {"instance_ids": [running], "confirmation": token[1]}
        )

        Draft202012Validator(schemas["ec2_start_instances"]).validate(started)
        Draft202012Validator(schemas["ec2_stop_instances"]).validate(halted)
        assert started["dry_run"] is False
        assert [(c["instance_id"], c["previous_state"]) for c in started["changes"]] == [(stopped, "stopped")]
        assert [(c["instance_id"], c["previous_state"]) for c in halted["changes"]] == [(running, "running")]
        assert await state_of(client, stopped) in {"pending", "running"}
        assert await state_of(client, running) in {"stopping", "stopped"}

        # Both changes are on the audit trail, with the client's identity, newest first.
        trail = await call_ok(client, "audit_query", {"tool": "ec2_stop_instances", "outcome": "success"})
        Draft202012Validator(schemas["audit_query"]).validate(trail)
        newest = trail["records"][0]
        # The confirmation shows on the record, its token redacted.
        assert newest["arguments"] == {"instance_ids": [running], "confirmation": "***redacted***"}
        assert newest["caller"] == "local" and newest["status"] == "complete" and newest["mutating"] is True
        assert newest["protocol_version"] == version and newest["aws_request_ids"]


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_an_unknown_tool_is_a_json_rpc_invalid_params_error(
    demo_url: str, mode: str, version: str
) -> None:
    async with connected(demo_url, mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("ec2_no_such_tool", {})
    assert caught.value.code == INVALID_PARAMS


@pytest.mark.parametrize(("mode", "version"), MODES)
@pytest.mark.parametrize(
    ("arguments", "mentions"),
    [
        pytest.param({}, "instance_id", id="missing"),
        pytest.param({"instance_id": "not-an-instance"}, "instance_id", id="malformed"),
        pytest.param({"instance_id": 42}, "instance_id", id="wrong-type"),
        pytest.param({"instance_id": "i-0123456789abcdef0", "colour": "red"}, "colour", id="unknown-field"),
    ],
)
async def test_invalid_arguments_come_back_as_an_error_result(
    demo_url: str, mode: str, version: str, arguments: dict[str, Any], mentions: str
) -> None:
    async with connected(demo_url, mode) as client:
        result = await client.call_tool("ec2_describe_instance", arguments)
    assert result.is_error is True
    assert result.structured_content is None
    assert mentions in _only_text(result)


# -- stdio -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_stdio_serves_the_same_tools(
    stdio_demo: StdioServerParameters, mode: str, version: str
) -> None:
    with anyio.fail_after(STDIO_TIMEOUT_S):
        async with Client(stdio_demo, mode=mode, read_timeout_seconds=READ_TIMEOUT_S * 3) as client:
            assert client.protocol_version == version
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert names == READ_ONLY_TOOLS | MUTATING_TOOLS
            whoami = await call_ok(client, "aws_whoami", {})
            assert whoami["region"] == "us-east-1"
            assert await list_instances(client, "eu-west-1")


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_every_tool_answers_its_example_calls_with_structured_content_its_schema_accepts(
    fresh_demo_url: str, mode: str, version: str
) -> None:
    """Each tool's declared examples, as the SDK sends them: the answer the example states, as
    ``structuredContent`` valid under the tool's ``outputSchema``, or the error it states."""
    async with connected(fresh_demo_url, mode, timeout=STDIO_TIMEOUT_S) as client:
        schemas = {tool.name: tool.output_schema for tool in (await client.list_tools()).tools}
        machines = {
            i["name"]: i["instance_id"]
            for region in ("us-east-1", "eu-west-1")
            for i in (await call_ok(client, "ec2_list_instances", {"region": region, "max_results": 100}))[
                "instances"
            ]
        }
        problems: list[str] = []
        for spec in CATALOG:
            for example in spec.examples:
                calls = [(example.arguments, example.answer)]
                if example.demo_machine:
                    seeded = json.dumps(example.arguments).replace(
                        SAMPLE_INSTANCE_ID, machines[example.demo_machine]
                    )
                    calls.append((json.loads(seeded), example.demo_answer))
                for arguments, answer in calls:
                    result = await call_confirmed(client, spec.name, arguments)
                    text = _only_text(result)
                    where = f"{spec.name}({json.dumps(arguments)})"
                    if answer is None:
                        if not result.is_error or not all(s in text for s in example.error_contains):
                            problems.append(
                                f"{where}: expected an error with {example.error_contains}: {text}"
                            )
                        continue
                    if result.is_error or result.structured_content is None:
                        problems.append(f"{where}: {text}")
                        continue
                    subset(answer, result.structured_content, where, problems)
                    problems += [
                        f"{where}: {e.message}"
                        for e in validator(schemas[spec.name]).iter_errors(result.structured_content)
                    ]
    assert problems == []


def validator(schema: dict[str, Any] | None) -> Draft202012Validator:
    assert schema is not None
    return Draft202012Validator(schema)


class TestConfirmingADestructiveChange:
    """The SDK's own MRTR loop (2026-07-28): our input-required result reaches its elicitation
    callback, and its answer decides. The instance is unknown, so a confirmed call reaches EC2
    and fails there, and nothing in the demo changes."""

    ARGUMENTS: dict[str, Any] = {"instance_ids": [SAMPLE_INSTANCE_ID]}

    async def answer_with(self, demo_url: str, action: str) -> tuple[types.CallToolResult, list[str]]:
        asked: list[str] = []

        async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
            asked.append(params.message)
            content = {"confirm": True} if action == "accept" else None
            return types.ElicitResult(action=action, content=content)  # type: ignore[arg-type]

        with anyio.fail_after(TEST_TIMEOUT_S):
            async with Client(
                demo_url, read_timeout_seconds=READ_TIMEOUT_S, elicitation_callback=elicit
            ) as client:
                result = await client.call_tool("ec2_stop_instances", self.ARGUMENTS)
        return result, asked

    async def test_an_accepted_elicitation_runs_the_change(self, demo_url: str) -> None:
        result, asked = await self.answer_with(demo_url, "accept")
        (message,) = asked
        assert "ec2_stop_instances" in message and SAMPLE_INSTANCE_ID in message and "us-east-1" in message
        assert result.is_error and "InvalidInstanceID" in _only_text(result)

    async def test_a_declined_elicitation_changes_nothing(self, demo_url: str) -> None:
        result, asked = await self.answer_with(demo_url, "decline")
        assert len(asked) == 1
        assert result.is_error and "not confirmed (decline)" in _only_text(result)
