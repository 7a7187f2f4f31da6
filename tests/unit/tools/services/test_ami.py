"""Images and launching (ec2_list_images, ec2_run_instances) against moto, through the registry."""

from __future__ import annotations

import base64
import uuid
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
from aws_mcp_local.demo import DEMO_IMAGE
from tests.conftest import SCRATCH_REGION
from tests.unit.resilience.conftest import lambda_settings
from tests.unit.tools.services.calling import call
from tests.unit.tools.test_paging import valid_output
from tests.unit.tools.test_registry_audit import Audited

USER_DATA = "#!/bin/sh\necho launched-by-the-ami-tests > /tmp/marker\n"


def launch(**arguments: Any) -> dict[str, Any]:
    """ec2_run_instances' arguments: the demo image in the scratch region, tagged for this test alone."""
    return {
        "image_id": DEMO_IMAGE,
        "instance_type": "t3.micro",
        "region": SCRATCH_REGION,
        "tags": {"test": uuid.uuid4().hex},
        **arguments,
    }


def launched(registry: ToolRegistry, arguments: dict[str, Any]) -> int:
    """How many instances carry the test's tag."""
    found = call(registry, "ec2_list_instances", region=SCRATCH_REGION, tags=arguments["tags"])
    return int(found["count"])


@pytest.fixture(scope="module")
def images(aws: None) -> str:
    """Six images of one instance, in a region of their own: the region."""
    region = "ap-northeast-1"
    ec2: Any = boto3.client("ec2", region_name=region)
    instance = ec2.run_instances(ImageId=DEMO_IMAGE, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    for n in range(6):
        ec2.create_image(InstanceId=instance, Name=f"build-{n}", Description="nightly build " + "x" * 200)
    return region


class TestListImages:
    def test_the_golden_image_is_the_accounts_only_one(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_images")
        assert result["region"] == "us-east-1" and result.get("next_cursor") is None
        (image,) = result["images"]  # not the public AMIs moto ships
        assert image["name"] == "storefront-web-golden" and image["state"] == "available"
        assert image["architecture"] == "x86_64" and image["creation_date"].endswith("Z")
        assert image["tags"]["team"] == "storefront" and image["image_id"].startswith("ami-")

    def test_a_region_without_images_has_none(self, registry: ToolRegistry) -> None:
        assert call(registry, "ec2_list_images", region="eu-west-1")["images"] == []

    def test_pages_follow_the_cursor_and_the_cursor_keeps_its_region(
        self, registry: ToolRegistry, images: str
    ) -> None:
        first = call(registry, "ec2_list_images", region=images, max_results=5)
        assert first["count"] == 5 and first.get("next_cursor")
        second = call(
            registry, "ec2_list_images", region=images, max_results=5, cursor=first.get("next_cursor")
        )
        assert second["count"] == 1 and second.get("next_cursor") is None
        names = {i["name"] for i in first["images"] + second["images"]}
        assert names == {f"build-{n}" for n in range(6)}
        elsewhere = registry.call("ec2_list_images", {"cursor": first.get("next_cursor")}, CallContext())
        assert elsewhere.is_error and "other filters" in elsewhere.text

    def test_a_page_over_the_budget_is_cut_at_an_image_and_continues(
        self, settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]], images: str
    ) -> None:
        small = build_server(settings.with_changes(max_result_chars=1500), clients).registry
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            outcome = small.call("ec2_list_images", {"region": images, "cursor": cursor}, CallContext())
            assert not outcome.is_error and len(outcome.text) <= 1500
            assert outcome.structured is not None
            seen += [i["image_id"] for i in outcome.structured["images"]]
            cursor = outcome.structured.get("next_cursor")
            if cursor is None:
                break
            assert "Cut to" in outcome.structured["truncated"]
        assert len(seen) == len(set(seen)) == 6

    def test_images_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_images", fields=["name", "state"])
        (image,) = result["images"]
        assert image == {"image_id": image["image_id"], "name": "storefront-web-golden", "state": "available"}
        valid_output(registry, "ec2_list_images", result)


