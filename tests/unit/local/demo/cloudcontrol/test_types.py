"""Every supported type through boto3's cloudcontrol: create (IN_PROGRESS, then SUCCESS), get,
list by tag over pages, update by patch, delete, not found, an invalid desired state FAILED,
and the resource seen by the service's own API as Cloud Control made it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from aws_mcp_local.demo import DEMO_IMAGE
from aws_mcp_local.demo.cloudcontrol import SUPPORTED_TYPES

from .conftest import client

PROJECT = {"Key": "project", "Value": "cc-demo"}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@dataclass(frozen=True)
class Case:
    type_name: str
    desired: Callable[[dict[str, str]], dict[str, Any]]
    patch: list[dict[str, Any]]
    # what the patch changed, as Cloud Control then reads it
    patched: dict[str, Any]
    # the service's own API, reading the resource Cloud Control made: a value Cloud Control set
    native: Callable[[str], Any]
    native_value: Any


def _context() -> dict[str, str]:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    role = client("iam").create_role(RoleName="cc-exec", AssumeRolePolicyDocument=json.dumps(TRUST))
    return {"vpc": vpc, "role": role["Role"]["Arn"]}


CASES = [
    Case(
        "AWS::EC2::Instance",
        lambda c: {"ImageId": DEMO_IMAGE, "InstanceType": "t3.micro", "Tags": [PROJECT]},
        [{"op": "replace", "path": "/InstanceType", "value": "t3.small"}],
        {"InstanceType": "t3.small"},
        lambda i: client("ec2").describe_instances(InstanceIds=[i])["Reservations"][0]["Instances"][0][
            "InstanceType"
        ],
        "t3.small",
    ),
    Case(
        "AWS::EC2::VPC",
        lambda c: {"CidrBlock": "10.30.0.0/16", "Tags": [PROJECT]},
        [{"op": "replace", "path": "/EnableDnsHostnames", "value": True}],
        {"EnableDnsHostnames": True},
        lambda i: client("ec2").describe_vpc_attribute(VpcId=i, Attribute="enableDnsHostnames")[
            "EnableDnsHostnames"
        ]["Value"],
        True,
    ),
    Case(
        "AWS::EC2::Subnet",
        lambda c: {"VpcId": c["vpc"], "CidrBlock": "10.20.1.0/24", "Tags": [PROJECT]},
        [{"op": "replace", "path": "/MapPublicIpOnLaunch", "value": True}],
        {"MapPublicIpOnLaunch": True},
        lambda i: client("ec2").describe_subnets(SubnetIds=[i])["Subnets"][0]["MapPublicIpOnLaunch"],
        True,
    ),
    Case(
        "AWS::EC2::SecurityGroup",
        lambda c: {
            "GroupName": "cc-web",
            "GroupDescription": "web tier",
            "VpcId": c["vpc"],
            "SecurityGroupIngress": [
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}
            ],
            "Tags": [PROJECT],
        },
        [
            {
                "op": "add",
                "path": "/SecurityGroupIngress/-",
                "value": {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "10.0.0.0/8"},
            }
        ],
        {
            "SecurityGroupIngress": [
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"},
                {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "10.0.0.0/8"},
            ]
        },
        lambda i: sorted(
            p["FromPort"]
            for p in client("ec2").describe_security_groups(GroupIds=[i])["SecurityGroups"][0][
                "IpPermissions"
            ]
        ),
        [80, 443],
    ),
    Case(
        "AWS::S3::Bucket",
        lambda c: {"BucketName": "cc-demo-bucket", "Tags": [PROJECT]},
        [
            {
                "op": "add",
                "path": "/BucketEncryption",
                "value": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
            }
        ],
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            }
        },
        lambda i: client("s3").get_bucket_encryption(Bucket=i)["ServerSideEncryptionConfiguration"]["Rules"][
            0
        ]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "AES256",
    ),
    Case(
        "AWS::DynamoDB::Table",
        lambda c: {
            "TableName": "cc-orders",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "Tags": [PROJECT],
        },
        [
            {"op": "replace", "path": "/BillingMode", "value": "PROVISIONED"},
            {
                "op": "add",
                "path": "/ProvisionedThroughput",
                "value": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2},
            },
        ],
        {
            "BillingMode": "PROVISIONED",
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2},
        },
        lambda i: client("dynamodb").describe_table(TableName=i)["Table"]["ProvisionedThroughput"][
            "ReadCapacityUnits"
        ],
        5,
    ),
    Case(
        "AWS::SQS::Queue",
        lambda c: {"QueueName": "cc-jobs", "VisibilityTimeout": 45, "Tags": [PROJECT]},
        [{"op": "replace", "path": "/VisibilityTimeout", "value": 60}],
        {"VisibilityTimeout": 60},
        lambda i: client("sqs").get_queue_attributes(QueueUrl=i, AttributeNames=["VisibilityTimeout"])[
            "Attributes"
        ]["VisibilityTimeout"],
        "60",
    ),
    Case(
        "AWS::SNS::Topic",
        lambda c: {"TopicName": "cc-alerts", "DisplayName": "Alerts", "Tags": [PROJECT]},
        [{"op": "replace", "path": "/DisplayName", "value": "Pager"}],
        {"DisplayName": "Pager"},
        lambda i: client("sns").get_topic_attributes(TopicArn=i)["Attributes"]["DisplayName"],
        "Pager",
    ),
    Case(
        "AWS::IAM::Role",
        lambda c: {"RoleName": "cc-reader", "AssumeRolePolicyDocument": TRUST, "Tags": [PROJECT]},
        [{"op": "replace", "path": "/MaxSessionDuration", "value": 7200}],
        {"MaxSessionDuration": 7200},
        lambda i: client("iam").get_role(RoleName=i)["Role"]["MaxSessionDuration"],
        7200,
    ),
    Case(
        "AWS::Logs::LogGroup",
        lambda c: {"LogGroupName": "/cc/app", "RetentionInDays": 7, "Tags": [PROJECT]},
        [{"op": "replace", "path": "/RetentionInDays", "value": 30}],
        {"RetentionInDays": 30},
        lambda i: client("logs").describe_log_groups(logGroupNamePrefix=i)["logGroups"][0]["retentionInDays"],
        30,
    ),
    Case(
        "AWS::Lambda::Function",
        lambda c: {
            "FunctionName": "cc-fn",
            "Role": c["role"],
            "Runtime": "python3.13",
            "Handler": "index.handler",
            "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"},
            "Tags": [PROJECT],
        },
        [{"op": "replace", "path": "/MemorySize", "value": 256}],
        {"MemorySize": 256},
        lambda i: client("lambda").get_function(FunctionName=i)["Configuration"]["MemorySize"],
        256,
    ),
    Case(
        "AWS::ECS::Cluster",
        lambda c: {"ClusterName": "cc-cluster", "Tags": [PROJECT]},
        [{"op": "add", "path": "/Tags/-", "value": {"Key": "team", "Value": "ops"}}],
        {"Tags": [{"Key": "project", "Value": "cc-demo"}, {"Key": "team", "Value": "ops"}]},
        lambda i: client("ecs").describe_clusters(clusters=[i], include=["TAGS"])["clusters"][0]["tags"],
        [{"key": "project", "value": "cc-demo"}, {"key": "team", "value": "ops"}],
    ),
]


def test_the_cases_cover_every_supported_type() -> None:
    assert [c.type_name for c in CASES] == list(SUPPORTED_TYPES)


def _finish(cc: Any, event: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = cc.get_resource_request_status(RequestToken=event["RequestToken"])[
        "ProgressEvent"
    ]
    return status


def _model(cc: Any, type_name: str, identifier: str) -> dict[str, Any]:
    found = cc.get_resource(TypeName=type_name, Identifier=identifier)
    assert found["ResourceDescription"]["Identifier"] == identifier
    model: dict[str, Any] = json.loads(found["ResourceDescription"]["Properties"])
    return model


def _listed(cc: Any, type_name: str, page_size: int) -> list[dict[str, Any]]:
    pages = cc.get_paginator("list_resources").paginate(
        TypeName=type_name, PaginationConfig={"PageSize": page_size}
    )
    return [d for page in pages for d in page["ResourceDescriptions"]]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.type_name)
def test_a_resource_lives_through_create_get_list_update_and_delete(cc: Any, case: Case) -> None:
    desired = case.desired(_context())

    made = cc.create_resource(TypeName=case.type_name, DesiredState=json.dumps(desired))["ProgressEvent"]
    assert (made["Operation"], made["OperationStatus"]) == ("CREATE", "IN_PROGRESS")
    done = _finish(cc, made)
    assert done["OperationStatus"] == "SUCCESS", done.get("StatusMessage")
    identifier = done["Identifier"]

    model = _model(cc, case.type_name, identifier)
    written_only = {"Code"}
    assert {k: v for k, v in desired.items() if k not in written_only}.items() <= model.items()
    assert json.loads(done["ResourceModel"]) == model

    listed = _listed(cc, case.type_name, page_size=1)
    by_project = [d["Identifier"] for d in listed if PROJECT in json.loads(d["Properties"]).get("Tags", [])]
    assert by_project == [identifier]
    assert [d["Identifier"] for d in listed] == [d["Identifier"] for d in _listed(cc, case.type_name, 100)]

    updated = cc.update_resource(
        TypeName=case.type_name, Identifier=identifier, PatchDocument=json.dumps(case.patch)
    )
    assert updated["ProgressEvent"]["OperationStatus"] == "IN_PROGRESS"
    finished = _finish(cc, updated["ProgressEvent"])
    assert finished["OperationStatus"] == "SUCCESS", finished.get("StatusMessage")
    assert case.patched.items() <= _model(cc, case.type_name, identifier).items()
    assert case.native(identifier) == case.native_value

    deleted = cc.delete_resource(TypeName=case.type_name, Identifier=identifier)["ProgressEvent"]
    assert _finish(cc, deleted)["OperationStatus"] == "SUCCESS"
    with pytest.raises(ClientError) as gone:
        cc.get_resource(TypeName=case.type_name, Identifier=identifier)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert identifier not in [d["Identifier"] for d in _listed(cc, case.type_name, 100)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.type_name)
def test_a_resource_that_is_not_there_is_not_found(cc: Any, case: Case) -> None:
    with pytest.raises(ClientError) as missing:
        cc.get_resource(TypeName=case.type_name, Identifier="nothing-here")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

    for made in (
        cc.delete_resource(TypeName=case.type_name, Identifier="nothing-here"),
        cc.update_resource(
            TypeName=case.type_name,
            Identifier="nothing-here",
            PatchDocument=json.dumps([{"op": "remove", "path": "/Tags"}]),
        ),
    ):
        failed = _finish(cc, made["ProgressEvent"])
        assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "NotFound")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.type_name)
def test_an_invalid_desired_state_fails_the_request_and_makes_nothing(cc: Any, case: Case) -> None:
    desired = {**case.desired(_context()), "Colour": "blue"}
    before = [d["Identifier"] for d in _listed(cc, case.type_name, 100)]

    made = cc.create_resource(TypeName=case.type_name, DesiredState=json.dumps(desired))["ProgressEvent"]

    assert made["OperationStatus"] == "IN_PROGRESS"
    failed = _finish(cc, made)
    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "InvalidRequest")
    assert failed["StatusMessage"] == "Model validation failed (#: extraneous key [Colour] is not permitted)"
    assert [d["Identifier"] for d in _listed(cc, case.type_name, 100)] == before


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.type_name)
def test_a_patch_of_a_property_fixed_at_creation_is_not_updatable(cc: Any, case: Case) -> None:
    made = cc.create_resource(TypeName=case.type_name, DesiredState=json.dumps(case.desired(_context())))
    identifier = _finish(cc, made["ProgressEvent"])["Identifier"]
    fixed = sorted(cc.meta.region_name and _fixed(case.type_name))[0]

    patch = [{"op": "add", "path": f"/{fixed}", "value": "changed"}]
    updated = cc.update_resource(
        TypeName=case.type_name, Identifier=identifier, PatchDocument=json.dumps(patch)
    )

    failed = _finish(cc, updated["ProgressEvent"])
    assert (failed["OperationStatus"], failed["ErrorCode"]) == ("FAILED", "NotUpdatable")
    assert f"/properties/{fixed}" in failed["StatusMessage"]


def _fixed(type_name: str) -> set[str]:
    from aws_mcp_local.demo.cloudcontrol.types import TYPES

    return set(TYPES[type_name].create_only | TYPES[type_name].read_only)
