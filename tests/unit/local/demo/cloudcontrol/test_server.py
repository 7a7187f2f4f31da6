"""Cloud Control on the demo's moto server, over HTTP on 127.0.0.1: the seeded estate listed
as the native APIs list it, a create seen IN_PROGRESS then SUCCESS and in EC2, the registry's
two actions, and moto's own services untouched."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from aws_mcp_local.demo import DEMO_IMAGE, DEMO_REGIONS, DemoAws, running_demo
from aws_mcp_local.demo.cloudcontrol import SUPPORTED_TYPES

DELAY = 0.5
HOUR = 3600.0


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoAws]:
    with running_demo(cloudcontrol_delay=DELAY) as aws:
        yield aws


def _client(demo: DemoAws, service: str, region: str = DEMO_REGIONS[0]) -> Any:
    config = Config(retries={"max_attempts": 1}, read_timeout=60)
    return demo.session().client(service, region_name=region, endpoint_url=demo.endpoint_url, config=config)  # type: ignore[call-overload]


def _pages(call: Callable[..., Any], key: str, token: str = "NextToken", **question: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        page = call(**question)
        items += page[key]
        if not page.get(token):
            return items
        question[token] = page[token]


def _native(demo: DemoAws, type_name: str, region: str) -> list[str]:
    """The identifiers the service's own API gives, as Cloud Control names them."""

    def c(service: str) -> Any:
        return _client(demo, service, region)

    match type_name:
        case "AWS::EC2::Instance":
            reservations = _pages(c("ec2").describe_instances, "Reservations")
            return [
                i["InstanceId"]
                for r in reservations
                for i in r["Instances"]
                if i["State"]["Name"] != "terminated"
            ]
        case "AWS::EC2::VPC":
            return [v["VpcId"] for v in c("ec2").describe_vpcs()["Vpcs"]]
        case "AWS::EC2::Subnet":
            return [s["SubnetId"] for s in c("ec2").describe_subnets()["Subnets"]]
        case "AWS::EC2::SecurityGroup":
            return [g["GroupId"] for g in c("ec2").describe_security_groups()["SecurityGroups"]]
        case "AWS::S3::Bucket":
            s3 = c("s3")
            names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
            here = None if region == "us-east-1" else region
            return [n for n in names if s3.get_bucket_location(Bucket=n)["LocationConstraint"] == here]
        case "AWS::DynamoDB::Table":
            return list(c("dynamodb").list_tables()["TableNames"])
        case "AWS::SQS::Queue":
            names = [u.rsplit("/", 1)[-1] for u in c("sqs").list_queues().get("QueueUrls", [])]
            return [f"https://sqs.{region}.amazonaws.com/123456789012/{n}" for n in names]
        case "AWS::SNS::Topic":
            return [t["TopicArn"] for t in c("sns").list_topics()["Topics"]]
        case "AWS::IAM::Role":
            return [r["RoleName"] for r in _pages(c("iam").list_roles, "Roles", token="Marker")]
        case "AWS::Logs::LogGroup":
            return [
                g["logGroupName"]
                for g in _pages(c("logs").describe_log_groups, "logGroups", token="nextToken")
            ]
        case "AWS::Lambda::Function":
            return [f["FunctionName"] for f in c("lambda").list_functions()["Functions"]]
        case "AWS::ECS::Cluster":
            ecs = c("ecs")
            arns = ecs.list_clusters()["clusterArns"]
            clusters = ecs.describe_clusters(clusters=arns)["clusters"] if arns else []
            return [cl["clusterName"] for cl in clusters if cl["status"] == "ACTIVE"]
    raise AssertionError(type_name)


@pytest.mark.parametrize("region", DEMO_REGIONS)
@pytest.mark.parametrize("type_name", SUPPORTED_TYPES)
def test_the_seeded_estate_is_listed_as_the_native_apis_list_it(
    demo: DemoAws, type_name: str, region: str
) -> None:
    cc = _client(demo, "cloudcontrol", region)

    listed = _pages(cc.list_resources, "ResourceDescriptions", TypeName=type_name)

    assert sorted(d["Identifier"] for d in listed) == sorted(_native(demo, type_name, region))


