"""EC2 tools against moto's EC2, through the registry as an agent would call them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools.contract import ToolOutcome
from aws_mcp.tools.registry import ToolRegistry
from tests.conftest import SCRATCH_REGION
from tests.unit.tools.services.calling import call, confirmed

Launch = Callable[[str], str]


def names(result: dict[str, Any]) -> set[str]:
    return {i["name"] for i in result["instances"]}


def state_of(registry: ToolRegistry, instance_id: str) -> str:
    region = SCRATCH_REGION
    return str(
        call(registry, "ec2_describe_instance", instance_id=instance_id, region=region)["instance"]["state"]
    )


class TestListInstances:
    def test_lists_the_default_region(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_instances")
        assert result["region"] == "us-east-1"
        assert result["count"] == 7 == len(result["instances"])
        assert result.get("next_cursor") is None
        web = next(i for i in result["instances"] if i["name"] == "web-prod-1")
        assert web["tags"]["team"] == "storefront" and web["instance_type"] == "t3.medium"
        assert web["launch_time"].endswith("+00:00")

    def test_lists_another_region_when_asked(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_instances", region="eu-west-1")
        assert names(result) == {"api-eu-prod-1", "web-eu-prod-1", "reporting-eu-1", "legacy-batch"}

    def test_filters_by_state(self, registry: ToolRegistry) -> None:
        assert names(call(registry, "ec2_list_instances", states=["stopped"])) == {
            "web-staging-1",
            "ml-train-1",
        }

    def test_filters_by_every_tag_given(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_instances", tags={"team": "payments", "service": "api"})
        assert names(result) == {"api-prod-1"}

    def test_a_star_matches_any_value_of_a_tag_key(self, registry: ToolRegistry) -> None:
        assert call(registry, "ec2_list_instances", tags={"env": "*"})["count"] == 7
        assert call(registry, "ec2_list_instances", tags={"owner": "*"})["count"] == 0

    def test_filters_by_instance_ids(self, registry: ToolRegistry, fleet: dict[str, list[str]]) -> None:
        wanted = fleet["us-east-1"][:2]
        result = call(registry, "ec2_list_instances", instance_ids=wanted)
        assert {i["instance_id"] for i in result["instances"]} == set(wanted)

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        first = call(registry, "ec2_list_instances", max_results=5)
        assert first["count"] == 5 and first.get("next_cursor")
        second = call(registry, "ec2_list_instances", max_results=5, cursor=first.get("next_cursor"))
        assert second.get("next_cursor") is None
        ids = [i["instance_id"] for i in first["instances"] + second["instances"]]
        assert len(ids) == len(set(ids)) == 7

    @pytest.mark.parametrize(
        "arguments",
        [{"states": ["sleeping"]}, {"max_results": 1}, {"instance_ids": ["vol-123"]}, {"tags": ["env"]}],
    )
    def test_invalid_filters_are_a_tool_error(
        self, registry: ToolRegistry, arguments: dict[str, Any]
    ) -> None:
        outcome = registry.call("ec2_list_instances", arguments, CallContext())
        assert outcome.is_error and "Invalid arguments for ec2_list_instances" in outcome.text

    def test_a_cursor_refuses_filters_other_than_those_it_was_made_for(self, registry: ToolRegistry) -> None:
        first = call(registry, "ec2_list_instances", tags={"env": "*"}, max_results=5)
        for other in ({}, {"tags": {"env": "prod"}}, {"tags": {"env": "*"}, "region": "eu-west-1"}):
            outcome = registry.call(
                "ec2_list_instances", {**other, "cursor": first.get("next_cursor")}, CallContext()
            )
            assert outcome.is_error and "other filters" in outcome.text
        rest = call(registry, "ec2_list_instances", tags={"env": "*"}, cursor=first.get("next_cursor"))
        assert first["count"] + rest["count"] == 7

    def test_following_pages_keeps_the_first_calls_page_size(self, registry: ToolRegistry) -> None:
        first = call(registry, "ec2_list_instances", max_results=5)
        second = call(registry, "ec2_list_instances", max_results=50, cursor=first.get("next_cursor"))
        assert second["count"] == 2 and second.get("next_cursor") is None

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            "%%%",
            "eyJ0IjogNX0",  # {"t": 5}: well-formed, not ours
            "eyJkYXkiOiAibm90LWEtZGF0ZSJ9",  # {"day": "not-a-date"}
        ],
    )
    def test_a_malformed_cursor_is_an_invalid_argument_saying_to_start_again(
        self, registry: ToolRegistry, cursor: str
    ) -> None:
        outcome = registry.call("ec2_list_instances", {"cursor": cursor}, CallContext())
        assert outcome.is_error and "Invalid cursor" in outcome.text and "without cursor" in outcome.text
        assert "Internal error" not in outcome.text

    def test_a_forged_position_under_a_valid_binding_is_refused(self, registry: ToolRegistry) -> None:
        from aws_mcp.tools.paging import bind

        question = {"region": "us-east-1", "states": [], "tags": {}, "instance_ids": []}
        for position in ({"t": 5, "n": 25}, {"t": None, "o": -1, "n": 25}, {"t": None, "n": 10**6}):
            outcome = registry.call("ec2_list_instances", {"cursor": bind(position, question)}, CallContext())
            assert outcome.is_error and "Invalid cursor" in outcome.text

    def test_fields_choose_the_columns_of_a_compact_answer(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_instances", fields=["name", "state"])
        assert result["count"] == 7
        assert all(set(i) == {"instance_id", "name", "state"} for i in result["instances"])

    @pytest.mark.parametrize(
        "arguments",
        [
            {"tags": {f"k{n}": "v" for n in range(21)}},
            {"tags": {"k" * 129: "v"}},
            {"tags": {"k": "v" * 257}},
            {"states": ["running"] * 7},
            {"cursor": "x" * 5000},
            {"fields": ["name"] * 9},
            {"region": "us-east-1" * 10},
        ],
    )
    def test_every_list_and_string_argument_is_bounded(
        self, registry: ToolRegistry, arguments: dict[str, Any]
    ) -> None:
        outcome = registry.call("ec2_list_instances", arguments, CallContext())
        assert outcome.is_error and "Invalid arguments" in outcome.text

    def test_the_schema_states_the_bounds(self, registry: ToolRegistry) -> None:
        (definition,) = [d for d in registry.definitions() if d["name"] == "ec2_list_instances"]
        properties = definition["inputSchema"]["properties"]
        assert properties["tags"]["maxProperties"] == 20
        assert properties["states"]["maxItems"] == 6
        assert properties["cursor"]["maxLength"] == 4096


@pytest.fixture(scope="module")
def crowded(aws: None) -> str:
    """40 instances with 8 long tags each, alone in a region of their own."""
    import boto3

    from aws_mcp_local.demo import DEMO_IMAGE

    region = "ca-central-1"
    tags: Any = [{"Key": f"tag-{n}", "Value": f"value-{n}-" + "x" * 40} for n in range(8)]
    boto3.client("ec2", region_name=region).run_instances(
        ImageId=DEMO_IMAGE,
        MinCount=40,
        MaxCount=40,
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
    )
    return region


class TestResultBudget:
    """Results stay within AWS_MCP_MAX_RESULT_CHARS: pages are cut at an item and continue by cursor."""

    def test_the_default_page_fits_the_default_budget_and_says_when_it_was_cut(
        self, registry: ToolRegistry, crowded: str
    ) -> None:
        outcome = registry.call("ec2_list_instances", {"region": crowded}, CallContext())
        assert not outcome.is_error and len(outcome.text) <= 16_000
        assert outcome.structured is not None
        assert "Cut to" in outcome.structured["truncated"] and outcome.structured.get("next_cursor")

    def test_cut_pages_continue_without_gaps_or_repeats(
        self, settings: Settings, clients: ClientFactory, crowded: str
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=3000), clients).registry
        seen: list[str] = []
        cursor = None
        for _ in range(40):
            outcome = registry.call(
                "ec2_list_instances", {"region": crowded, "max_results": 12, "cursor": cursor}, CallContext()
            )
            assert not outcome.is_error, outcome.text
            assert len(outcome.text) <= 3000 and outcome.structured is not None
            seen += [i["instance_id"] for i in outcome.structured["instances"]]
            cursor = outcome.structured.get("next_cursor")
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 40

    def test_fewer_fields_fit_more_instances(
        self, settings: Settings, clients: ClientFactory, crowded: str
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=3000), clients).registry
        full = call(registry, "ec2_list_instances", region=crowded, max_results=40)
        compact = call(registry, "ec2_list_instances", region=crowded, max_results=40, fields=["state"])
        assert full["count"] < compact["count"]

    def test_a_result_that_cannot_be_cut_is_refused_with_how_to_ask_for_less(
        self, settings: Settings, clients: ClientFactory, crowded: str
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=1000), clients).registry
        instance = call(registry, "ec2_list_instances", region=crowded, max_results=5, fields=["state"])
        outcome = registry.call(
            "ec2_describe_instance",
            {"region": crowded, "instance_id": instance["instances"][0]["instance_id"]},
            CallContext(),
        )
        assert outcome.is_error and "AWS_MCP_MAX_RESULT_CHARS" in outcome.text


class TestDescribeInstance:
    def test_shows_placement_network_and_volumes(
        self, registry: ToolRegistry, fleet: dict[str, list[str]]
    ) -> None:
        instance = call(registry, "ec2_describe_instance", instance_id=fleet["us-east-1"][0])["instance"]
        assert instance["name"] == "web-prod-1"
        assert instance["image_id"].startswith("ami-")
        assert instance["vpc_id"].startswith("vpc-") and instance["subnet_id"].startswith("subnet-")
        assert instance["volumes"] and instance["volumes"][0]["volume_id"].startswith("vol-")

    def test_an_unknown_instance_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        outcome: ToolOutcome = registry.call(
            "ec2_describe_instance", {"instance_id": "i-0123456789abcdef0"}, CallContext()
        )
        assert outcome.is_error
        assert "InvalidInstanceID.NotFound" in outcome.text and "i-0123456789abcdef0" in outcome.text


class TestRebootAndTerminate:
    """Each test works on instances of its own in a scratch region: the seeded fleet stays as seeded."""

    def test_reboot_names_the_instances_it_was_asked_for_and_leaves_them_running(
        self, registry: ToolRegistry, launch: Launch
    ) -> None:
        running = launch("running")
        result = call(registry, "ec2_reboot_instances", instance_ids=[running], region=SCRATCH_REGION)
        assert result["dry_run"] is False and result["instance_ids"] == [running]
        assert "Reboot requested for 1" in result["message"]
        assert state_of(registry, running) == "running"

    def test_terminate_moves_an_instance_towards_terminated(
        self, registry: ToolRegistry, launch: Launch
    ) -> None:
        running = launch("running")
        result = call(registry, "ec2_terminate_instances", instance_ids=[running], region=SCRATCH_REGION)
        (change,) = result["changes"]
        assert change["instance_id"] == running and change["previous_state"] == "running"
        assert change["current_state"] in {"shutting-down", "terminated"}
        assert state_of(registry, running) in {"shutting-down", "terminated"}

    @pytest.mark.parametrize("tool", ["ec2_reboot_instances", "ec2_terminate_instances"])
    def test_a_dry_run_asks_ec2_and_changes_nothing(
        self, registry: ToolRegistry, launch: Launch, tool: str
    ) -> None:
        mine = [launch("running"), launch("stopped")]
        result = call(registry, tool, instance_ids=mine, dry_run=True, region=SCRATCH_REGION)
        assert result["dry_run"] is True and "Dry run succeeded" in result["message"]
        assert [state_of(registry, i) for i in mine] == ["running", "stopped"]

    @pytest.mark.parametrize("tool", ["ec2_reboot_instances", "ec2_terminate_instances"])
    def test_an_unknown_instance_is_a_tool_error_naming_it(self, registry: ToolRegistry, tool: str) -> None:
        outcome = confirmed(registry, tool, {"instance_ids": ["i-0123456789abcdef0"]})
        assert outcome.is_error
        assert "InvalidInstanceID.NotFound" in outcome.text and "i-0123456789abcdef0" in outcome.text

    def test_the_terminate_description_says_termination_is_permanent(self, registry: ToolRegistry) -> None:
        (definition,) = [d for d in registry.definitions() if d["name"] == "ec2_terminate_instances"]
        assert "permanently" in definition["description"]
        assert definition["annotations"]["destructiveHint"] is True
        assert definition["annotations"]["idempotentHint"] is True

    @pytest.mark.parametrize("tool", ["ec2_reboot_instances", "ec2_terminate_instances"])
    def test_read_only_mode_refuses_them_and_the_instance_is_untouched(
        self, settings: Settings, clients: ClientFactory, launch: Launch, tool: str
    ) -> None:
        running = launch("running")
        read_only = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
        with pytest.raises(ProtocolError, match="ReadOnly"):
            read_only.call(tool, {"instance_ids": [running], "region": SCRATCH_REGION}, CallContext())
        assert state_of(build_server(settings, clients).registry, running) == "running"

    @pytest.mark.parametrize(
        ("tool", "operation"),
        [("ec2_reboot_instances", "reboot_instances"), ("ec2_terminate_instances", "terminate_instances")],
    )
    def test_access_denied_and_throttling_are_told_apart(
        self, registry: ToolRegistry, clients: ClientFactory, tool: str, operation: str
    ) -> None:
        region = "eu-south-1"
        arguments = {"instance_ids": ["i-0123456789abcdef0"], "region": region}
        with Stubber(clients.client("ec2", region)) as stubber:
            stubber.add_client_error(operation, "UnauthorizedOperation", http_status_code=403)
            stubber.add_client_error(operation, "RequestLimitExceeded", http_status_code=503)
            denied = confirmed(registry, tool, arguments)
            throttled = confirmed(registry, tool, arguments)
        assert denied.is_error and "denied" in denied.text and "UnauthorizedOperation" in denied.text
        assert (
            throttled.is_error and "transient" in throttled.text and "RequestLimitExceeded" in throttled.text
        )


class TestStartAndStop:
    """Each test works on instances of its own in a scratch region: the seeded fleet stays as seeded."""

    def test_start_moves_a_stopped_instance(self, registry: ToolRegistry, launch: Launch) -> None:
        stopped = launch("stopped")
        result = call(registry, "ec2_start_instances", instance_ids=[stopped], region=SCRATCH_REGION)
        assert result["dry_run"] is False
        assert result["changes"] == [
            {"instance_id": stopped, "previous_state": "stopped", "current_state": "pending"}
        ]
        assert state_of(registry, stopped) in {"pending", "running"}

    def test_stop_moves_a_running_instance(self, registry: ToolRegistry, launch: Launch) -> None:
        running = launch("running")
        result = call(registry, "ec2_stop_instances", instance_ids=[running], region=SCRATCH_REGION)
        assert result["changes"][0]["previous_state"] == "running"
        assert state_of(registry, running) in {"stopping", "stopped"}

    @pytest.mark.parametrize("tool", ["ec2_start_instances", "ec2_stop_instances"])
    def test_a_dry_run_asks_ec2_and_changes_nothing(
        self, registry: ToolRegistry, launch: Launch, tool: str
    ) -> None:
        mine = [launch("running"), launch("stopped")]
        before = [state_of(registry, i) for i in mine]
        result = call(registry, tool, instance_ids=mine, dry_run=True, region=SCRATCH_REGION)
        assert result["dry_run"] is True and result["changes"] == []
        assert "Dry run succeeded" in result["message"]
        assert [state_of(registry, i) for i in mine] == before == ["running", "stopped"]

    def test_stopping_an_unknown_instance_is_a_tool_error(self, registry: ToolRegistry) -> None:
        outcome = confirmed(registry, "ec2_stop_instances", {"instance_ids": ["i-0123456789abcdef0"]})
        assert outcome.is_error and "InvalidInstanceID" in outcome.text

    def test_an_empty_instance_list_is_refused(self, registry: ToolRegistry) -> None:
        outcome = registry.call("ec2_start_instances", {"instance_ids": []}, CallContext())
        assert outcome.is_error and "instance_ids" in outcome.text