class TestRunInstances:
    def test_launches_tagged_instances_and_says_where_they_are(self, registry: ToolRegistry) -> None:
        arguments = launch(count=2)
        result = call(registry, "ec2_run_instances", **arguments)
        assert result["dry_run"] is False and result["reservation_id"].startswith("r-")
        assert result["message"] == "Launched 2 instance(s)."
        assert len(result["instances"]) == 2
        for instance in result["instances"]:
            assert instance["instance_id"].startswith("i-") and instance["instance_type"] == "t3.micro"
            assert instance["state"] in {"pending", "running"}
            assert instance["availability_zone"].startswith(SCRATCH_REGION) and instance["private_ip"]
        assert launched(registry, arguments) == 2
        volumes = call(registry, "ec2_list_volumes", region=SCRATCH_REGION, tags=arguments["tags"])
        assert volumes["count"] == 2  # the tags reach the root volumes too

    def test_the_network_and_key_asked_for_are_the_ones_used(self, registry: ToolRegistry) -> None:
        ec2: Any = boto3.client("ec2", region_name=SCRATCH_REGION)
        subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        group = ec2.create_security_group(GroupName=uuid.uuid4().hex, Description="launch test")["GroupId"]
        key = ec2.create_key_pair(KeyName=uuid.uuid4().hex)["KeyName"]
        arguments = launch(subnet_id=subnet, security_group_ids=[group], key_name=key)
        (instance,) = call(registry, "ec2_run_instances", **arguments)["instances"]
        detail = call(
            registry, "ec2_describe_instance", instance_id=instance["instance_id"], region=SCRATCH_REGION
        )["instance"]
        assert detail["subnet_id"] == subnet and detail["key_name"] == key
        assert [g["id"] for g in detail["security_groups"]] == [group]

    def test_a_dry_run_asks_ec2_and_launches_nothing(self, registry: ToolRegistry) -> None:
        arguments = launch(dry_run=True)
        result = call(registry, "ec2_run_instances", **arguments)
        assert (
            result["dry_run"] is True and result["instances"] == [] and result.get("reservation_id") is None
        )
        assert "Dry run succeeded" in result["message"]
        assert launched(registry, arguments) == 0

    def test_user_data_reaches_ec2_base64_encoded_once_and_never_comes_back(
        self, registry: ToolRegistry
    ) -> None:
        outcome = registry.call("ec2_run_instances", launch(user_data=USER_DATA), CallContext())
        assert not outcome.is_error and outcome.structured is not None
        assert "launched-by-the-ami-tests" not in outcome.text
        assert base64.b64encode(USER_DATA.encode()).decode() not in outcome.text
        (instance,) = outcome.structured["instances"]
        ec2: Any = boto3.client("ec2", region_name=SCRATCH_REGION)
        sent = ec2.describe_instance_attribute(InstanceId=instance["instance_id"], Attribute="userData")
        assert base64.b64decode(sent["UserData"]["Value"]).decode() == USER_DATA

    def test_user_data_reaches_neither_the_audit_log_nor_the_audit_table(
        self, settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]]
    ) -> None:
        audited = Audited(settings, clients)
        outcome = audited.call("ec2_run_instances", launch(user_data=USER_DATA))
        assert not outcome.is_error, outcome.text
        (record,) = audited.logged()
        assert record["tool"] == "ec2_run_instances" and record["outcome"] == "success"
        assert "launched-by-the-ami-tests" not in audited.stream.getvalue()
        assert "launched-by-the-ami-tests" not in str(audited.stored())

    def test_a_retry_with_the_same_idempotency_key_launches_once(self, fleet: dict[str, list[str]]) -> None:
        settings = lambda_settings()
        clients = ClientFactory(settings, session=boto3.Session(region_name="us-east-1"))
        registry = build_server(settings, clients).registry
        sent: list[int] = []
        clients.client("ec2", SCRATCH_REGION).meta.events.register(
            "after-call.ec2.RunInstances", lambda **_: sent.append(1)
        )
        arguments = launch(user_data=USER_DATA, idempotency_key=f"launch-{uuid.uuid4().hex}")
        first = registry.call("ec2_run_instances", arguments, CallContext(caller="alice"))
        again = registry.call("ec2_run_instances", arguments, CallContext(caller="alice"))
        assert sent == [1] and launched(registry, arguments) == 1
        assert first.structured is not None and again.structured is not None
        assert again.structured["replayed"]["idempotency_key"] == arguments["idempotency_key"]
        assert again.structured["instances"] == first.structured["instances"]
        assert "launched-by-the-ami-tests" not in again.text

    def test_ec2_gets_a_client_token_that_names_the_intended_launch(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        # Without the registry's idempotency store (as here), EC2's token is what keeps a retry from
        # launching twice: the same key, or the same arguments without one, give the same token.
        tokens: list[str] = []
        clients.client("ec2", SCRATCH_REGION).meta.events.register(
            "provide-client-params.ec2.RunInstances", lambda params, **_: tokens.append(params["ClientToken"])
        )
        keyed, plain = launch(idempotency_key="launch-7", dry_run=True), launch(dry_run=True)
        for arguments in (keyed, keyed, {**keyed, "idempotency_key": "launch-8"}, plain, plain):
            call(registry, "ec2_run_instances", **arguments)
        call(registry, "ec2_run_instances", **{**plain, "count": 2})
        same_key, again, other_key, same_arguments, repeated, other_arguments = tokens
        assert same_key == again and same_arguments == repeated
        assert len({same_key, other_key, same_arguments, other_arguments}) == 4
        assert all(len(t) <= 64 and t.isascii() for t in tokens)

    def test_an_answer_from_an_earlier_launch_says_nothing_new_was_launched(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        region = "eu-south-1"
        earlier = {
            "ReservationId": "r-0123456789abcdef0",
            "Instances": [
                {
                    "InstanceId": "i-0123456789abcdef0",
                    "State": {"Code": 16, "Name": "running"},
                    "InstanceType": "t3.micro",
                    "LaunchTime": datetime.now(UTC) - timedelta(hours=3),
                }
            ],
        }
        with Stubber(clients.client("ec2", region)) as stubber:
            stubber.add_response("run_instances", earlier)
            result = call(registry, "ec2_run_instances", **{**launch(), "region": region})
        assert "nothing new was launched" in result["message"] and "new idempotency_key" in result["message"]
        assert [i["instance_id"] for i in result["instances"]] == ["i-0123456789abcdef0"]

    def test_an_unknown_subnet_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        outcome = registry.call(
            "ec2_run_instances", launch(subnet_id="subnet-0123456789abcdef0"), CallContext()
        )
        assert outcome.is_error
        assert "InvalidSubnetID.NotFound" in outcome.text and "subnet-0123456789abcdef0" in outcome.text

    @pytest.mark.parametrize(
        "change",
        [
            {"count": 0},
            {"count": 11},
            {"image_id": "i-0123456789abcdef0"},
            {"instance_type": "a" * 40},
            {"user_data": "x" * 16_385},
            {"security_group_ids": ["sg-0123456789abcdef0"] * 6},
            {"tags": {f"k{n}": "v" for n in range(51)}},
        ],
    )
    def test_arguments_out_of_bounds_are_refused(
        self, registry: ToolRegistry, change: dict[str, Any]
    ) -> None:
        outcome = registry.call("ec2_run_instances", {**launch(), **change}, CallContext())
        assert outcome.is_error and "Invalid arguments for ec2_run_instances" in outcome.text

    def test_read_only_mode_refuses_it_and_nothing_is_launched(
        self, settings: Settings, clients: ClientFactory, fleet: dict[str, list[str]]
    ) -> None:
        read_only = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
        arguments = launch()
        with pytest.raises(ProtocolError, match="ReadOnly"):
            read_only.call("ec2_run_instances", arguments, CallContext())
        assert launched(read_only, arguments) == 0


@pytest.mark.parametrize(
    ("tool", "operation", "arguments"),
    [
        ("ec2_list_images", "describe_images", {}),
        ("ec2_run_instances", "run_instances", {"image_id": DEMO_IMAGE, "instance_type": "t3.micro"}),
    ],
)
def test_access_denied_and_throttling_are_told_apart(
    registry: ToolRegistry, clients: ClientFactory, tool: str, operation: str, arguments: dict[str, Any]
) -> None:
    region = "eu-south-1"
    with Stubber(clients.client("ec2", region)) as stubber:
        stubber.add_client_error(operation, "UnauthorizedOperation", http_status_code=403)
        stubber.add_client_error(operation, "RequestLimitExceeded", http_status_code=503)
        denied = registry.call(tool, {**arguments, "region": region}, CallContext())
        throttled = registry.call(tool, {**arguments, "region": region}, CallContext())
    assert denied.is_error and "denied" in denied.text and "UnauthorizedOperation" in denied.text
    assert throttled.is_error and "transient" in throttled.text and "RequestLimitExceeded" in throttled.text
