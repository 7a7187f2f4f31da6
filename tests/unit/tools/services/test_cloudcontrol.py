"""Cloud Control tools through the registry, as an agent calls them.

Here their AWS is botocore's Stubber over the real service models: what is checked before any
change is asked for, waiting on a request, and paging of lists filtered here. (Resource CRUD for
every type the demo supports runs against the demo's Cloud Control in test_cloudcontrol_demo.py.)
The image default reads moto's copy of the public SSM parameters.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.resilience.waiting import WaitBudget
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from tests.unit.tools.services.calling import FakeClock, call, refused, walk

REGION = "eu-west-1"
TOKEN = "aws-mcp-0123456789abcdef"
INSTANCE = "AWS::EC2::Instance"
QUEUE = "AWS::SQS::Queue"

INSTANCE_SCHEMA = {
    "typeName": INSTANCE,
    "description": "Resource Type definition for AWS::EC2::Instance",
    "definitions": {
        "Tag": {
            "type": "object",
            "properties": {"Key": {"type": "string"}, "Value": {"type": "string"}},
            "required": ["Key", "Value"],
        }
    },
    "properties": {
        "InstanceId": {"type": "string"},
        "ImageId": {"type": "string"},
        "InstanceType": {"type": "string"},
        "SubnetId": {"type": "string"},
        "UserData": {"type": "string"},
        "Tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}},
        "PrivateIpAddress": {"type": "string"},
    },
    "readOnlyProperties": ["/properties/InstanceId", "/properties/PrivateIpAddress"],
    "createOnlyProperties": ["/properties/ImageId", "/properties/SubnetId"],
    "writeOnlyProperties": ["/properties/UserData"],
    "primaryIdentifier": ["/properties/InstanceId"],
}
QUEUE_SCHEMA = {
    "typeName": QUEUE,
    "properties": {
        "QueueName": {"type": "string"},
        "QueueUrl": {"type": "string"},
        "VisibilityTimeout": {"type": "integer"},
        "Tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}},
    },
    "definitions": {"Tag": {"type": "object"}},
    "required": ["QueueName"],
    "readOnlyProperties": ["/properties/QueueUrl"],
    "createOnlyProperties": ["/properties/QueueName"],
    "primaryIdentifier": ["/properties/QueueUrl"],
}
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    """Nothing seeded: the stubbed clients answer, and moto's SSM holds the public parameters."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry(settings: Settings, clients: ClientFactory, estate: None, clock: FakeClock) -> ToolRegistry:
    wait = WaitBudget(10.0, slack_s=0.0, clock=clock, sleep=clock.sleep)
    return build_server(settings, clients, wait=wait).registry


@pytest.fixture
def cloudformation(clients: ClientFactory) -> Any:
    with Stubber(clients.client("cloudformation", REGION)) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def cloudcontrol(clients: ClientFactory) -> Any:
    with Stubber(clients.client("cloudcontrol", REGION)) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def schema_of(stubber: Stubber, document: dict[str, Any]) -> None:
    stubber.add_response(
        "describe_type",
        {"Schema": json.dumps(document), "TypeName": document["typeName"]},
        {"Type": "RESOURCE", "TypeName": document["typeName"]},
    )


def event(status: str, operation: str = "CREATE", type_name: str = QUEUE, **more: Any) -> dict[str, Any]:
    return {
        "ProgressEvent": {
            "TypeName": type_name,
            "Operation": operation,
            "OperationStatus": status,
            "RequestToken": TOKEN,
            **more,
        }
    }


def status_is(stubber: Stubber, status: str, **more: Any) -> None:
    stubber.add_response("get_resource_request_status", event(status, **more), {"RequestToken": TOKEN})


def resource(identifier: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"Identifier": identifier, "Properties": json.dumps(properties)}


