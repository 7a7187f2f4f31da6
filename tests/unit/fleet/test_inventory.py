"""The resource registry: refreshed per account x region through SQS and the batch worker, searched
and counted from its table alone; resources no longer seen are marked gone, not dropped."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from aws_mcp.accounts import Accounts
from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.fleet.collectors import COLLECTORS
from aws_mcp.fleet.inventory import GONE
from aws_mcp.fleet.refresh import units, worker
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp.tools.services.fleet import FleetSearchInput
from aws_mcp_local.demo import DEMO_ACCOUNTS, FLEET, refresh_fleet, seed, table_names
from aws_mcp_local.demo.estate.accounts import MEMBER_MACHINES, MEMBERS
from tests.unit.tools.services.calling import answers_as_declared, call, refused

TABLE = table_names()["fleet"]


@pytest.fixture(scope="module")
def refreshed(aws: None) -> dict[str, Any]:
    seed(endpoint_url=None, parts=("ec2", "accounts"))
    return refresh_fleet(None)


@pytest.fixture
def registry(settings: Settings, clients: ClientFactory, refreshed: dict[str, Any]) -> ToolRegistry:
    return build_server(settings.with_changes(accounts=DEMO_ACCOUNTS, fleet_table=TABLE), clients).registry


def every_machine() -> set[tuple[str, str, str]]:
    return {("prod", m.region, m.name) for m in FLEET} | {
        (m.account, m.region, m.name) for m in MEMBER_MACHINES
    }


def found(resources: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(r["account"], r["region"], r.get("name", "")) for r in resources}


def test_a_refresh_is_one_unit_per_account_and_region(refreshed: dict[str, Any]) -> None:
    assert refreshed["units"] == len(units(DEMO_ACCOUNTS, "us-east-1")) == 6 and refreshed["failed"] == 0


def test_every_instance_of_every_account_is_found(registry: ToolRegistry) -> None:
    page = call(registry, "fleet_search", max_results=200)
    assert found(page["resources"]) == every_machine()
    some = page["resources"][0]
    assert some["arn"].startswith("arn:aws:ec2:") and some["type"] == "ec2:instance" and some["last_seen"]


def test_search_by_tag_state_account_region_and_name(registry: ToolRegistry) -> None:
    running_payments = call(registry, "fleet_search", tags={"team": "payments"}, states=["running"])
    assert found(running_payments["resources"]) == {
        ("prod", m.region, m.name) for m in FLEET if m.tags["team"] == "payments" and m.state == "running"
    }
    staging_eu = call(registry, "fleet_search", accounts=["staging"], regions=["eu-west-1"])
    assert found(staging_eu["resources"]) == {
        (m.account, m.region, m.name)
        for m in MEMBER_MACHINES
        if m.account == "staging" and m.region == "eu-west-1"
    }
    by_name = call(registry, "fleet_search", name="WEST", accounts=["sandbox", "staging"])
    assert {r["name"] for r in by_name["resources"]} == {m.name for m in MEMBER_MACHINES if "west" in m.name}


def test_pages_follow_with_a_cursor(registry: ToolRegistry) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        page = call(registry, "fleet_search", max_results=4, cursor=cursor)
        seen += [r["id"] for r in page["resources"]]
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == len(every_machine())


def test_the_summary_counts_by_account_and_state(registry: ToolRegistry) -> None:
    by_account = call(registry, "fleet_summary", by="account")["counts"]
    assert sum(by_account["staging"].get(f"ec2:instance:{s}", 0) for s in ("running", "stopped")) == sum(
        1 for m in MEMBER_MACHINES if m.account == "staging"
    )
    by_state = call(registry, "fleet_summary", by="state")["counts"]
    running = [m for m in FLEET if m.state == "running"] + [
        m for m in MEMBER_MACHINES if m.state == "running"
    ]
    assert by_state["running"]["ec2:instance:running"] == len(running)


def test_a_refresh_sees_a_state_change(registry: ToolRegistry, settings: Settings) -> None:
    sandbox = ClientFactory(settings).client("ec2", "us-west-2", account=DEMO_ACCOUNTS.resolve("sandbox"))
    victim = next(
        i["InstanceId"]
        for r in sandbox.describe_instances()["Reservations"]
        for i in r["Instances"]
        if {"Key": "Name", "Value": "try-west-2"} in i.get("Tags", [])
    )
    sandbox.terminate_instances(InstanceIds=[victim])
    refresh_fleet(None)
    now = call(registry, "fleet_search", accounts=["sandbox"], regions=["us-west-2"], states=["terminated"])
    assert [r["id"] for r in now["resources"]] == [victim]


def test_the_worker_reports_only_the_failed_units(settings: Settings, refreshed: dict[str, Any]) -> None:
    factory = ClientFactory(settings)
    handle = worker(DEMO_ACCOUNTS, factory.client, factory.client("dynamodb", "us-east-1", state=True), TABLE)
    good = {"account": "staging", "region": "us-east-1", "run_id": "r-1"}
    bad = {"account": "no-such-account", "region": "us-east-1", "run_id": "r-1"}
    event = {
        "Records": [
            {
                "messageId": "m1",
                "receiptHandle": "h1",
                "body": orjson.dumps(good).decode(),
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
            },
            {
                "messageId": "m2",
                "receiptHandle": "h2",
                "body": orjson.dumps(bad).decode(),
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
            },
        ]
    }
    assert handle(event, None) == {"batchItemFailures": [{"itemIdentifier": "m2"}]}


def test_gone_resources_are_kept_and_found_when_asked(settings: Settings, refreshed: dict[str, Any]) -> None:
    """A unit whose resources vanished marks them gone with when; they stay searchable."""
    factory = ClientFactory(settings)
    dynamodb = factory.client("dynamodb", "us-east-1", state=True)
    from aws_mcp.fleet.inventory import InventoryStore, refresh_target

    before = InventoryStore(lambda: dynamodb, TABLE).search(
        type="ec2:instance", accounts=["staging"], regions=["eu-west-1"]
    )
    every = sum(
        len(
            InventoryStore(lambda: dynamodb, TABLE)
            .search(type=t, accounts=["staging"], regions=["eu-west-1"])
            .resources
        )
        for t in COLLECTORS
    )
    assert before.resources
    result = refresh_target(dynamodb, TABLE, [], account="staging", region="eu-west-1", run_id="empty-run")
    assert result.gone == every
    store = InventoryStore(lambda: dynamodb, TABLE)
    assert store.search(type="ec2:instance", accounts=["staging"], regions=["eu-west-1"]).resources == []
    gone = store.search(
        type="ec2:instance", accounts=["staging"], regions=["eu-west-1"], states=[GONE], include_gone=True
    )
    assert {r["id"] for r in gone.resources} == {r["id"] for r in before.resources}
    assert all(r["state"] == GONE and r["gone_at"] and r["was"] for r in gone.resources)
    refresh_fleet(None)  # and back, for the other tests
    assert store.search(type="ec2:instance", accounts=["staging"], regions=["eu-west-1"]).resources


def test_without_a_table_the_tools_say_so(
    settings: Settings, clients: ClientFactory, refreshed: dict[str, Any]
) -> None:
    registry = build_server(settings, clients).registry
    assert "not set up" in refused(registry, "fleet_search")


def test_the_searchable_types_are_those_collected() -> None:
    assert set(FleetSearchInput.model_fields["type"].annotation.__args__) == set(COLLECTORS)  # type: ignore[union-attr]


def test_the_examples_answer_as_declared(registry: ToolRegistry) -> None:
    answers_as_declared(registry, "fleet_s")


def test_a_server_without_a_registry_refreshes_its_own_account(refreshed: dict[str, Any]) -> None:
    assert units(Accounts(), "eu-west-1") == [{"account": "self", "region": "eu-west-1", "first": True}]
    assert MEMBERS["staging"] == "222222222222"


def test_a_page_over_the_result_budget_is_cut_and_continues_after_its_last_resource(
    settings: Settings, clients: ClientFactory, refreshed: dict[str, Any]
) -> None:
    small = build_server(
        settings.with_changes(accounts=DEMO_ACCOUNTS, fleet_table=TABLE, max_result_chars=2500), clients
    ).registry
    seen: list[str] = []
    cursor = None
    for _ in range(30):
        page = call(small, "fleet_search", max_results=200, cursor=cursor)
        seen += [r["id"] for r in page["resources"]]
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == len(every_machine())
