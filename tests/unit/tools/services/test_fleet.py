"""fleet_list: one read across accounts and regions, every target answered or named as failed or unreached."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.fleet.fanout import FanOut, FleetScope
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import DEMO_ACCOUNTS, FLEET, seed
from aws_mcp_local.demo.estate.accounts import MEMBER_MACHINES
from tests.unit.tools.services.calling import answers_as_declared, call, refused


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("ec2", "accounts"))


@pytest.fixture
def fleet_settings(settings: Settings) -> Settings:
    return settings.with_changes(accounts=DEMO_ACCOUNTS)


@pytest.fixture
def registry(fleet_settings: Settings, clients: ClientFactory, estate: None) -> ToolRegistry:
    return build_server(fleet_settings, clients).registry


def names(items: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(i["account"], i["region"], i.get("name", "")) for i in items}


def test_every_registered_account_is_read_in_each_of_its_regions(registry: ToolRegistry) -> None:
    found = call(registry, "fleet_list", tool="ec2_list_instances", arguments={"max_results": 100})
    expected = {("prod", m.region, m.name) for m in FLEET} | {
        (m.account, m.region, m.name) for m in MEMBER_MACHINES
    }
    assert names(found["items"]) == expected
    assert found["targets"] == found["answered"] == 6
    assert found["errors"] == [] and found["not_reached"] == []


def test_accounts_and_regions_narrow_the_targets(registry: ToolRegistry) -> None:
    found = call(
        registry,
        "fleet_list",
        tool="ec2_list_instances",
        arguments={"states": ["running"]},
        accounts=["staging", "333333333333"],
        regions=["us-east-1"],
    )
    assert found["targets"] == 2
    assert names(found["items"]) == {
        (m.account, m.region, m.name)
        for m in MEMBER_MACHINES
        if m.region == "us-east-1" and m.state == "running"
    }


def test_one_failing_region_is_named_and_the_rest_answered(fleet_settings: Settings, estate: None) -> None:
    clients = ClientFactory(fleet_settings, session=boto3.Session(region_name="us-east-1"))
    registry = build_server(fleet_settings, clients).registry
    broken = clients.client("ec2", "eu-west-1")
    with Stubber(broken) as stubber:
        stubber.add_client_error("describe_instances", "RequestLimitExceeded", http_status_code=503)
        stubber.add_client_error("describe_instances", "RequestLimitExceeded", http_status_code=503)
        stubber.add_client_error("describe_instances", "RequestLimitExceeded", http_status_code=503)
        found = call(
            registry,
            "fleet_list",
            tool="ec2_list_instances",
            accounts=["prod"],
            regions=["us-east-1", "eu-west-1"],
        )
    assert found["answered"] == 1 and found["targets"] == 2
    (error,) = found["errors"]
    assert (error["account"], error["region"]) == ("prod", "eu-west-1") and "RequestLimitExceeded" in error[
        "error"
    ]
    assert {i["region"] for i in found["items"]} == {"us-east-1"}


def test_targets_out_of_time_are_named_not_dropped(
    fleet_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from aws_mcp.fleet import fanout

    def slow(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        if arguments.get("region") == "eu-west-1":
            time.sleep(2)
        return {"items": [{"id": 1}]}

    monkeypatch.setattr(fanout, "call_deadline", lambda: time.monotonic() + 1.5)
    scope = FleetScope(DEMO_ACCOUNTS, "us-east-1")
    found = FanOut(scope, slow).run("x", {}, scope.targets(["prod"], ["us-east-1", "eu-west-1"]))
    assert [t.region for t in found.answers] == ["us-east-1"]
    assert found.not_reached == [{"account": "prod", "region": "eu-west-1"}]


def test_an_unknown_account_or_a_changing_tool_is_refused(registry: ToolRegistry) -> None:
    assert "not registered" in refused(registry, "fleet_list", tool="ec2_list_instances", accounts=["nope"])
    found = call(registry, "fleet_list", tool="ec2_stop_instances", accounts=["prod"], regions=["us-east-1"])
    assert "not a read-only tool" in found["errors"][0]["error"]
    assert "not in arguments" in refused(
        registry, "fleet_list", tool="ec2_list_instances", arguments={"region": "x"}
    )


def test_an_answer_over_the_budget_keeps_what_fits_and_says_so(
    fleet_settings: Settings, clients: ClientFactory, estate: None
) -> None:
    small = build_server(fleet_settings.with_changes(max_result_chars=2500), clients).registry
    found = call(small, "fleet_list", tool="ec2_list_instances")
    assert found["truncated"] and len(found["items"]) < 17


def test_the_examples_answer_as_declared(registry: ToolRegistry) -> None:
    answers_as_declared(registry, "fleet_list")


def test_one_audit_record_covers_the_whole_fan_out(registry: ToolRegistry) -> None:
    outcome = registry.call("fleet_list", {"tool": "aws_whoami"}, CallContext(caller="alice"))
    assert not outcome.is_error and outcome.structured is not None
    assert {i["account"] for i in outcome.structured["items"]} == {"prod", "staging", "sandbox"}