class TestDescribeType:
    def test_a_type_is_shown_in_brief_with_what_can_be_written_and_what_create_fills(
        self, registry: ToolRegistry, cloudformation: Stubber
    ) -> None:
        schema_of(cloudformation, INSTANCE_SCHEMA)
        brief = call(registry, "cloudcontrol_describe_type", region=REGION, type_name=INSTANCE)
        assert brief["primary_identifier"] == ["InstanceId"]
        assert brief["writable"] == {
            "ImageId": "string",
            "InstanceType": "string",
            "SubnetId": "string",
            "UserData": "string",
            "Tags": "array of object",
        }
        assert brief["read_only"] == ["InstanceId", "PrivateIpAddress"]
        assert brief["create_only"] == ["ImageId", "SubnetId"] and brief["write_only"] == ["UserData"]
        assert "Amazon Linux" in brief["defaults"]["ImageId"]

    def test_one_property_comes_with_its_definitions_resolved_and_the_schema_is_read_once(
        self, registry: ToolRegistry, cloudformation: Stubber
    ) -> None:
        schema_of(cloudformation, INSTANCE_SCHEMA)
        call(registry, "cloudcontrol_describe_type", region=REGION, type_name=INSTANCE)
        tags = call(
            registry, "cloudcontrol_describe_type", region=REGION, type_name=INSTANCE, property="tags"
        )
        assert tags["property_schema"]["items"]["required"] == ["Key", "Value"]

    def test_a_property_the_type_lacks_is_named_with_the_nearest_it_has(
        self, registry: ToolRegistry, cloudformation: Stubber
    ) -> None:
        schema_of(cloudformation, INSTANCE_SCHEMA)
        said = refused(
            registry, "cloudcontrol_describe_type", region=REGION, type_name=INSTANCE, property="InstanceTyp"
        )
        assert "no property InstanceTyp (did you mean InstanceType?)" in said

    def test_an_unknown_type_names_the_tool_that_finds_types(
        self, registry: ToolRegistry, cloudformation: Stubber
    ) -> None:
        cloudformation.add_client_error(
            "describe_type", "TypeNotFoundException", "The type AWS::No::Such does not exist"
        )
        said = refused(registry, "cloudcontrol_describe_type", region=REGION, type_name="AWS::No::Such")
        assert "No resource type AWS::No::Such" in said and "cloudcontrol_list_types" in said

    @pytest.mark.parametrize("name", ["EC2::Instance", "AWS::EC2", "AWS::EC2::Inst ance", "A::B::C"])
    def test_a_type_name_must_have_three_parts(self, registry: ToolRegistry, name: str) -> None:
        assert "Organization::Service::Resource" in refused(
            registry, "cloudcontrol_describe_type", type_name=name
        )


