"""Bulk changes: a plan bound to its caller and targets, executed per target (once each, audited), refused
when expired, another caller's, or when its targets changed; partial failures retried by executing again."""

from __future__ import annotations

import io
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.fleet.bulk import Bulk
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import DEMO_ACCOUNTS, refresh_fleet, seed, table_names
from tests.unit.tools.services.calling import confirmed

TABLE = table_names()["fleet"]
ALICE = CallContext(caller="alice")


@pytest.fixture(scope="module")
def refreshed(aws: None) -> None:
    seed(endpoint_url=None, parts=("ec2", "accounts"))
    refresh_fleet(None)


class Audited:
    def __init__(self, settings: Settings, clients: ClientFactory) -> None:
        self.lines = io.StringIO()
        logger = Logger(service=f"bulk-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(self.lines))
        changed = settings.with_changes(accounts=DEMO_ACCOUNTS, fleet_table=TABLE)
        self.registry: ToolRegistry = build_server(changed, clients, logger=logger).registry

    def call(self, tool: str, context: CallContext = ALICE, **arguments: Any) -> Any:
        """The call, its plan confirmed (the test is the user agreeing) where the tool is destructive."""
        return confirmed(self.registry, tool, arguments, context)

    def records(self, tool: str) -> list[dict[str, Any]]:
        found = [
            json.loads(line)["audit"] for line in self.lines.getvalue().splitlines() if '"audit"' in line
        ]
        return [r for r in found if r["tool"] == tool]


@pytest.fixture
def audited(settings: Settings, clients: ClientFactory, refreshed: None) -> Audited:
    return Audited(settings, clients)


def ok(outcome: Any) -> dict[str, Any]:
    assert not outcome.is_error, outcome.text
    structured: dict[str, Any] = outcome.structured
    return structured


def states(settings: Settings, alias: str, region: str) -> dict[str, str]:
    ec2 = ClientFactory(settings).client("ec2", region, account=DEMO_ACCOUNTS.resolve(alias))
    return {
        i["InstanceId"]: i["State"]["Name"]
        for r in ec2.describe_instances()["Reservations"]
        for i in r["Instances"]
    }


def test_a_plan_names_every_target_and_its_execution_changes_each_once(
    audited: Audited, settings: Settings
) -> None:
    plan = ok(
        audited.call("fleet_plan_change", action="tag", set_tags={"owner": "ana"}, accounts=["staging"])
    )
    ids = {t["id"] for t in plan["targets"]}
    assert ids == set(states(settings, "staging", "us-east-1")) | set(
        states(settings, "staging", "eu-west-1")
    )
    assert plan["change"] == {"tags": {"owner": "ana"}} and plan["expires_at"] and plan["target_hash"]
    done = ok(audited.call("fleet_execute_plan", plan_id=plan["plan_id"]))
    assert done["counts"] == {"done": len(ids)}
    # Each target has its own audit record, naming the account it acted in.
    per_target = [r for r in audited.records("fleet_execute_plan") if "target" in (r["arguments"] or {})]
    assert {r["arguments"]["target"]["id"] for r in per_target} == ids
    assert {r["account"] for r in per_target} == {"222222222222"}
    again = ok(audited.call("fleet_execute_plan", plan_id=plan["plan_id"], idempotency_key="second"))
    assert again["counts"] == {"done": len(ids)} and all(r["note"] == "done before" for r in again["results"])


def test_only_the_planner_may_execute(audited: Audited) -> None:
    plan = ok(audited.call("fleet_plan_change", action="untag", tag_keys=["owner"], accounts=["sandbox"]))
    refused = audited.call("fleet_execute_plan", CallContext(caller="mallory"), plan_id=plan["plan_id"])
    assert refused.is_error and "another caller" in refused.text


def test_a_plan_whose_targets_changed_is_refused(audited: Audited, settings: Settings) -> None:
    plan = ok(
        audited.call(
            "fleet_plan_change",
            action="stop",
            accounts=["sandbox"],
            regions=["us-west-2"],
            states=["running"],
        )
    )
    ec2 = ClientFactory(settings).client("ec2", "us-west-2", account=DEMO_ACCOUNTS.resolve("sandbox"))
    ec2.run_instances(ImageId="ami-760aaa0f", MinCount=1, MaxCount=1)
    refresh_fleet(None)
    refused = audited.call("fleet_execute_plan", plan_id=plan["plan_id"])
    assert refused.is_error and "targets changed" in refused.text


def test_an_expired_plan_is_refused(settings: Settings, refreshed: None) -> None:
    factory = ClientFactory(settings)
    now = [datetime.now(UTC)]
    bulk = Bulk(
        lambda: factory.client("dynamodb", "us-east-1", state=True),
        TABLE,
        DEMO_ACCOUNTS,
        factory.client,
        clock=lambda: now[0],
    )
    plan = bulk.plan("alice", "start", {}, [{"account": "staging", "region": "us-east-1", "id": "i-1"}], None)
    now[0] += timedelta(minutes=16)
    with pytest.raises(Exception, match="expired"):
        bulk.load(plan.plan_id, "alice")


def test_partial_failures_are_reported_and_retried_by_executing_again(
    audited: Audited, settings: Settings
) -> None:
    real = next(iter(states(settings, "staging", "us-east-1")))
    targets = [
        {"account": "staging", "region": "us-east-1", "id": real},
        {"account": "staging", "region": "us-east-1", "id": "i-0000000000000dead"},
    ]
    plan = ok(audited.call("fleet_plan_change", action="stop", targets=targets))
    first = ok(audited.call("fleet_execute_plan", plan_id=plan["plan_id"]))
    assert first["counts"] == {"done": 1, "failed": 1}
    failed = next(r for r in first["results"] if r["status"] == "failed")
    assert failed["id"] == "i-0000000000000dead" and "InvalidInstanceID" in failed["detail"]
    second = ok(audited.call("fleet_execute_plan", plan_id=plan["plan_id"], idempotency_key="retry"))
    assert {r["id"]: r.get("note") for r in second["results"]}[real] == "done before"


def test_set_count_needs_a_value(audited: Audited) -> None:
    missing = audited.call(
        "fleet_plan_change",
        action="set_count",
        targets=[{"account": "prod", "region": "us-east-1", "id": "c/s"}],
    )
    assert missing.is_error and "needs value" in missing.text


def test_a_read_only_server_plans_nothing(clients: ClientFactory, refreshed: None) -> None:
    from aws_mcp.config import AccessMode

    registry = build_server(Settings(access_mode=AccessMode.READ_ONLY, fleet_table=TABLE), clients).registry
    assert "fleet_plan_change" not in registry.names and "fleet_execute_plan" not in registry.names
