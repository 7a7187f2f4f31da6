"""EC2 tools against moto's EC2, through the registry as an agent would call them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.tools import build_registry
from aws_mcp.tools.registry import ToolOutcome, ToolRegistry
from tests.conftest import SCRATCH_REGION

Launch = Callable[[str], str]


@pytest.fixture
def registry(settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]]) -> ToolRegistry:
    return build_registry(settings, clients)


def call(registry: ToolRegistry, name: str, **arguments: Any) -> dict[str, Any]:
    outcome = registry.call(name, arguments, CallContext())
    assert not outcome.is_error, outcome.text
    assert outcome.structured is not None
    return outcome.structured


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
        assert result["next_cursor"] is None
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
        assert first["count"] == 5 and first["next_cursor"]
        second = call(registry, "ec2_list_instances", max_results=5, cursor=first["next_cursor"])
        assert second["next_cursor"] is None
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
        outcome = registry.call(
            "ec2_stop_instances", {"instance_ids": ["i-0123456789abcdef0"]}, CallContext()
        )
        assert outcome.is_error and "InvalidInstanceID" in outcome.text

    def test_an_empty_instance_list_is_refused(self, registry: ToolRegistry) -> None:
        outcome = registry.call("ec2_start_instances", {"instance_ids": []}, CallContext())
        assert outcome.is_error and "instance_ids" in outcome.text