class TestCreate:
    def test_a_desired_state_in_any_case_is_created_and_waited_for(
        self, registry: ToolRegistry, cloudformation: Stubber, cloudcontrol: Stubber, clock: FakeClock
    ) -> None:
        schema_of(cloudformation, QUEUE_SCHEMA)
        cloudcontrol.add_response(
            "create_resource",
            event("IN_PROGRESS"),
            {
                "TypeName": QUEUE,
                "DesiredState": '{"QueueName":"orders","VisibilityTimeout":30}',
                "ClientToken": ANY,
            },
        )
        status_is(cloudcontrol, "IN_PROGRESS")
        model = {"QueueName": "orders", "QueueUrl": QUEUE_URL, "VisibilityTimeout": 30}
        status_is(cloudcontrol, "SUCCESS", Identifier=QUEUE_URL, ResourceModel=json.dumps(model))
        made = call(
            registry,
            "cloudcontrol_create_resource",
            region=REGION,
            type_name=QUEUE,
            desired_state={"queueName": "orders", "visibilitytimeout": 30},
        )
        assert made["status"] == "SUCCESS" and made["identifier"] == QUEUE_URL
        assert made["properties"] == model and made.get("note") is None
        assert clock.slept == [0.5, 1.0]

    def test_an_unknown_or_read_only_property_is_refused_before_anything_is_asked(
        self, registry: ToolRegistry, cloudformation: Stubber, cloudcontrol: Stubber
    ) -> None:
        schema_of(cloudformation, QUEUE_SCHEMA)
        said = refused(
            registry,
            "cloudcontrol_create_resource",
            region=REGION,
            type_name=QUEUE,
            desired_state={"QueueName": "q", "VisibilityTimout": 5},
        )
        assert "no property VisibilityTimout (did you mean VisibilityTimeout?)" in said
        said = refused(
            registry,
            "cloudcontrol_create_resource",
            region=REGION,
            type_name=QUEUE,
            desired_state={"QueueName": "q", "QueueUrl": "x"},
        )
        assert "QueueUrl of AWS::SQS::Queue are read-only" in said

    def test_missing_required_properties_are_named(
        self, registry: ToolRegistry, cloudformation: Stubber, cloudcontrol: Stubber
    ) -> None:
        schema_of(cloudformation, QUEUE_SCHEMA)
        said = refused(
            registry,
            "cloudcontrol_create_resource",
            region=REGION,
            type_name=QUEUE,
            desired_state={"VisibilityTimeout": 5},
        )
        assert "AWS::SQS::Queue needs QueueName" in said

    @pytest.mark.parametrize(("instance_type", "arch"), [("t3.micro", "x86_64"), ("t4g.small", "arm64")])
    def test_an_instance_without_an_image_gets_the_latest_amazon_linux_for_its_architecture(
        self,
        registry: ToolRegistry,
        clients: ClientFactory,
        cloudformation: Stubber,
        cloudcontrol: Stubber,
        instance_type: str,
        arch: str,
    ) -> None:
        ssm = clients.client("ssm", REGION)
        image = ssm.get_parameter(
            Name=f"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
        )
        image_id = image["Parameter"]["Value"]
        schema_of(cloudformation, INSTANCE_SCHEMA)
        state = {"InstanceType": instance_type, "ImageId": image_id}
        cloudcontrol.add_response(
            "create_resource",
            event("SUCCESS", type_name=INSTANCE, Identifier="i-0abc", ResourceModel=json.dumps(state)),
            {
                "TypeName": INSTANCE,
                "DesiredState": json.dumps(state, separators=(",", ":")),
                "ClientToken": ANY,
            },
        )
        made = call(
            registry,
            "cloudcontrol_create_resource",
            region=REGION,
            type_name=INSTANCE,
            desired_state={"InstanceType": instance_type},
        )
        assert made["defaults_filled"] == {"ImageId": image_id}

    def test_a_request_that_outlives_the_wait_answers_its_token_and_is_picked_up_later(
        self, registry: ToolRegistry, cloudformation: Stubber, cloudcontrol: Stubber, clock: FakeClock
    ) -> None:
        schema_of(cloudformation, QUEUE_SCHEMA)
        cloudcontrol.add_response("create_resource", event("IN_PROGRESS"), None)
        for _ in range(7):  # after 0.5, 1.5, 3.5, 5.5, 7.5, 9.5 and 10 s
            status_is(cloudcontrol, "IN_PROGRESS")
        started = call(
            registry,
            "cloudcontrol_create_resource",
            region=REGION,
            type_name=QUEUE,
            desired_state={"QueueName": "q"},
        )
        assert started["status"] == "IN_PROGRESS" and started["request_token"] == TOKEN
        assert "cloudcontrol_request_status" in started["note"]
        assert sum(clock.slept) == pytest.approx(10.0) and max(clock.slept) <= 2.0

        status_is(cloudcontrol, "SUCCESS", Identifier=QUEUE_URL, ResourceModel='{"QueueName":"q"}')
        done = call(registry, "cloudcontrol_request_status", region=REGION, request_token=TOKEN)
        assert done["status"] == "SUCCESS" and done["properties"] == {"QueueName": "q"}

    def test_a_failed_request_says_why(
        self, registry: ToolRegistry, cloudformation: Stubber, cloudcontrol: Stubber
    ) -> None:
        schema_of(cloudformation, QUEUE_SCHEMA)
        failed = event("FAILED", ErrorCode="AlreadyExists", StatusMessage="Queue q already exists")
        cloudcontrol.add_response("create_resource", failed, None)
        outcome = call(
            registry,
            "cloudcontrol_create_resource",
            region=REGION,
            type_name=QUEUE,
            desired_state={"QueueName": "q"},
        )
        assert (outcome["status"], outcome["error_code"]) == ("FAILED", "AlreadyExists")
        assert outcome["status_message"] == "Queue q already exists" and outcome.get("properties") is None

    def test_the_client_token_follows_the_idempotency_key(
        self, registry: ToolRegistry, clients: ClientFactory, cloudformation: Stubber, cloudcontrol: Stubber
    ) -> None:
        schema_of(cloudformation, QUEUE_SCHEMA)
        sent: list[str] = []
        clients.client("cloudcontrol", REGION).meta.events.register(
            "provide-client-params.cloudcontrol.CreateResource",
            lambda params, **_: sent.append(params["ClientToken"]),
        )
        for key in ("first", "second"):
            cloudcontrol.add_response(
                "create_resource", event("SUCCESS", Identifier=QUEUE_URL, ResourceModel="{}"), None
            )
            call(
                registry,
                "cloudcontrol_create_resource",
                region=REGION,
                type_name=QUEUE,
                desired_state={"QueueName": "q"},
                idempotency_key=key,
            )
        assert len(set(sent)) == 2 and all(t.startswith("aws-mcp-") and len(t) <= 64 for t in sent)

    def test_a_read_only_server_refuses_to_create(self, clients: ClientFactory) -> None:
        settings = Settings(access_mode=AccessMode.READ_ONLY, default_region="us-east-1")
        registry = build_server(settings, clients).registry
        with pytest.raises(ProtocolError, match="ReadWrite"):
            registry.call(
                "cloudcontrol_create_resource",
                {"type_name": QUEUE, "desired_state": {"QueueName": "q"}},
                CallContext(),
            )


