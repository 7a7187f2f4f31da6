"""AWSMCPClient against our demo server (over uvicorn) and against a server that has Cloud Control tools.

Our server has no Cloud Control tools yet: create/update/delete say "not supported", while EC2
instances are listed, read and their state reported through the EC2 tools. The same client against
a server that registers the Cloud Control tools runs the whole create → update → status → delete cycle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from aws_mcp_client import ErrorCodes, InfrastructureException
from aws_mcp_client.aws import EC2_INSTANCE, AWSMCPClient, create_aws_mcp_client
from aws_mcp_client.config import ClientSettings
from aws_mcp_client.models import ResourceConfig, ResourceFilter
from tests.e2e.client.servers import crud_server, http_app, serving

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
BUCKET = "AWS::S3::Bucket"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def ours(demo_url: str) -> AsyncIterator[AWSMCPClient]:
    async with create_aws_mcp_client(demo_url, settings=ClientSettings(timeout=20.0)) as client:
        yield client


@pytest.fixture
def crud_url() -> Iterator[str]:
    with serving(http_app(crud_server())) as base:
        yield f"{base}/mcp"


async def test_health_and_server_info_describe_our_server(ours: AWSMCPClient) -> None:
    health = await ours.health_check()
    assert health.healthy and health.breaker == "closed" and health.latency_ms is not None
    info = await ours.get_server_info()
    assert info.name == "aws-mcp" and info.protocol_version == "2026-07-28"
    assert {"aws_whoami", "ec2_list_instances", "ec2_describe_instance"} <= set(info.tools)


async def test_ec2_instances_are_listed_filtered_read_and_their_state_reported(ours: AWSMCPClient) -> None:
    page = await ours.list_resources(
        ResourceFilter(resource_type="ec2", region="us-east-1", states=("running",))
    )
    assert page.resources and {r.state for r in page.resources} == {"running"}
    first = page.resources[0]
    assert first.resource_type == EC2_INSTANCE and first.region == "us-east-1"

    resource = await ours.get_resource(EC2_INSTANCE, first.identifier, region="us-east-1")
    assert resource.identifier == first.identifier and resource.properties["instance_type"]
    status = await ours.get_resource_status("ec2", first.identifier, region="us-east-1")
    assert status.state == "running"


async def test_a_missing_instance_is_resource_not_found_and_a_malformed_id_a_validation_failure(
    ours: AWSMCPClient,
) -> None:
    with pytest.raises(InfrastructureException) as missing:
        await ours.get_resource("ec2", "i-0123456789abcdef0", region="us-east-1")
    assert missing.value.code is ErrorCodes.RESOURCE_NOT_FOUND
    with pytest.raises(InfrastructureException) as malformed:
        await ours.get_resource("ec2", "not-an-instance")
    assert malformed.value.code is ErrorCodes.VALIDATION_FAILED


async def test_the_crud_methods_light_up_on_a_server_with_cloud_control_tools(crud_url: str) -> None:
    async with create_aws_mcp_client(crud_url, settings=ClientSettings(timeout=10.0)) as client:
        created = await client.create_resource(
            ResourceConfig(resource_type=BUCKET, properties={"BucketName": "logs", "Versioning": "off"})
        )
        assert created.state == "SUCCESS" and created.identifier == "logs" and created.operation == "CREATE"
        status = await client.get_resource_status(BUCKET, request_token=created.request_token)
        assert status.state == "SUCCESS" and status.request_token == created.request_token

        updated = await client.update_resource(
            ResourceConfig(resource_type=BUCKET, identifier="logs", properties={"Versioning": "on"})
        )
        assert updated.operation == "UPDATE"
        resource = await client.get_resource(BUCKET, "logs")
        assert resource.properties == {"BucketName": "logs", "Versioning": "on"}
        listed = await client.list_resources(ResourceFilter(resource_type=BUCKET))
        assert [r.identifier for r in listed.resources] == ["logs"]

        deleted = await client.delete_resource(BUCKET, "logs")
        assert deleted.operation == "DELETE"
        with pytest.raises(InfrastructureException) as raised:
            await client.get_resource(BUCKET, "logs")
        assert raised.value.code is ErrorCodes.RESOURCE_NOT_FOUND
        # EC2 has no tool of its own here, and Cloud Control cannot filter by state.
        with pytest.raises(InfrastructureException) as refused:
            await client.list_resources(ResourceFilter(resource_type="ec2", states=("running",)))
        assert refused.value.code is ErrorCodes.VALIDATION_FAILED


async def test_an_update_without_an_identifier_is_refused(crud_url: str) -> None:
    async with create_aws_mcp_client(crud_url) as client:
        with pytest.raises(InfrastructureException) as raised:
            await client.update_resource(ResourceConfig(resource_type=BUCKET, properties={"A": 1}))
        assert raised.value.code is ErrorCodes.VALIDATION_FAILED
