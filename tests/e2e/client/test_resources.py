"""Every type the demo's Cloud Control supports, through AWSMCPClient: create, get, list by project,
update by patch, delete, not found. Skipped, naming why, while the demo has no Cloud Control tools."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from aws_mcp_client import (
    AWSMCPClient,
    ErrorCodes,
    InfrastructureException,
    ResourceConfig,
    ResourceFilter,
    ResourceStatus,
)
from aws_mcp_client.aws import PROJECT_TAG

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
# Each type the demo supports, with the properties it needs (camelCase, as the seed writes them).
TYPES: dict[str, dict[str, Any]] = {
    "EC2::Instance": {"instanceType": "t3.micro"},
    "EC2::VPC": {"cidrBlock": "10.20.0.0/16"},
    "EC2::Subnet": {"cidrBlock": "10.21.1.0/24"},  # and a VPC of its own, made first
    "EC2::SecurityGroup": {"groupDescription": "made by the client's tests"},
    "S3::Bucket": {},
    "DynamoDB::Table": {
        "billingMode": "PAY_PER_REQUEST",
        "keySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "attributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    },
    "SQS::Queue": {},
    "SNS::Topic": {},
    "IAM::Role": {"assumeRolePolicyDocument": TRUST},
    "Logs::LogGroup": {"retentionInDays": 7},
    "Lambda::Function": {
        "runtime": "python3.13",
        "handler": "index.handler",
        "code": {"ZipFile": "def handler(event, context):\n    return event\n"},
    },
    "ECS::Cluster": {},
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def demo_has_cloud_control(demo_url: str) -> bool:
    async def tools() -> list[str]:
        async with AWSMCPClient(server_url=demo_url) as client:
            return [tool.name for tool in await client.get_tools()]

    return "cloudcontrol_create_resource" in asyncio.run(tools())


@pytest.fixture
async def client(demo_url: str, demo_has_cloud_control: bool) -> AsyncIterator[AWSMCPClient]:
    assert demo_has_cloud_control
    # This test is the user: it agrees to every deletion the server plans.
    async with AWSMCPClient(server_url=demo_url, timeout=60, confirm=lambda plan: True) as connected:
        yield connected


async def properties_for(client: AWSMCPClient, kind: str, project: str) -> dict[str, Any]:
    properties = dict(TYPES[kind])
    if kind == "EC2::Subnet":
        vpc = await client.create_resource(
            project, ResourceConfig(type="EC2::VPC", properties=TYPES["EC2::VPC"])
        )
        properties = {**properties, "cidrBlock": "10.20.1.0/24", "vpcId": vpc.identifier}
    if kind == "Lambda::Function":
        role = await client.create_resource(
            project, ResourceConfig(type="IAM::Role", name=f"fn-{project}", properties=TYPES["IAM::Role"])
        )
        properties["role"] = role.properties.get("Arn") or f"arn:aws:iam::123456789012:role/fn-{project}"
    return properties


@pytest.mark.parametrize("kind", list(TYPES))
async def test_a_resource_is_created_read_listed_patched_and_deleted(client: AWSMCPClient, kind: str) -> None:
    project = f"p{uuid.uuid4().hex[:10]}"
    name = f"t{uuid.uuid4().hex[:12]}"
    config = ResourceConfig(
        type=kind, name=name, properties=await properties_for(client, kind, project), tags={"suite": "client"}
    )

    made = await client.create_resource(project, config)
    assert made.status is ResourceStatus.ACTIVE and made.id == f"{kind}/{made.identifier}"

    found = await client.get_resource(project, made.id)
    assert found is not None and found.project_id == project and found.tags["suite"] == "client"
    assert await client.get_resource("another-project", made.id) is None

    listed = await client.list_resources(project, ResourceFilter(resource_type=kind))
    assert made.id in {r.id for r in listed} and {r.project_id for r in listed} == {project}

    changed = await client.update_resource(project, made.id, {"tags": [{"Key": "stage", "Value": "2"}]})
    assert changed.tags.get("stage") == "2" and changed.tags[PROJECT_TAG] == project

    assert await client.delete_resource(project, made.id) is True
    assert await client.get_resource(project, made.id) is None
    with pytest.raises(InfrastructureException) as raised:
        await client.delete_resource(project, made.id)
    assert raised.value.code is ErrorCodes.RESOURCE_NOT_FOUND


async def test_an_unsupported_type_is_refused_naming_the_supported_ones(client: AWSMCPClient) -> None:
    with pytest.raises(InfrastructureException) as raised:
        await client.create_resource("p", ResourceConfig(type="Foo::Bar", name="x"))
    assert "AWS::Foo::Bar" in str(raised.value), json.dumps(raised.value.details)


async def test_a_deletion_nobody_confirms_is_refused_and_changes_nothing(
    demo_url: str, demo_has_cloud_control: bool
) -> None:
    assert demo_has_cloud_control
    project = f"p{uuid.uuid4().hex[:10]}"
    async with AWSMCPClient(server_url=demo_url, timeout=60) as unconfirmed:
        made = await unconfirmed.create_resource(
            project, ResourceConfig(type="SQS::Queue", name=f"q{project}")
        )
        with pytest.raises(InfrastructureException) as raised:
            await unconfirmed.delete_resource(project, made.id)
        assert raised.value.code is ErrorCodes.CONFIRMATION_REQUIRED and "Confirmation required" in str(
            raised.value
        )
        assert await unconfirmed.get_resource(project, made.id) is not None