class TestUpdate:
    def patch(self, registry: ToolRegistry, *operations: dict[str, Any]) -> str:
        return refused(
            registry,
            "cloudcontrol_update_resource",
            region=REGION,
            type_name=QUEUE,
            identifier=QUEUE_URL,
            patch=list(operations),
        )

    def test_a_patch_in_any_case_is_sent_in_the_schemas_spelling(
        self, registry: ToolRegistry, cloudformation: Stubber, cloudcontrol: Stubber
    ) -> None:
        schema_of(cloudformation, QUEUE_SCHEMA)
        cloudcontrol.add_response(
            "get_resource",
            {"TypeName": QUEUE, "ResourceDescription": resource(QUEUE_URL, {"QueueName": "orders"})},
            {"TypeName": QUEUE, "Identifier": QUEUE_URL},
        )
        cloudcontrol.add_response(
            "update_resource",
            event("SUCCESS", "UPDATE", Identifier=QUEUE_URL, ResourceModel='{"VisibilityTimeout":60}'),
            {
                "TypeName": QUEUE,
                "Identifier": QUEUE_URL,
                "PatchDocument": '[{"op":"replace","path":"/VisibilityTimeout","value":60}]',
                "ClientToken": ANY,
            },
        )
        changed = call(
            registry,
            "cloudcontrol_update_resource",
            region=REGION,
            type_name=QUEUE,
            identifier=QUEUE_URL,
            patch=[{"op": "replace", "path": "/visibilityTimeout", "value": 60}],
        )
        assert changed["operation"] == "UPDATE" and changed["properties"] == {"VisibilityTimeout": 60}

    def test_a_create_only_or_read_only_property_cannot_be_patched(
        self, registry: ToolRegistry, cloudformation: Stubber, cloudcontrol: Stubber
    ) -> None:
        schema_of(cloudformation, QUEUE_SCHEMA)
        said = self.patch(registry, {"op": "replace", "path": "/QueueName", "value": "other"})
        assert "QueueName of AWS::SQS::Queue is set at creation only" in said
        assert "read-only" in self.patch(registry, {"op": "remove", "path": "/QueueUrl"})
        assert "needs a value" in self.patch(registry, {"op": "add", "path": "/VisibilityTimeout"})

    @pytest.mark.parametrize(
        "operation",
        [
            {"op": "delete", "path": "/X"},
            {"op": "add", "path": "X", "value": 1},
            {"op": "add", "value": 1},
            {},
        ],
    )
    def test_an_operation_that_is_not_rfc_6902_is_refused(
        self, registry: ToolRegistry, operation: Any
    ) -> None:
        assert "patch" in self.patch(registry, operation)

    def test_a_resource_that_is_not_there_is_named(
        self, registry: ToolRegistry, cloudformation: Stubber, cloudcontrol: Stubber
    ) -> None:
        schema_of(cloudformation, QUEUE_SCHEMA)
        cloudcontrol.add_client_error("get_resource", "ResourceNotFoundException", "not found")
        said = self.patch(registry, {"op": "replace", "path": "/VisibilityTimeout", "value": 1})
        assert f"No AWS::SQS::Queue {QUEUE_URL} in {REGION}" in said


