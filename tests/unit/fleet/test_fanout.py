"""A list tool called with accounts and regions reads every target in one call: its items together,
each with its account and region, and every target that failed or has more named in ``fanout``."""

from __future__ import annotations

from typing import Any

import boto3
import jsonschema
import pytest
from botocore.stub import Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.server import build_server
from aws_mcp.tools import CATALOG
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import DEMO_ACCOUNTS, FLEET, seed
from aws_mcp_local.demo.estate.accounts import MEMBER_MACHINES
from tests.unit.tools.services.calling import call, refused
from tests.unit.tools.test_registry_audit import Audited, only_record


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("ec2", "accounts"))


@pytest.fixture
def fleet_settings(settings: Settings) -> Settings:
    return settings.with_changes(accounts=DEMO_ACCOUNTS)


@pytest.fixture
def registry(fleet_settings: Settings, clients: ClientFactory, estate: None) -> ToolRegistry:
    return build_server(fleet_settings, clients).registry


def machines(items: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(i["account"], i["region"], i.get("name", "")) for i in items}


EVERY_MACHINE = {("prod", m.region, m.name) for m in FLEET} | {
    (m.account, m.region, m.name) for m in MEMBER_MACHINES
}


def test_list_tools_that_need_no_particular_resource_take_accounts_and_regions() -> None:
    spread = {spec.name: spec.spread_over for spec in CATALOG if spec.spread_over}
    assert spread["ec2_list_instances"] == ("accounts", "regions")
    assert spread["iam_list_roles"] == spread["s3_list_buckets"] == ("accounts",)
    # A list of one resource's parts (a cluster's services, a bucket's objects) does not fan out.
    assert not {"ecs_list_services", "s3_list_objects", "logs_filter_events"} & spread.keys()
    for spec in CATALOG:
        properties = spec.definition()["inputSchema"]["properties"]
        if not spec.name.startswith("fleet_"):  # the fleet tools take them as arguments of their own
            assert {"accounts", "regions"} & properties.keys() == set(spec.spread_over), spec.name


def test_every_account_in_each_of_its_regions_answers_in_one_call(registry: ToolRegistry) -> None:
    found = call(registry, "ec2_list_instances", accounts=["*"], regions=["*"], max_results=100)
    assert machines(found["instances"]) == EVERY_MACHINE
    assert found["count"] == len(EVERY_MACHINE)
    assert found["fanout"] == {"targets": 6, "answered": 6, "errors": [], "not_reached": [], "more": []}


def test_the_answer_conforms_to_the_declared_output_schema(registry: ToolRegistry) -> None:
    found = call(registry, "ec2_list_instances", accounts=["*"])
    spec = next(s for s in CATALOG if s.name == "ec2_list_instances")
    jsonschema.validate(found, spec.definition()["outputSchema"])


def test_regions_alone_fan_out_over_the_calls_own_account(registry: ToolRegistry) -> None:
    found = call(registry, "ec2_list_instances", regions=["us-east-1", "eu-west-1"], states=["running"])
    assert found["fanout"]["targets"] == 2
    assert {(i["account"], i["region"]) for i in found["instances"]} <= {
        ("self", "us-east-1"),
        ("self", "eu-west-1"),
    }
    assert {i["name"] for i in found["instances"]} == {
        m.name for m in FLEET if m.state == "running" and m.region in ("us-east-1", "eu-west-1")
    }


def test_accounts_with_a_region_read_each_account_there(registry: ToolRegistry) -> None:
    found = call(registry, "ec2_list_instances", accounts=["staging", "333333333333"], region="us-east-1")
    assert found["fanout"]["targets"] == 2
    assert machines(found["instances"]) == {
        (m.account, m.region, m.name) for m in MEMBER_MACHINES if m.region == "us-east-1"
    }


