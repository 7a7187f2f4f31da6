"""CloudFormation tools against moto's CloudFormation, through the registry as an agent would.

moto cannot detect drift (DetectStackDrift is not implemented there): drift is checked on
AWS-shaped answers with botocore's Stubber.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aws_mcp.audit.record import REDACTED
from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import seed
from aws_mcp_local.demo.estate.cloudformation import FAILED_REASON
from tests.unit.tools.services.calling import answers_as_declared, call, refused
from tests.unit.tools.test_paging import valid_output

SCRATCH = "eu-central-1"
STUBBED = "sa-east-1"
TOPIC = {"Resources": {"Alerts": {"Type": "AWS::SNS::Topic"}}}


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("cloudformation",))


def cloudformation_in(region: str) -> Any:
    return boto3.client("cloudformation", region_name=region)


def stack_with(name: str, template: dict[str, Any], region: str = SCRATCH, **extra: Any) -> None:
    cloudformation_in(region).create_stack(StackName=name, TemplateBody=json.dumps(template), **extra)


class TestListStacks:
    def test_lists_the_demo_stacks_with_their_status(self, registry: ToolRegistry) -> None:
        result = call(registry, "cloudformation_list_stacks")
        by_name = {s["name"]: s for s in result["stacks"]}
        assert by_name["storefront-queues"]["status"] == "UPDATE_ROLLBACK_COMPLETE"
        assert by_name["storefront-topics"]["description"] == "The storefront's notification topics"
        valid_output(registry, "cloudformation_list_stacks", result)

    def test_a_status_narrows_the_list(self, registry: ToolRegistry) -> None:
        result = call(registry, "cloudformation_list_stacks", status="ROLLBACK", fields=["status"])
        assert result["stacks"] == [{"name": "storefront-queues", "status": "UPDATE_ROLLBACK_COMPLETE"}]

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        for n in range(7):
            stack_with(f"paged-{n}", TOPIC, region="ap-northeast-1")
        first = call(registry, "cloudformation_list_stacks", region="ap-northeast-1", max_results=5)
        second = call(
            registry, "cloudformation_list_stacks", region="ap-northeast-1", cursor=first["next_cursor"]
        )
        names = [s["name"] for s in first["stacks"] + second["stacks"]]
        assert sorted(names) == [f"paged-{n}" for n in range(7)] and second.get("next_cursor") is None


class TestDescribeStack:
    def test_shows_parameters_outputs_and_resources_with_no_echo_masked(self, registry: ToolRegistry) -> None:
        result = call(registry, "cloudformation_describe_stack", stack="storefront-queues")
        # NoEcho masks it, and its name alone would have it redacted (aws_mcp.audit.record rules).
        assert result["parameters"] == {"Env": "prod", "AlertToken": REDACTED}
        assert "demo-not-a-secret" not in json.dumps(result)
        assert result["outputs"]["OrdersQueueUrl"].endswith("/storefront-orders")
        assert {r["logical_id"] for r in result["resources"]} == {"OrdersQueue", "OrdersDeadLetters"}
        assert result["resource_count"] == 2
        valid_output(registry, "cloudformation_describe_stack", result)

    def test_a_stack_too_large_for_the_budget_leaves_its_resources_out(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=600), clients).registry
        result = call(registry, "cloudformation_describe_stack", stack="storefront-queues")
        assert (
            result.get("resources") is None and result["resource_count"] == 2 and "left out" in result["note"]
        )

    def test_an_unknown_stack_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "does not exist" in refused(registry, "cloudformation_describe_stack", stack="no-such-stack")


class TestStackEvents:
    def test_failures_come_first_then_the_rest_newest_first(self, registry: ToolRegistry) -> None:
        result = call(registry, "cloudformation_stack_events", stack="storefront-queues")
        first, *rest = result["events"]
        assert first["status"] == "UPDATE_FAILED" and first["reason"] == FAILED_REASON
        assert first["resource"] == "OrdersQueue (AWS::SQS::Queue)"
        assert all("FAILED" not in e["status"] for e in rest)
        valid_output(registry, "cloudformation_stack_events", result)

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        everything = call(registry, "cloudformation_stack_events", stack="storefront-queues", max_results=100)
        first = call(registry, "cloudformation_stack_events", stack="storefront-queues", max_results=5)
        second = call(
            registry, "cloudformation_stack_events", stack="storefront-queues", cursor=first["next_cursor"]
        )
        assert first["events"] + second["events"] == everything["events"]


class TestDrift:
    def test_starting_says_how_to_read_the_result_and_the_result_names_what_drifted(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("cloudformation", STUBBED)) as stubber:
            stubber.add_response("detect_stack_drift", {"StackDriftDetectionId": "d-1"}, {"StackName": "web"})
            stubber.add_response(
                "describe_stack_drift_detection_status",
                {
                    "StackId": "s",
                    "StackDriftDetectionId": "d-1",
                    "DetectionStatus": "DETECTION_IN_PROGRESS",
                    "Timestamp": "2026-11-28T00:00:00Z",
                },
                {"StackDriftDetectionId": "d-1"},
            )
            started = call(registry, "cloudformation_drift", region=STUBBED, stack="web")
            stubber.add_response(
                "describe_stack_drift_detection_status",
                {
                    "StackId": "s",
                    "StackDriftDetectionId": "d-1",
                    "DetectionStatus": "DETECTION_COMPLETE",
                    "StackDriftStatus": "DRIFTED",
                    "Timestamp": "2026-11-28T00:00:00Z",
                },
                {"StackDriftDetectionId": "d-1"},
            )
            stubber.add_response(
                "describe_stack_resource_drifts",
                {
                    "StackResourceDrifts": [
                        {
                            "StackId": "s",
                            "LogicalResourceId": "WebSecurityGroup",
                            "ResourceType": "AWS::EC2::SecurityGroup",
                            "StackResourceDriftStatus": "MODIFIED",
                            "Timestamp": "2026-11-28T00:00:00Z",
                            "PropertyDifferences": [
                                {
                                    "PropertyPath": "/SecurityGroupIngress/0/CidrIp",
                                    "ExpectedValue": "10.0.0.0/8",
                                    "ActualValue": "0.0.0.0/0",
                                    "DifferenceType": "NOT_EQUAL",
                                }
                            ],
                        }
                    ]
                },
                {
                    "StackName": "web",
                    "StackResourceDriftStatusFilters": ["MODIFIED", "DELETED"],
                    "MaxResults": 100,
                },
            )
            done = call(registry, "cloudformation_drift", region=STUBBED, stack="web", detection_id="d-1")
        assert started["status"] == "DETECTION_IN_PROGRESS" and started["detection_id"] == "d-1"
        assert done["drift"] == "DRIFTED" and done["drifted"] == [
            {
                "resource": "WebSecurityGroup (AWS::EC2::SecurityGroup)",
                "drift": "MODIFIED",
                "properties": "/SecurityGroupIngress/0/CidrIp",
            }
        ]


class TestChanges:
    def test_an_update_is_planned_shown_and_changes_nothing_until_executed(
        self, registry: ToolRegistry
    ) -> None:
        stack_with("planned", {"Resources": {"Old": {"Type": "AWS::SNS::Topic"}}})
        plan = call(
            registry,
            "cloudformation_plan_change",
            region=SCRATCH,
            stack="planned",
            template_body=json.dumps(TOPIC),
        )
        assert plan["status"] == "CREATE_COMPLETE" and "Nothing is changed yet" in plan["message"]
        assert {(c["action"], c["resource"]) for c in plan["changes"]} == {
            ("Add", "Alerts (AWS::SNS::Topic)"),
            ("Remove", "Old (AWS::SNS::Topic)"),
        }

        def resources() -> set[str]:
            found = cloudformation_in(SCRATCH).describe_stack_resources(StackName="planned")["StackResources"]
            return {r["LogicalResourceId"] for r in found}

        assert resources() == {"Old"}
        done = call(
            registry,
            "cloudformation_execute_change",
            region=SCRATCH,
            stack="planned",
            change_set=plan["change_set"],
        )
        assert done["status"] == "UPDATE_COMPLETE" and resources() == {"Alerts"}
        valid_output(registry, "cloudformation_execute_change", done)

    def test_a_new_stack_is_created_through_a_change_set_too(self, registry: ToolRegistry) -> None:
        plan = call(
            registry,
            "cloudformation_plan_change",
            region=SCRATCH,
            stack="fresh",
            template_body=json.dumps(TOPIC),
        )
        assert "To create the stack" in plan["message"]
        call(
            registry,
            "cloudformation_execute_change",
            region=SCRATCH,
            stack="fresh",
            change_set=plan["change_set"],
        )
        (stack,) = cloudformation_in(SCRATCH).describe_stacks(StackName="fresh")["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE"

    def test_the_same_plan_asked_twice_shows_the_same_change_set(self, registry: ToolRegistry) -> None:
        stack_with("twice", {"Resources": {"Old": {"Type": "AWS::SNS::Topic"}}})
        plans = [
            call(
                registry,
                "cloudformation_plan_change",
                region=SCRATCH,
                stack="twice",
                template_body=json.dumps(TOPIC),
            )
            for _ in range(2)
        ]
        assert plans[0]["change_set"] == plans[1]["change_set"] and plans[0]["changes"] == plans[1]["changes"]

    def test_a_change_set_that_cannot_run_is_refused_with_why(self, registry: ToolRegistry) -> None:
        plan = call(
            registry,
            "cloudformation_plan_change",
            region=SCRATCH,
            stack="executed",
            template_body=json.dumps(TOPIC),
        )
        call(
            registry,
            "cloudformation_execute_change",
            region=SCRATCH,
            stack="executed",
            change_set=plan["change_set"],
        )
        again = refused(
            registry,
            "cloudformation_execute_change",
            region=SCRATCH,
            stack="executed",
            change_set=plan["change_set"],
        )
        assert "cannot be executed" in again

    @pytest.mark.parametrize(
        "arguments",
        [
            {},
            {"template_body": "{}", "template_url": "https://s3.amazonaws.com/b/t.json"},
            {"template_url": "http://example.invalid/t.json"},
            {"template_body": "x" * 51_201},
            {"template_body": "{}", "capabilities": ["CAPABILITY_EVERYTHING"]},
        ],
    )
    def test_a_plan_takes_one_bounded_template(
        self, registry: ToolRegistry, arguments: dict[str, Any]
    ) -> None:
        assert "Invalid arguments" in refused(registry, "cloudformation_plan_change", stack="x", **arguments)

    def test_changes_are_refused_in_read_only_mode(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
        for tool, arguments in (
            ("cloudformation_plan_change", {"stack": "x", "template_body": "{}"}),
            ("cloudformation_execute_change", {"stack": "x", "change_set": "c"}),
            ("cloudformation_delete_stack", {"stack": "x"}),
        ):
            with pytest.raises(ProtocolError) as raised:
                registry.call(tool, arguments, CallContext())
            assert "ReadOnly" in raised.value.message


class TestDeleteStack:
    def test_deletes_a_stack_and_says_to_follow_its_events(self, registry: ToolRegistry) -> None:
        stack_with("doomed", TOPIC)
        result = call(registry, "cloudformation_delete_stack", region=SCRATCH, stack="doomed")
        assert result["status"] == "DELETE_COMPLETE" and "cloudformation_stack_events" in result["message"]
        assert "doomed" not in {
            s["StackName"] for s in cloudformation_in(SCRATCH).describe_stacks()["Stacks"]
        }

    def test_termination_protection_is_never_turned_off_for_you(self, registry: ToolRegistry) -> None:
        stack_with("protected", TOPIC, EnableTerminationProtection=True)
        assert "termination protection" in refused(
            registry, "cloudformation_delete_stack", region=SCRATCH, stack="protected"
        )
        assert cloudformation_in(SCRATCH).describe_stacks(StackName="protected")["Stacks"]

    def test_is_annotated_destructive(self, registry: ToolRegistry) -> None:
        hints = {d["name"]: d["annotations"] for d in registry.definitions()}
        assert hints["cloudformation_delete_stack"]["destructiveHint"] is True
        assert hints["cloudformation_execute_change"]["destructiveHint"] is True
        assert hints["cloudformation_plan_change"]["destructiveHint"] is False


class TestExamples:
    def test_every_example_answers_as_declared(self, registry: ToolRegistry) -> None:
        answers_as_declared(registry, "cloudformation_", skip=("cloudformation_drift",))
