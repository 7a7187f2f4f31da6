"""AWSMCPClient's resource operations, as seed 000 documents them, against the ``resources`` contract.

``crud_server`` serves the contract's tools over a store whose requests can be made slow, for what
the demo cannot show (a change that outlives the wait); the demo's own Cloud Control tools are
exercised type by type in ``test_resources.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from aws_mcp_client import (
    AWSMCPClient,
    ClientSettings,
    ErrorCodes,
    InfrastructureException,
    ResourceConfig,
    ResourceFilter,
    ResourceStatus,
    create_aws_mcp_client,
)
from aws_mcp_client.aws import PROJECT_TAG
from tests.e2e.client.servers import Store, crud_server, http_app, serving

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def ours(demo_url: str) -> AsyncIterator[AWSMCPClient]:
    async with create_aws_mcp_client(demo_url, settings=ClientSettings(timeout=20.0)) as client:
        yield client


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
async def client(store: Store) -> AsyncIterator[AWSMCPClient]:
    with serving(http_app(crud_server(store))) as base:
        async with AWSMCPClient(server_url=base, timeout=10) as connected:
            yield connected


async def test_health_check_is_a_bool_and_server_info_a_dict(ours: AWSMCPClient) -> None:
    assert await ours.health_check() is True
    info = await ours.get_server_info()
    assert info["name"] == "aws-mcp" and info["protocol_version"] == "2026-07-28"
    assert {"aws_whoami", "ec2_list_instances"} <= set(info["tools"])


async def test_health_check_of_an_unreachable_server_is_false_not_an_error() -> None:
    client = AWSMCPClient(server_url="http://127.0.0.1:9", timeout=2)
    assert await client.health_check() is False
    await client.disconnect()


def test_a_bare_server_url_means_our_mcp_endpoint() -> None:
    assert AWSMCPClient(server_url="http://localhost:8000").server_url == "http://localhost:8000/mcp"
    assert AWSMCPClient(server_url="http://h:1/dev/mcp").server_url == "http://h:1/dev/mcp"


async def test_a_created_resource_carries_its_project_name_and_tags(
    client: AWSMCPClient, store: Store
) -> None:
    config = ResourceConfig(
        type="EC2::Instance", name="my-instance", properties={"instanceType": "t3.micro"}, tags={"Env": "dev"}
    )
    resource = await client.create_resource("project-123", config)
    assert resource.id == f"EC2::Instance/{resource.identifier}" and resource.status is ResourceStatus.ACTIVE
    assert resource.project_id == "project-123" and resource.name == "my-instance"
    assert resource.tags == {"Env": "dev", "Name": "my-instance", PROJECT_TAG: "project-123"}
    stored = store.resources[("AWS::EC2::Instance", str(resource.identifier))]
    assert stored["InstanceType"] == "t3.micro" and stored["ImageId"] == "ami-0demo"


async def test_a_name_fills_the_types_name_property(client: AWSMCPClient) -> None:
    bucket = await client.create_resource("p", ResourceConfig(type="S3::Bucket", name="logs-bucket"))
    assert bucket.id == "S3::Bucket/logs-bucket" and bucket.properties["BucketName"] == "logs-bucket"


async def test_get_finds_the_projects_resource_and_none_otherwise(client: AWSMCPClient) -> None:
    made = await client.create_resource("a", ResourceConfig(type="S3::Bucket", name="mine"))
    found = await client.get_resource("a", made.id)
    assert found is not None and found.id == made.id and found.project_id == "a"
    assert await client.get_resource("b", made.id) is None, "another project's resource is not found"
    assert await client.get_resource("a", "S3::Bucket/nobody") is None
    assert await client.get_resource("a", "nonexistent-id") is None
    assert await client.get_resource(None, made.id) is not None, "None: any project"


async def test_listing_by_project_filters_on_its_tag_over_every_page(client: AWSMCPClient) -> None:
    for n in range(25):
        await client.create_resource("many", ResourceConfig(type="S3::Bucket", name=f"b{n:02}"))
    await client.create_resource("other", ResourceConfig(type="S3::Bucket", name="elsewhere"))
    listed = await client.list_resources("many", ResourceFilter(resource_type="S3::Bucket"))
    assert len(listed) == 25 and {r.project_id for r in listed} == {"many"}
    assert len(await client.list_resources(None, ResourceFilter(resource_type="AWS::S3::Bucket"))) == 26
    few = await client.list_resources("many", ResourceFilter(resource_type="S3::Bucket", max_results=3))
    assert len(few) == 3
    active = ResourceFilter(resource_type="S3::Bucket", status=ResourceStatus.ACTIVE)
    assert len(await client.list_resources("many", active)) == 25


async def test_listing_needs_a_type(client: AWSMCPClient) -> None:
    with pytest.raises(InfrastructureException) as raised:
        await client.list_resources("p")
    assert raised.value.code is ErrorCodes.VALIDATION_FAILED and "resource_type" in raised.value.message


async def test_an_update_is_a_patch_in_the_types_spelling_keeping_the_project(
    client: AWSMCPClient, store: Store
) -> None:
    made = await client.create_resource("p", ResourceConfig(type="SQS::Queue", name="q"))
    changed = await client.update_resource(
        "p", made.id, {"delaySeconds": 5, "tags": [{"Key": "k", "Value": "v"}]}
    )
    assert changed.properties["DelaySeconds"] == 5
    assert changed.tags == {"k": "v", PROJECT_TAG: "p"}
    assert store.resources[("AWS::SQS::Queue", str(made.identifier))]["DelaySeconds"] == 5


async def test_delete_returns_true_and_the_resource_is_gone(client: AWSMCPClient) -> None:
    made = await client.create_resource("p", ResourceConfig(type="S3::Bucket", name="gone"))
    assert await client.delete_resource("p", made.id) is True
    assert await client.get_resource("p", made.id) is None
    with pytest.raises(InfrastructureException) as raised:
        await client.delete_resource("p", made.id)
    assert raised.value.code is ErrorCodes.RESOURCE_NOT_FOUND


async def test_another_projects_resource_is_neither_changed_nor_deleted(client: AWSMCPClient) -> None:
    made = await client.create_resource("a", ResourceConfig(type="S3::Bucket", name="theirs"))
    for attempt in (client.delete_resource("b", made.id), client.update_resource("b", made.id, {"x": 1})):
        with pytest.raises(InfrastructureException) as raised:
            await attempt
        assert raised.value.code is ErrorCodes.RESOURCE_NOT_FOUND
    assert await client.get_resource("a", made.id) is not None


async def test_a_missing_required_property_is_a_validation_failure(client: AWSMCPClient) -> None:
    with pytest.raises(InfrastructureException) as raised:
        await client.create_resource("p", ResourceConfig(type="SQS::Queue"))
    assert raised.value.code is ErrorCodes.VALIDATION_FAILED and "QueueName" in raised.value.message


async def test_an_unsupported_type_is_refused_naming_it(client: AWSMCPClient) -> None:
    with pytest.raises(InfrastructureException) as raised:
        await client.create_resource("p", ResourceConfig(type="Foo::Bar", name="x"))
    assert "AWS::Foo::Bar" in raised.value.message


async def test_a_change_outliving_the_wait_is_followed_by_get_resource_status(store: Store) -> None:
    store.slow_polls = 1_000_000
    with serving(http_app(crud_server(store))) as base:
        async with AWSMCPClient(server_url=base, timeout=1.5) as client:
            made = await client.create_resource("p", ResourceConfig(type="S3::Bucket", name="slow"))
            assert made.status is ResourceStatus.CREATING and made.request_token
            assert await client.get_resource_status("p", made.id) is ResourceStatus.CREATING
            store.slow_polls = 0
            store.polls[made.request_token] = 0
            assert await client.get_resource_status("p", made.id) is ResourceStatus.ACTIVE
            assert await client.get_resource_status("p", made.id) is ResourceStatus.ACTIVE  # read, now


async def test_the_status_of_a_resource_no_one_has_is_not_found(client: AWSMCPClient) -> None:
    with pytest.raises(InfrastructureException) as raised:
        await client.get_resource_status("p", "S3::Bucket/none")
    assert raised.value.code is ErrorCodes.RESOURCE_NOT_FOUND


@pytest.fixture
def crud_url() -> Iterator[str]:
    with serving(http_app(crud_server())) as base:
        yield f"{base}/mcp"
