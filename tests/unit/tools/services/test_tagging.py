"""Tagging tools against moto's Resource Groups Tagging API, through the registry as an agent would
call them. moto answers for the resources of the services it tags (EC2, S3, Lambda, RDS, SNS, SQS,
DynamoDB, ...; not Route 53); the demo shows SNS, DynamoDB and SQS resources."""

from __future__ import annotations

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
from aws_mcp_local.demo import seed, table_names
from tests.unit.tools.services.calling import answers_as_declared, call, refused

ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:storefront-alerts"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders-events"
# Where tests make resources of their own, apart from the demo's and from each other's.
PAGING_REGION = "ap-northeast-1"
CROWDED_REGION = "ca-central-1"
SCRATCH = "ap-southeast-2"


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("tagging",))


def topics(region: str, prefix: str, n: int, **tags: str) -> list[str]:
    sns = boto3.client("sns", region_name=region)
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
    return [sns.create_topic(Name=f"{prefix}-{i:02}", Tags=tag_list)["TopicArn"] for i in range(n)]


def tags_of(arn: str) -> dict[str, str]:
    region = arn.split(":")[3]
    found = boto3.client("resourcegroupstaggingapi", region_name=region).get_resources(ResourceARNList=[arn])
    return {t["Key"]: t["Value"] for t in found["ResourceTagMappingList"][0]["Tags"]}


