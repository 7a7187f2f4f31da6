"""Auto Scaling tools against moto, through the registry as an agent would call them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import DEMO_IMAGE, seed
from tests.conftest import SCRATCH_REGION
from tests.unit.tools.services.calling import call, refused

STOREFRONT = "storefront-web-asg"


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    # This order attaches the group when the target group comes; test_elb seeds the other order.
    seed(endpoint_url=None, parts=("autoscaling", "elb"))


def group(registry: ToolRegistry, name: str, region: str = "us-east-1") -> dict[str, Any]:
    found = call(registry, "autoscaling_list_groups", group_names=[name], region=region)["groups"]
    assert len(found) == 1
    return dict(found[0])


@pytest.fixture(scope="module")
def crowded(aws: None) -> str:
    """Twelve empty groups with eight long tags each, alone in a region of their own."""
    region = "ca-central-1"
    boto3.client("ec2", region_name=region).create_launch_template(
        LaunchTemplateName="crowd", LaunchTemplateData={"ImageId": DEMO_IMAGE}
    )
    autoscaling = boto3.client("autoscaling", region_name=region)
    for n in range(12):
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=f"crowd-{n:02}",
            LaunchTemplate={"LaunchTemplateName": "crowd"},
            MinSize=0,
            MaxSize=1,
            DesiredCapacity=0,
            AvailabilityZones=[f"{region}a"],
            Tags=[
                {"Key": f"tag-{t}", "Value": f"value-{t}-" + "x" * 40, "PropagateAtLaunch": False}
                for t in range(8)
            ],
        )
    return region


@pytest.fixture
def scratch_group(aws: None) -> str:
    """A group of its own in the scratch region: 1 to 3 instances, running 1."""
    name = f"scratch-{uuid.uuid4().hex[:8]}"
    boto3.client("ec2", region_name=SCRATCH_REGION).create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": DEMO_IMAGE}
    )
    boto3.client("autoscaling", region_name=SCRATCH_REGION).create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": name},
        MinSize=1,
        MaxSize=3,
        DesiredCapacity=1,
        AvailabilityZones=[f"{SCRATCH_REGION}a"],
    )
    return name


class TestListGroups:
    def test_a_group_shows_its_capacity_instances_launch_template_and_target_groups(
        self, registry: ToolRegistry
    ) -> None:
        found = group(registry, STOREFRONT)
        assert (found["min_size"], found["desired_capacity"], found["max_size"]) == (2, 2, 4)
        assert found["instances"] == {
            "total": 2,
            "by_lifecycle_state": {"InService": 2},
            "by_health": {"Healthy": 2},
        }
        assert found["launch_template"] == "storefront-web ($Latest)"
        assert found.get("launch_configuration") is None
        assert found["target_groups"] == ["storefront-web"]
        assert found["availability_zones"] == ["us-east-1a", "us-east-1b"]
        assert found["health_check_type"] == "ELB"
        assert found["tags"] == {"Name": "storefront-web", "team": "storefront", "service": "web"}

    def test_a_group_scaled_to_zero_names_its_launch_configuration(self, registry: ToolRegistry) -> None:
        found = group(registry, "reports-batch-asg")
        assert found["launch_configuration"] == "reports-batch" and found.get("launch_template") is None
        assert found["instances"] == {"total": 0, "by_lifecycle_state": {}, "by_health": {}}

    def test_filters_by_every_tag_given_and_a_star_matches_any_value(self, registry: ToolRegistry) -> None:
        def names(**tags: str) -> set[str]:
            return {g["name"] for g in call(registry, "autoscaling_list_groups", tags=tags)["groups"]}

        assert names(team="storefront") == {STOREFRONT}
        assert names(team="storefront", service="batch") == set()
        assert names(team="*") == {STOREFRONT, "reports-batch-asg"}
        assert names(owner="*") == set()

    def test_fields_choose_the_columns_of_a_compact_answer(self, registry: ToolRegistry) -> None:
        result = call(registry, "autoscaling_list_groups", fields=["desired_capacity"])
        assert result["groups"] == [
            {"name": STOREFRONT, "desired_capacity": 2},
            {"name": "reports-batch-asg", "desired_capacity": 0},
        ]

    def test_a_region_without_groups_answers_none(self, registry: ToolRegistry) -> None:
        result = call(registry, "autoscaling_list_groups", region="eu-west-1")
        assert result["count"] == 0 and result["groups"] == [] and result.get("next_cursor") is None

    def test_pages_follow_the_cursor_without_gaps_or_repeats(
        self, registry: ToolRegistry, crowded: str
    ) -> None:
        seen: list[str] = []
        cursor = None
        for _ in range(5):
            page = call(registry, "autoscaling_list_groups", region=crowded, max_results=5, cursor=cursor)
            seen += [g["name"] for g in page["groups"]]
            cursor = page.get("next_cursor")
            if cursor is None:
                break
        assert seen == [f"crowd-{n:02}" for n in range(12)]

    def test_a_cursor_refuses_filters_other_than_those_it_was_made_for(
        self, registry: ToolRegistry, crowded: str
    ) -> None:
        first = call(registry, "autoscaling_list_groups", region=crowded, tags={"tag-0": "*"}, max_results=5)
        for other in ({"region": crowded}, {"tags": {"tag-0": "*"}}):
            text = refused(registry, "autoscaling_list_groups", **other, cursor=first.get("next_cursor"))
            assert "other filters" in text
        rest = call(
            registry,
            "autoscaling_list_groups",
            region=crowded,
            tags={"tag-0": "*"},
            cursor=first.get("next_cursor"),
        )
        assert rest["count"] == 5 and rest.get("next_cursor")  # the first call's page size holds

    def test_a_page_over_the_budget_is_cut_at_a_group_and_continues(
        self, settings: Settings, clients: ClientFactory, crowded: str
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=3000), clients).registry
        seen: list[str] = []
        cursor = None
        for _ in range(12):
            outcome = registry.call(
                "autoscaling_list_groups",
                {"region": crowded, "max_results": 12, "cursor": cursor},
                CallContext(),
            )
            assert not outcome.is_error and outcome.structured is not None, outcome.text
            assert len(outcome.text) <= 3000
            seen += [g["name"] for g in outcome.structured["groups"]]
            cursor = outcome.structured.get("next_cursor")
            if cursor is None:
                break
            assert "Cut to" in outcome.structured["truncated"]
        assert seen == [f"crowd-{n:02}" for n in range(12)]

    @pytest.mark.parametrize(
        "arguments",
        [
            {"tags": {f"k{n}": "v" for n in range(11)}},
            {"group_names": ["a"] * 51},
            {"group_names": ["x" * 256]},
            {"fields": ["colour"]},
            {"max_results": 101},
            {"cursor": "x" * 5000},
        ],
    )
    def test_every_list_and_string_argument_is_bounded(
        self, registry: ToolRegistry, arguments: dict[str, Any]
    ) -> None:
        assert "Invalid arguments" in refused(registry, "autoscaling_list_groups", **arguments)

    def test_access_denied_and_throttling_are_told_apart(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("autoscaling", "us-east-1")) as stubber:
            stubber.add_client_error("describe_auto_scaling_groups", "AccessDenied", http_status_code=403)
            stubber.add_client_error("describe_auto_scaling_groups", "Throttling", http_status_code=400)
            denied = refused(registry, "autoscaling_list_groups")
            throttled = refused(registry, "autoscaling_list_groups")
        assert "denied" in denied and "a retry will not help" in denied
        assert "Throttling" in throttled and "transient" in throttled


class TestSetDesiredCapacity:
    def test_raising_it_launches_instances(self, registry: ToolRegistry, scratch_group: str) -> None:
        result = call(
            registry,
            "autoscaling_set_desired_capacity",
            group_name=scratch_group,
            desired_capacity=3,
            region=SCRATCH_REGION,
        )
        assert (result["previous_desired_capacity"], result["desired_capacity"]) == (1, 3)
        assert (result["min_size"], result["max_size"]) == (1, 3)
        assert "2 instance(s) launch" in result["message"]
        assert group(registry, scratch_group, SCRATCH_REGION)["instances"]["total"] == 3

    def test_lowering_it_says_instances_are_terminated(
        self, registry: ToolRegistry, scratch_group: str
    ) -> None:
        arguments = {"group_name": scratch_group, "region": SCRATCH_REGION}
        call(registry, "autoscaling_set_desired_capacity", **arguments, desired_capacity=3)
        result = call(registry, "autoscaling_set_desired_capacity", **arguments, desired_capacity=1)
        assert (
            "lowered from 3 to 1" in result["message"] and "2 instance(s) are terminated" in result["message"]
        )
        assert group(registry, scratch_group, SCRATCH_REGION)["desired_capacity"] == 1

    def test_the_same_value_again_changes_nothing(self, registry: ToolRegistry) -> None:
        result = call(registry, "autoscaling_set_desired_capacity", group_name=STOREFRONT, desired_capacity=2)
        assert result["previous_desired_capacity"] == result["desired_capacity"] == 2
        assert "nothing changes" in result["message"]

    @pytest.mark.parametrize("wanted", [5, 1])
    def test_a_value_outside_min_and_max_is_refused_without_asking_aws_to_change(
        self, registry: ToolRegistry, clients: ClientFactory, wanted: int
    ) -> None:
        current = boto3.client("autoscaling", region_name="us-east-1").describe_auto_scaling_groups(
            AutoScalingGroupNames=[STOREFRONT]
        )
        # Only the look-up is answered: a SetDesiredCapacity call would fail the stubber loudly.
        with Stubber(clients.client("autoscaling", "us-east-1")) as stubber:
            stubber.add_response(
                "describe_auto_scaling_groups",
                {"AutoScalingGroups": current["AutoScalingGroups"]},
                {"AutoScalingGroupNames": [STOREFRONT]},
            )
            text = refused(
                registry, "autoscaling_set_desired_capacity", group_name=STOREFRONT, desired_capacity=wanted
            )
            stubber.assert_no_pending_responses()
        assert f"desired_capacity {wanted} is outside" in text and "2 to 4 instances" in text
        assert "Nothing was changed" in text
        assert group(registry, STOREFRONT)["desired_capacity"] == 2

    def test_honor_cooldown_is_passed_to_aws(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        current = boto3.client("autoscaling", region_name="us-east-1").describe_auto_scaling_groups(
            AutoScalingGroupNames=[STOREFRONT]
        )
        with Stubber(clients.client("autoscaling", "us-east-1")) as stubber:
            stubber.add_response(
                "describe_auto_scaling_groups", {"AutoScalingGroups": current["AutoScalingGroups"]}
            )
            stubber.add_client_error(
                "set_desired_capacity",
                "ScalingActivityInProgress",
                "Scaling activity is in progress and blocks this action",
                expected_params={
                    "AutoScalingGroupName": STOREFRONT,
                    "DesiredCapacity": 3,
                    "HonorCooldown": True,
                },
            )
            text = refused(
                registry,
                "autoscaling_set_desired_capacity",
                group_name=STOREFRONT,
                desired_capacity=3,
                honor_cooldown=True,
            )
        assert "ScalingActivityInProgress" in text

    def test_an_unknown_group_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        text = refused(
            registry, "autoscaling_set_desired_capacity", group_name="no-such-group", desired_capacity=1
        )
        assert "not found" in text and "no-such-group" in text

    def test_read_only_mode_refuses_it(self, clients: ClientFactory, estate: None) -> None:
        registry = build_server(Settings(access_mode=AccessMode.READ_ONLY), clients).registry
        assert "autoscaling_set_desired_capacity" not in registry.names
        with pytest.raises(ProtocolError) as raised:
            registry.call(
                "autoscaling_set_desired_capacity",
                {"group_name": STOREFRONT, "desired_capacity": 3},
                CallContext(),
            )
        assert "ReadOnly" in raised.value.message

    @pytest.mark.parametrize("arguments", [{"desired_capacity": -1}, {"desired_capacity": 10_001}, {}])
    def test_the_capacity_is_bounded_and_required(
        self, registry: ToolRegistry, arguments: dict[str, Any]
    ) -> None:
        text = refused(registry, "autoscaling_set_desired_capacity", group_name=STOREFRONT, **arguments)
        assert "Invalid arguments" in text


def activity(n: int, start: datetime, status: str = "Successful") -> dict[str, Any]:
    return {
        "ActivityId": f"a-{n}",
        "AutoScalingGroupName": STOREFRONT,
        "Description": f"Launching a new EC2 instance: i-0{n:016x}",
        "Cause": f"At {start:%Y-%m-%dT%H:%M:%SZ} a user request update of AutoScalingGroup constraints "
        "changed the desired capacity from 2 to 3. " + "x" * 200,
        "StartTime": start,
        "EndTime": start + timedelta(minutes=1),
        "StatusCode": status,
        "Progress": 100,
    }


Activities = Callable[..., dict[str, Any]]


class TestListActivities:
    """moto keeps no scaling activities (it answers none); their shaping is checked on AWS-shaped answers."""

    def test_a_group_moto_keeps_no_activities_for_answers_none(self, registry: ToolRegistry) -> None:
        result = call(registry, "autoscaling_list_activities", group_name=STOREFRONT)
        assert result == {
            "count": 0,
            "region": "us-east-1",
            "group_name": STOREFRONT,
            "activities": [],
        }

    def test_an_unknown_group_is_a_tool_error_not_an_empty_list(self, registry: ToolRegistry) -> None:
        text = refused(registry, "autoscaling_list_activities", group_name="no-such-group")
        assert "not found" in text and "no-such-group" in text

    def test_activities_come_newest_first_with_status_cause_and_times(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        now = datetime(2026, 7, 28, 12, 0, tzinfo=UTC)
        failed = {
            **activity(2, now, "Failed"),
            "StatusMessage": "We currently do not have sufficient capacity.",
        }
        del failed["EndTime"]
        with Stubber(clients.client("autoscaling", "us-east-1")) as stubber:
            stubber.add_response(
                "describe_scaling_activities",
                {"Activities": [failed, activity(1, now - timedelta(hours=1))]},
                {"AutoScalingGroupName": STOREFRONT, "MaxRecords": 20},
            )
            result = call(registry, "autoscaling_list_activities", group_name=STOREFRONT)
        newest, older = result["activities"]
        assert newest["activity_id"] == "a-2" and newest["status"] == "Failed"
        assert newest["status_message"] == "We currently do not have sufficient capacity."
        assert newest["start_time"] == "2026-07-28T12:00:00+00:00" and newest.get("end_time") is None
        assert older["status"] == "Successful" and older["end_time"] == "2026-07-28T11:01:00+00:00"
        assert older["cause"].startswith("At 2026-07-28T11:00:00Z a user request")

    def test_fields_choose_the_columns(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with Stubber(clients.client("autoscaling", "us-east-1")) as stubber:
            stubber.add_response(
                "describe_scaling_activities", {"Activities": [activity(1, datetime.now(UTC))]}
            )
            result = call(registry, "autoscaling_list_activities", group_name=STOREFRONT, fields=["status"])
        assert result["activities"] == [{"activity_id": "a-1", "status": "Successful"}]

    def test_pages_follow_aws_tokens_and_the_cursor_is_bound_to_the_group(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        now = datetime.now(UTC)
        with Stubber(clients.client("autoscaling", "us-east-1")) as stubber:
            stubber.add_response(
                "describe_scaling_activities",
                {"Activities": [activity(n, now) for n in range(5)], "NextToken": "page-2"},
                {"AutoScalingGroupName": STOREFRONT, "MaxRecords": 5},
            )
            stubber.add_response(
                "describe_scaling_activities",
                {"Activities": [activity(5, now)]},
                {"AutoScalingGroupName": STOREFRONT, "MaxRecords": 5, "NextToken": "page-2"},
            )
            first = call(registry, "autoscaling_list_activities", group_name=STOREFRONT, max_results=5)
            assert "other filters" in refused(
                registry,
                "autoscaling_list_activities",
                group_name="reports-batch-asg",
                cursor=first.get("next_cursor"),
            )
            second = call(
                registry,
                "autoscaling_list_activities",
                group_name=STOREFRONT,
                cursor=first.get("next_cursor"),
            )
            stubber.assert_no_pending_responses()
        assert first["count"] == 5 and second["count"] == 1 and second.get("next_cursor") is None

    def test_a_page_over_the_budget_is_cut_at_an_activity_and_continues(
        self, settings: Settings, clients: ClientFactory
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=3000), clients).registry
        now = datetime.now(UTC)
        answer = {"Activities": [activity(n, now) for n in range(8)]}
        seen: list[str] = []
        cursor = None
        with Stubber(clients.client("autoscaling", "us-east-1")) as stubber:
            for _ in range(8):
                stubber.add_response("describe_scaling_activities", answer)
                outcome = registry.call(
                    "autoscaling_list_activities", {"group_name": STOREFRONT, "cursor": cursor}, CallContext()
                )
                assert not outcome.is_error and outcome.structured is not None, outcome.text
                assert len(outcome.text) <= 3000
                seen += [a["activity_id"] for a in outcome.structured["activities"]]
                cursor = outcome.structured.get("next_cursor")
                if cursor is None:
                    break
                assert "Cut to" in outcome.structured["truncated"]
        assert seen == [f"a-{n}" for n in range(8)]