def test_the_estate_has_something_of_every_type_to_show(demo: DemoAws) -> None:
    cc = _client(demo, "cloudcontrol")

    empty = [
        t for t in SUPPORTED_TYPES if not cc.list_resources(TypeName=t, MaxResults=1)["ResourceDescriptions"]
    ]

    assert empty == []


def test_the_fleet_is_cloud_control_s_instances(demo: DemoAws) -> None:
    for region, ids in demo.instance_ids.items():
        cc = _client(demo, "cloudcontrol", region)
        listed = _pages(cc.list_resources, "ResourceDescriptions", TypeName="AWS::EC2::Instance")
        assert set(ids) <= {d["Identifier"] for d in listed}


def test_an_instance_created_through_cloud_control_runs_in_ec2(demo: DemoAws) -> None:
    assert demo.cloudcontrol is not None
    cc = _client(demo, "cloudcontrol")
    desired = {
        "ImageId": DEMO_IMAGE,
        "InstanceType": "t3.nano",
        "Tags": [{"Key": "project", "Value": "ccdemo"}],
    }
    demo.cloudcontrol.delay = HOUR  # no race with a slow machine: the test moves the clock
    try:
        made = cc.create_resource(TypeName="AWS::EC2::Instance", DesiredState=json.dumps(desired))[
            "ProgressEvent"
        ]
    finally:
        demo.cloudcontrol.delay = DELAY

    assert made["OperationStatus"] == "IN_PROGRESS"
    assert _status(cc, made)["OperationStatus"] == "IN_PROGRESS"
    demo.cloudcontrol.advance(HOUR)
    status = _status(cc, made)
    assert status["OperationStatus"] == "SUCCESS"
    instance = _client(demo, "ec2").describe_instances(InstanceIds=[status["Identifier"]])["Reservations"][0][
        "Instances"
    ][0]
    assert (instance["InstanceType"], instance["Tags"]) == ("t3.nano", desired["Tags"])


def test_a_request_finishes_after_the_demo_s_delay(demo: DemoAws) -> None:
    cc = _client(demo, "cloudcontrol")
    made = cc.create_resource(TypeName="AWS::SQS::Queue", DesiredState=json.dumps({"QueueName": "cc-wait"}))

    deadline = time.monotonic() + 60
    while (status := _status(cc, made["ProgressEvent"]))["OperationStatus"] == "IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(DELAY / 5)

    assert status["OperationStatus"] == "SUCCESS"
    assert status["EventTime"] - made["ProgressEvent"]["EventTime"] >= timedelta(
        seconds=DELAY * 0.99
    )  # to the millisecond


def _status(cc: Any, event: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = cc.get_resource_request_status(RequestToken=event["RequestToken"])[
        "ProgressEvent"
    ]
    return status


def test_errors_reach_boto3_in_the_service_s_shape(demo: DemoAws) -> None:
    cc = _client(demo, "cloudcontrol")
    with pytest.raises(ClientError) as unknown:
        cc.list_resources(TypeName="AWS::RDS::DBInstance")
    assert unknown.value.response["Error"]["Code"] == "TypeNotFoundException"
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as missing:
        cc.get_resource(TypeName="AWS::S3::Bucket", Identifier="no-such-bucket")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_registry_and_the_rest_of_cloudformation_answer_on_the_same_endpoint(demo: DemoAws) -> None:
    cfn = _client(demo, "cloudformation")

    listed = cfn.list_types(Type="RESOURCE", Visibility="PUBLIC", Filters={"TypeNamePrefix": "AWS::S3::"})
    schema = json.loads(cfn.describe_type(Type="RESOURCE", TypeName="AWS::S3::Bucket")["Schema"])

    assert [t["TypeName"] for t in listed["TypeSummaries"]] == ["AWS::S3::Bucket"]
    assert schema["primaryIdentifier"] == ["/properties/BucketName"]
    assert cfn.list_stacks()["StackSummaries"]