class TestListTypes:
    @staticmethod
    def summaries(*names: str) -> list[dict[str, Any]]:
        return [{"TypeName": n, "Description": f"{n} resource"} for n in names]

    def listed(
        self, stubber: Stubber, provisioning: str, names: tuple[str, ...], token: Any, following: Any
    ) -> None:
        response: dict[str, Any] = {"TypeSummaries": self.summaries(*names)}
        if following:
            response["NextToken"] = following
        request = {
            "Type": "RESOURCE",
            "Visibility": "PUBLIC",
            "Filters": {"Category": "AWS_TYPES"},
            "ProvisioningType": provisioning,
            "MaxResults": 100,
            **({"NextToken": token} if token else {}),
        }
        stubber.add_response("list_types", response, request)

    def test_a_search_reads_on_across_pages_and_into_the_immutable_types_without_gaps_or_repeats(
        self, registry: ToolRegistry, cloudformation: Stubber
    ) -> None:
        pages = [
            ("FULLY_MUTABLE", ("AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::S3::AccessPoint"), None, "p2"),
            ("FULLY_MUTABLE", ("AWS::SNS::Topic", "AWS::S3::BucketPolicy"), "p2", None),
            ("IMMUTABLE", ("AWS::S3::StorageLens", "AWS::EC2::VPC"), None, None),
        ]
        for provisioning, names, token, following in pages:
            self.listed(cloudformation, provisioning, names, token, following)
        found = walk(registry, "cloudcontrol_list_types", "types", region=REGION, search="s3", max_results=5)
        assert [t["type_name"] for t in found] == [
            "AWS::S3::Bucket",
            "AWS::S3::AccessPoint",
            "AWS::S3::BucketPolicy",
            "AWS::S3::StorageLens",
        ]
        assert found[-1]["immutable"] is True and found[0].get("immutable") is None

    def test_a_page_ends_when_it_is_full_and_resumes_after_its_last_type(
        self, registry: ToolRegistry, cloudformation: Stubber
    ) -> None:
        names = tuple(f"AWS::S3::Thing{n}" for n in range(7))
        self.listed(cloudformation, "FULLY_MUTABLE", names, None, None)
        self.listed(cloudformation, "FULLY_MUTABLE", names, None, None)
        self.listed(cloudformation, "IMMUTABLE", (), None, None)
        found = walk(registry, "cloudcontrol_list_types", "types", region=REGION, max_results=5)
        assert [t["type_name"] for t in found] == list(names)


class TestListResources:
    def test_a_tag_filter_reads_whole_the_resources_listed_without_their_tags(
        self, registry: ToolRegistry, cloudcontrol: Stubber
    ) -> None:
        listed = [resource(f"{QUEUE_URL}{n}", {"QueueUrl": f"{QUEUE_URL}{n}"}) for n in range(3)]
        cloudcontrol.add_response("list_resources", {"TypeName": QUEUE, "ResourceDescriptions": listed}, None)
        for n, team in enumerate(("web", "data", "web")):
            whole = {"QueueUrl": f"{QUEUE_URL}{n}", "Tags": [{"Key": "team", "Value": team}]}
            cloudcontrol.add_response(
                "get_resource",
                {"TypeName": QUEUE, "ResourceDescription": resource(f"{QUEUE_URL}{n}", whole)},
                {"TypeName": QUEUE, "Identifier": f"{QUEUE_URL}{n}"},
            )
        page = call(
            registry, "cloudcontrol_list_resources", region=REGION, type_name=QUEUE, tags={"team": "web"}
        )
        assert [r["identifier"] for r in page["resources"]] == [f"{QUEUE_URL}0", f"{QUEUE_URL}2"]
        assert page.get("next_cursor") is None

    def test_a_page_that_must_read_many_resources_whole_stops_within_its_calls_and_goes_on(
        self, registry: ToolRegistry, cloudcontrol: Stubber
    ) -> None:
        listed = [resource(f"{QUEUE_URL}{n}", {"QueueUrl": f"{QUEUE_URL}{n}"}) for n in range(40)]
        whole = [
            {"QueueUrl": f"{QUEUE_URL}{n}", "Tags": [{"Key": "team", "Value": "web"}]} for n in range(40)
        ]
        first, second = whole[:29], whole[29:]  # 30 calls a page: the list, then 29 reads
        for part in (first, second):
            cloudcontrol.add_response(
                "list_resources", {"TypeName": QUEUE, "ResourceDescriptions": listed}, None
            )
            for properties in part:
                description = resource(str(properties["QueueUrl"]), properties)
                cloudcontrol.add_response(
                    "get_resource", {"TypeName": QUEUE, "ResourceDescription": description}, None
                )
        found = walk(
            registry,
            "cloudcontrol_list_resources",
            "resources",
            region=REGION,
            type_name=QUEUE,
            tags={"team": "web"},
            max_results=100,
        )
        assert [r["identifier"] for r in found] == [f"{QUEUE_URL}{n}" for n in range(40)]

    def test_secret_looking_values_are_redacted(self, registry: ToolRegistry, cloudcontrol: Stubber) -> None:
        secret = {"FunctionName": "f", "Environment": {"Variables": {"DB_PASSWORD": "hunter2"}}}
        cloudcontrol.add_response(
            "get_resource",
            {"TypeName": "AWS::Lambda::Function", "ResourceDescription": resource("f", secret)},
            None,
        )
        got = call(
            registry,
            "cloudcontrol_get_resource",
            region=REGION,
            type_name="AWS::Lambda::Function",
            identifier="f",
        )
        assert "hunter2" not in json.dumps(got) and got["properties"]["FunctionName"] == "f"