def walk(registry: ToolRegistry, **arguments: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        page = call(registry, "tagging_find_resources", **arguments, cursor=cursor)
        seen += page["resources"]
        cursor = page.get("next_cursor")
        if cursor is None:
            return seen
    raise AssertionError("the pages never ended")


class TestExamples:
    """Every example answers as declared (first: the other tests change tags)."""

    def test_every_example_answers_as_declared(self, registry: ToolRegistry) -> None:
        answers_as_declared(registry, "tagging_")


class TestFindResources:
    def test_finds_a_teams_resources_of_every_service_with_counts_by_type(
        self, registry: ToolRegistry
    ) -> None:
        result = call(registry, "tagging_find_resources", tags={"team": ["storefront"]})
        assert result["by_type"] == {"dynamodb:table": 1, "sns": 1} and result["count"] == 2
        topic = next(r for r in result["resources"] if r["arn"] == TOPIC)
        assert topic["type"] == "sns" and topic["tags"]["env"] == "prod"

    def test_an_empty_value_list_matches_any_value_and_types_narrow(self, registry: ToolRegistry) -> None:
        every = call(registry, "tagging_find_resources", tags={"env": []})
        assert every["by_type"] == {"dynamodb:table": 1, "sns": 1, "sqs": 1}
        queues = call(registry, "tagging_find_resources", tags={"env": []}, resource_types=["sqs"])
        assert [r["arn"] for r in queues["resources"]] == [QUEUE]

    def test_resources_can_be_found_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "tagging_find_resources", tags={"team": ["payments"]}, fields=["type"])
        assert result["resources"] == [{"arn": QUEUE, "type": "sqs"}] and result["by_type"] == {"sqs": 1}

    def test_nothing_matching_is_an_empty_page(self, registry: ToolRegistry) -> None:
        result = call(registry, "tagging_find_resources", tags={"team": ["nobody"]})
        assert result["count"] == 0 and result["by_type"] == {} and result.get("next_cursor") is None

    def test_pages_follow_the_cursor_without_gaps_or_repeats(self, registry: ToolRegistry) -> None:
        made = topics(PAGING_REGION, "paged", 12, team="paging")
        first = call(registry, "tagging_find_resources", region=PAGING_REGION, max_results=5)
        assert first["count"] == 5 and first.get("next_cursor") and first["by_type"] == {"sns": 5}
        seen = [r["arn"] for r in walk(registry, region=PAGING_REGION, max_results=5)]
        assert sorted(seen) == sorted(made)
        other = refused(
            registry,
            "tagging_find_resources",
            region=PAGING_REGION,
            tags={"team": []},
            cursor=first.get("next_cursor"),
        )
        assert "other filters" in other

    def test_a_page_over_the_budget_is_cut_at_a_resource_and_continues(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        made = topics(CROWDED_REGION, "crowded-" + "x" * 150, 30, note="y" * 200)
        registry = build_server(settings.with_changes(max_result_chars=6000), clients).registry
        first = registry.call("tagging_find_resources", {"region": CROWDED_REGION}, CallContext())
        assert first.structured is not None and len(first.text) <= 6000
        assert "Cut to" in first.structured["truncated"]
        seen = [r["arn"] for r in walk(registry, region=CROWDED_REGION)]
        assert sorted(seen) == sorted(made)

    @pytest.mark.parametrize(
        "arguments",
        [
            {"tags": {"k" * 129: []}},
            {"tags": {"k": ["v" * 257]}},
            {"resource_types": ["x"] * 21},
            {"max_results": 101},
        ],
    )
    def test_arguments_are_bounded(self, registry: ToolRegistry, arguments: dict[str, Any]) -> None:
        assert "Invalid arguments" in refused(registry, "tagging_find_resources", **arguments)

    def test_access_denied_says_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("resourcegroupstaggingapi", "us-east-1")) as stubber:
            stubber.add_client_error("get_resources", "AccessDeniedException", http_status_code=400)
            text = refused(registry, "tagging_find_resources")
        assert "AccessDeniedException" in text and "a retry will not help" in text

    def test_throttling_is_transient(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with Stubber(clients.client("resourcegroupstaggingapi", "us-east-1")) as stubber:
            stubber.add_client_error("get_resources", "ThrottledException", http_status_code=400)
            assert "transient" in refused(registry, "tagging_find_resources")


class TestTagAndUntag:
    def test_tags_are_added_and_replaced_then_removed(self, registry: ToolRegistry) -> None:
        (arn,) = topics(SCRATCH, "retag", 1, env="dev")
        done = call(
            registry,
            "tagging_tag_resources",
            region=SCRATCH,
            resource_arns=[arn],
            tags={"env": "prod", "owner": "ops"},
        )
        assert done["changed"] == [arn] and "failed" not in done
        assert tags_of(arn) == {"env": "prod", "owner": "ops"}
        call(
            registry,
            "tagging_untag_resources",
            region=SCRATCH,
            resource_arns=[arn],
            tag_keys=["owner", "absent"],
        )
        assert tags_of(arn) == {"env": "prod"}

    def test_a_resource_that_cannot_be_tagged_is_reported_and_the_others_tagged(
        self, registry: ToolRegistry
    ) -> None:
        (arn,) = topics(SCRATCH, "partly", 1, env="dev")
        unknown = f"arn:aws:nosuchservice:{SCRATCH}:{ACCOUNT}:thing/x"
        done = call(
            registry, "tagging_tag_resources", region=SCRATCH, resource_arns=[arn, unknown], tags={"k": "v"}
        )
        assert done["changed"] == [arn] and list(done["failed"]) == [unknown]
        assert "No resource changed" in refused(
            registry, "tagging_tag_resources", region=SCRATCH, resource_arns=[unknown], tags={"k": "v"}
        )

    def test_untag_is_destructive_and_tag_is_not(self, registry: ToolRegistry) -> None:
        hints = {d["name"]: d["annotations"] for d in registry.definitions()}
        assert hints["tagging_untag_resources"]["destructiveHint"]
        assert not hints["tagging_tag_resources"]["destructiveHint"]

    @pytest.mark.parametrize(
        ("tool", "change"),
        [
            ("tagging_tag_resources", {"tags": {"team": "x"}}),
            ("tagging_untag_resources", {"tag_keys": ["team"]}),
        ],
    )
    def test_changes_are_refused_in_read_only_mode(
        self, settings: Settings, clients: ClientFactory, estate: None, tool: str, change: dict[str, Any]
    ) -> None:
        registry = build_server(settings.with_changes(access_mode=AccessMode.READ_ONLY), clients).registry
        with pytest.raises(ProtocolError) as raised:
            registry.call(tool, {"resource_arns": [TOPIC], **change}, CallContext())
        assert "ReadOnly" in raised.value.message
        assert tags_of(TOPIC)["team"] == "storefront"

    def test_repeating_a_call_with_its_key_replays_it(
        self, settings: Settings, clients: ClientFactory, estate: None
    ) -> None:
        registry = build_server(
            settings.with_changes(idempotency_table=table_names()["idempotency"]), clients
        ).registry
        (arn,) = topics(SCRATCH, "replayed", 1, env="dev")
        sent: list[int] = []
        clients.client("resourcegroupstaggingapi", SCRATCH).meta.events.register(
            "after-call.resource-groups-tagging-api.TagResources", lambda **_: sent.append(1)
        )
        arguments = {
            "region": SCRATCH,
            "resource_arns": [arn],
            "tags": {"k": "v"},
            "idempotency_key": "tag-1",
        }
        first, again = (call(registry, "tagging_tag_resources", **arguments) for _ in range(2))
        assert "replayed" not in first and again["replayed"]["idempotency_key"] == "tag-1"
        assert again["changed"] == first["changed"] and sent == [1]