def test_an_account_wide_list_reads_each_account_once(registry: ToolRegistry) -> None:
    found = call(registry, "iam_list_roles", accounts=["*"])
    assert found["fanout"]["targets"] == found["fanout"]["answered"] == 3
    assert {i["account"] for i in found["roles"]} <= {"prod", "staging", "sandbox"}
    assert "regions" in refused(registry, "iam_list_roles", accounts=["*"], regions=["us-east-1"])


def test_a_failing_region_is_named_and_the_others_answer(fleet_settings: Settings, estate: None) -> None:
    clients = ClientFactory(fleet_settings, session=boto3.Session(region_name="us-east-1"))
    registry = build_server(fleet_settings, clients).registry
    with Stubber(clients.client("ec2", "eu-west-1")) as stubber:
        for _ in range(3):  # botocore's retries of a throttled call
            stubber.add_client_error("describe_instances", "RequestLimitExceeded", http_status_code=503)
        found = call(registry, "ec2_list_instances", accounts=["prod"], regions=["us-east-1", "eu-west-1"])
    (error,) = found["fanout"]["errors"]
    assert (error["account"], error["region"]) == ("prod", "eu-west-1")
    assert "RequestLimitExceeded" in error["error"]
    assert found["fanout"]["answered"] == 1 and {i["region"] for i in found["instances"]} == {"us-east-1"}


def test_a_target_with_more_pages_comes_with_the_cursor_that_continues_it(registry: ToolRegistry) -> None:
    found = call(registry, "ec2_list_instances", accounts=["prod"], regions=["us-east-1"], max_results=5)
    (more,) = found["fanout"]["more"]
    assert (more["account"], more["region"]) == ("prod", "us-east-1")
    rest = call(
        registry, "ec2_list_instances", account="prod", region="us-east-1", cursor=more["next_cursor"]
    )
    first = {i["instance_id"] for i in found["instances"]}
    assert rest["instances"] and not first & {i["instance_id"] for i in rest["instances"]}


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"accounts": ["prod"], "account": "prod"}, "give account or accounts"),
        ({"regions": ["us-east-1"], "region": "us-east-1"}, "give region or regions"),
        ({"accounts": ["prod"], "cursor": "abc"}, "first page"),
        ({"accounts": "prod"}, "accounts: Input should be a valid list"),
        ({"accounts": []}, "accounts names none"),
        ({"accounts": ["a"] * 51}, "at most 50 items"),
        ({"accounts": ["x" * 33]}, "at most 32 characters"),
        ({"regions": ["mars-1"]}, "mars-1"),
        ({"accounts": ["nope"]}, "not registered"),
    ],
)
def test_a_malformed_fan_out_is_refused_saying_why(
    registry: ToolRegistry, arguments: dict[str, Any], says: str
) -> None:
    assert says in refused(registry, "ec2_list_instances", **arguments)


def test_a_list_of_one_resources_parts_refuses_accounts(registry: ToolRegistry) -> None:
    assert "accounts" in refused(registry, "ecs_list_services", cluster="c", accounts=["prod"])


def test_an_answer_over_the_budget_keeps_what_fits_and_says_how_to_ask_for_less(
    fleet_settings: Settings, clients: ClientFactory, estate: None
) -> None:
    small = build_server(fleet_settings.with_changes(max_result_chars=2500), clients).registry
    found = call(small, "ec2_list_instances", accounts=["*"], max_results=100)
    assert found["count"] == len(found["instances"]) < len(EVERY_MACHINE)
    assert "fewer accounts or regions" in found["truncated"]
    assert found["fanout"]["answered"] == 6


def test_one_audit_record_names_every_account_and_region_read(
    fleet_settings: Settings, clients: ClientFactory, estate: None
) -> None:
    audited = Audited(fleet_settings, clients)
    outcome = audited.call("ec2_list_instances", {"accounts": ["*"]})
    assert not outcome.is_error
    record = only_record(audited)
    assert record["account"] == "123456789012,222222222222,333333333333"
    assert set(record["region"].split(",")) == {"us-east-1", "eu-west-1", "us-west-2"}
