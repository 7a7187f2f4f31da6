"""Cloud Control tools against the demo's Cloud Control (moto's resource models behind Cloud
Control's wire protocol), through the registry as an agent calls them: every supported type
created, read, listed by tag, patched and deleted; a request that outlives the call's wait and
is picked up by the status tool; a type the demo does not support."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.resilience.waiting import WaitBudget
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import DEMO_IMAGE, seed
from aws_mcp_local.demo.cloudcontrol import SUPPORTED_TYPES, Emulator, installed
from tests.unit.tools.services.calling import FakeClock, answers_as_declared, call, refused, walk

PROJECT = {"Key": "project", "Value": "tools-demo"}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
ENCRYPTED = {
    "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
}
# A desired state and a patch of it per type: (type, desired state, patch, what the patch sets).
CASES: list[tuple[str, dict[str, Any], list[dict[str, Any]], dict[str, Any]]] = [
    (
        "AWS::EC2::Instance",
        {"ImageId": DEMO_IMAGE, "InstanceType": "t3.micro"},
        [{"op": "replace", "path": "/InstanceType", "value": "t3.small"}],
        {"InstanceType": "t3.small"},
    ),
    (
        "AWS::EC2::VPC",
        {"CidrBlock": "10.40.0.0/16"},
        [{"op": "replace", "path": "/EnableDnsHostnames", "value": True}],
        {"EnableDnsHostnames": True},
    ),
    (
        "AWS::EC2::Subnet",
        {"VpcId": "{vpc}", "CidrBlock": "10.41.1.0/24"},
        [{"op": "replace", "path": "/MapPublicIpOnLaunch", "value": True}],
        {"MapPublicIpOnLaunch": True},
    ),
    (
        "AWS::EC2::SecurityGroup",
        {"GroupName": "tools-web", "GroupDescription": "web", "VpcId": "{vpc}"},
        [{"op": "replace", "path": "/GroupDescription", "value": "web tier"}],
        {},  # create-only in AWS: the tool refuses it (below); nothing to compare
    ),
    (
        "AWS::S3::Bucket",
        {"BucketName": "tools-demo-bucket"},
        [{"op": "add", "path": "/BucketEncryption", "value": ENCRYPTED}],
        {"BucketEncryption": ENCRYPTED},
    ),
    (
        "AWS::DynamoDB::Table",
        {
            "TableName": "tools-orders",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
        [
            {"op": "replace", "path": "/BillingMode", "value": "PROVISIONED"},
            {
                "op": "add",
                "path": "/ProvisionedThroughput",
                "value": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2},
            },
        ],
        {"BillingMode": "PROVISIONED"},
    ),
    (
        "AWS::SQS::Queue",
        {"QueueName": "tools-jobs", "VisibilityTimeout": 45},
        [{"op": "replace", "path": "/VisibilityTimeout", "value": 60}],
        {"VisibilityTimeout": 60},
    ),
    (
        "AWS::SNS::Topic",
        {"TopicName": "tools-alerts", "DisplayName": "Alerts"},
        [{"op": "replace", "path": "/DisplayName", "value": "Pager"}],
        {"DisplayName": "Pager"},
    ),
    (
        "AWS::IAM::Role",
        {"RoleName": "tools-reader", "AssumeRolePolicyDocument": TRUST},
        [{"op": "replace", "path": "/MaxSessionDuration", "value": 7200}],
        {"MaxSessionDuration": 7200},
    ),
    (
        "AWS::Logs::LogGroup",
        {"LogGroupName": "/tools/app", "RetentionInDays": 7},
        [{"op": "replace", "path": "/RetentionInDays", "value": 30}],
        {"RetentionInDays": 30},
    ),
    (
        "AWS::Lambda::Function",
        {
            "FunctionName": "tools-fn",
            "Role": "{role}",
            "Runtime": "python3.13",
            "Handler": "index.handler",
            "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"},
        },
        [{"op": "replace", "path": "/MemorySize", "value": 256}],
        {"MemorySize": 256},
    ),
    (
        "AWS::ECS::Cluster",
        {"ClusterName": "tools-cluster"},
        [{"op": "add", "path": "/Tags/-", "value": {"Key": "team", "Value": "ops"}}],
        {"Tags": [PROJECT, {"Key": "team", "Value": "ops"}]},
    ),
]


@pytest.fixture(scope="module")
def estate(aws: None) -> Iterator[Emulator]:
    """The demo estate; its Cloud Control, which answers in this process, with a clock of its own."""
    with installed() as emulator:
        seed(endpoint_url=None)
        yield emulator


@pytest.fixture
def clock(estate: Emulator) -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry(settings: Settings, clients: ClientFactory, estate: Emulator, clock: FakeClock) -> ToolRegistry:
    def sleep(seconds: float) -> None:
        # The call's wait and the demo's requests keep one time: waits cost no real time.
        clock.sleep(seconds)
        estate.advance(seconds)

    wait = WaitBudget(20.0, slack_s=0.0, clock=clock, sleep=sleep)
    return build_server(settings, clients, wait=wait).registry


@pytest.fixture(scope="module")
def context(estate: Emulator) -> dict[str, str]:
    vpc = boto3.client("ec2", region_name="us-east-1").create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    role = boto3.client("iam", region_name="us-east-1").create_role(
        RoleName="tools-fn-role", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    return {"vpc": vpc, "role": role["Role"]["Arn"]}


def filled(state: dict[str, Any], context: dict[str, str]) -> dict[str, Any]:
    """``state`` with the made VPC's id and the role's ARN in place of {vpc} and {role}."""
    done: dict[str, Any] = json.loads(
        json.dumps(state)
        .replace('"{vpc}"', json.dumps(context["vpc"]))
        .replace('"{role}"', json.dumps(context["role"]))
    )
    return done


def test_every_demo_type_is_a_case() -> None:
    assert sorted(case[0] for case in CASES) == sorted(SUPPORTED_TYPES)


@pytest.mark.parametrize(("type_name", "desired", "patch", "patched"), CASES, ids=[c[0] for c in CASES])
def test_a_resource_is_created_read_listed_by_tag_patched_and_deleted(
    registry: ToolRegistry,
    context: dict[str, str],
    type_name: str,
    desired: dict[str, Any],
    patch: list[dict[str, Any]],
    patched: dict[str, Any],
) -> None:
    state = {**filled(desired, context), "Tags": [PROJECT]}
    made = call(registry, "cloudcontrol_create_resource", type_name=type_name, desired_state=state)
    assert (made["status"], made["operation"]) == ("SUCCESS", "CREATE"), made
    identifier = made["identifier"]
    # What the schema says is writable, and was asked for, reads back (write-only ones never do).
    schema = call(registry, "cloudcontrol_describe_type", type_name=type_name)
    shown = call(registry, "cloudcontrol_get_resource", type_name=type_name, identifier=identifier)[
        "properties"
    ]
    for name, value in state.items():
        if name not in (schema.get("write_only") or ()) and name != "Tags":
            assert shown[name] == value, name

    tagged = walk(
        registry,
        "cloudcontrol_list_resources",
        "resources",
        type_name=type_name,
        tags={"project": "tools-demo"},
    )
    assert [r["identifier"] for r in tagged] == [identifier]

    if patched:
        changed = call(
            registry, "cloudcontrol_update_resource", type_name=type_name, identifier=identifier, patch=patch
        )
        assert changed["status"] == "SUCCESS", changed
        after = call(registry, "cloudcontrol_get_resource", type_name=type_name, identifier=identifier)
        for name, value in patched.items():
            assert after["properties"][name] == value, name
    else:
        said = refused(
            registry, "cloudcontrol_update_resource", type_name=type_name, identifier=identifier, patch=patch
        )
        assert "set at creation only" in said

    gone = call(registry, "cloudcontrol_delete_resource", type_name=type_name, identifier=identifier)
    assert (gone["status"], gone["operation"]) == ("SUCCESS", "DELETE"), gone
    said = refused(registry, "cloudcontrol_get_resource", type_name=type_name, identifier=identifier)
    assert f"No {type_name} {identifier}" in said


def test_an_instance_without_an_image_is_made_from_the_latest_amazon_linux(registry: ToolRegistry) -> None:
    made = call(
        registry,
        "cloudcontrol_create_resource",
        type_name="AWS::EC2::Instance",
        desired_state={"InstanceType": "t3.micro"},
    )
    assert made["status"] == "SUCCESS" and made["defaults_filled"]["ImageId"].startswith("ami-")
    assert made["properties"]["ImageId"] == made["defaults_filled"]["ImageId"]


def test_the_demo_estate_is_listed_through_cloud_control(registry: ToolRegistry) -> None:
    queues = walk(registry, "cloudcontrol_list_resources", "resources", type_name="AWS::EC2::VPC", fields=[])
    assert queues and all(set(q) == {"identifier"} for q in queues)


def test_a_request_that_outlives_the_wait_is_picked_up_by_the_status_tool(
    registry: ToolRegistry, estate: Emulator, clock: FakeClock
) -> None:
    estate.delay = 30.0  # more than one call's wait (20 s), less than two
    try:
        started = call(
            registry,
            "cloudcontrol_create_resource",
            type_name="AWS::SQS::Queue",
            desired_state={"QueueName": "tools-slow"},
        )
    finally:
        estate.delay = 0.0
    assert started["status"] == "IN_PROGRESS" and sum(clock.slept) == pytest.approx(20.0)
    token = started["request_token"]
    done = call(registry, "cloudcontrol_request_status", request_token=token)
    assert done["status"] == "SUCCESS" and done["properties"]["QueueName"] == "tools-slow"


def test_a_type_the_demo_does_not_support_is_named_with_those_it_does(registry: ToolRegistry) -> None:
    said = refused(registry, "cloudcontrol_describe_type", type_name="AWS::Kinesis::Stream")
    assert "No resource type AWS::Kinesis::Stream" in said and "AWS::SQS::Queue" in said
    said = refused(registry, "cloudcontrol_list_resources", type_name="AWS::Kinesis::Stream")
    assert "AWS::SQS::Queue" in said


def test_types_are_found_by_any_part_of_the_name(registry: ToolRegistry) -> None:
    found = walk(registry, "cloudcontrol_list_types", "types", search="ec2", fields=[])
    assert [t["type_name"] for t in found] == sorted(t for t in SUPPORTED_TYPES if "EC2" in t)


def test_every_example_answers_as_declared(registry: ToolRegistry) -> None:
    answers_as_declared(registry, "cloudcontrol_")
