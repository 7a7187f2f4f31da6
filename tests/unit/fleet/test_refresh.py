"""fleet_refresh: the registry refreshed now for the targets named; on Lambda queued for the worker
function, elsewhere worked through in the call, so the answer comes with the registry fresh."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import DEMO_ACCOUNTS, FLEET_QUEUE, refresh_fleet, seed, table_names
from tests.unit.tools.services.calling import answers_as_declared, call, refused

TABLE = table_names()["fleet"]


@pytest.fixture(scope="module")
def queue_url(aws: None) -> str:
    seed(endpoint_url=None, parts=("ec2", "accounts"))
    refresh_fleet(None)
    import boto3

    url: str = boto3.client("sqs", region_name="us-east-1").get_queue_url(QueueName=FLEET_QUEUE)["QueueUrl"]
    return url


@pytest.fixture
def fleet_settings(settings: Settings, queue_url: str) -> Settings:
    return settings.with_changes(accounts=DEMO_ACCOUNTS, fleet_table=TABLE, fleet_queue_url=queue_url)


@pytest.fixture
def registry(fleet_settings: Settings, clients: ClientFactory) -> ToolRegistry:
    return build_server(fleet_settings, clients).registry


def test_a_refresh_of_one_target_answers_with_the_registry_fresh_there(
    registry: ToolRegistry, settings: Settings
) -> None:
    staging = ClientFactory(settings).client("ec2", "eu-west-1", account=DEMO_ACCOUNTS.resolve("staging"))
    instance = next(
        i["InstanceId"]
        for r in staging.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])[
            "Reservations"
        ]
        for i in r["Instances"]
    )
    staging.stop_instances(InstanceIds=[instance])
    done = call(registry, "fleet_refresh", accounts=["staging"], regions=["eu-west-1"])
    assert done["queued"] == done["units"] == 1 and done["failed"] == 0 and done["run_id"]
    now = call(registry, "fleet_search", accounts=["staging"], regions=["eu-west-1"], states=["stopped"])
    assert instance in {r["id"] for r in now["resources"]}
    summary = call(registry, "fleet_summary", by="account")
    assert set(summary["refreshed"]) >= {"staging#eu-west-1", "prod#us-east-1"}


def test_without_targets_every_registered_account_is_refreshed_in_its_regions(registry: ToolRegistry) -> None:
    done = call(registry, "fleet_refresh")
    assert done["queued"] == done["units"] == 6 and done["failed"] == 0


def test_on_lambda_the_units_are_queued_for_the_worker_function(
    fleet_settings: Settings, clients: ClientFactory, queue_url: str
) -> None:
    registry = build_server(fleet_settings.with_changes(on_lambda=True), clients).registry
    done = call(registry, "fleet_refresh", accounts=["sandbox", "prod"], regions=["us-east-1"])
    assert done["queued"] == 2 and "units" not in done
    sqs = clients.client("sqs", "us-east-1", state=True)
    bodies: list[dict[str, Any]] = []
    for _ in range(5):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        bodies += [orjson.loads(m["Body"]) for m in messages]
        for m in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    assert sorted((b["account"], b["region"]) for b in bodies) == [
        ("prod", "us-east-1"),
        ("sandbox", "us-east-1"),
    ]
    assert {b["run_id"] for b in bodies} == {done["run_id"]}


def test_unknown_accounts_and_servers_without_a_registry_are_refused(
    registry: ToolRegistry, settings: Settings, clients: ClientFactory
) -> None:
    assert "not registered" in refused(registry, "fleet_refresh", accounts=["nope"])
    assert "not set up here" in refused(build_server(settings, clients).registry, "fleet_refresh")


def test_the_examples_answer_as_declared(registry: ToolRegistry) -> None:
    answers_as_declared(registry, "fleet_refresh")
