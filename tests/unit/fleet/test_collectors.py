"""The registry's collectors: every type of the demo estate found by a refresh, in its account and
region, with ARN, state and tags; S3 once per account, each bucket in its own region; one failing
collector loses only its own type, and says so in search and summary."""

from __future__ import annotations

from typing import Any

import pytest

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.fleet.collectors import COLLECTORS, REFRESH_ACTIONS, collect
from aws_mcp.fleet.inventory import refresh_target
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import DEMO_ACCOUNTS, refresh_fleet, seed, table_names
from aws_mcp_local.demo.estate.accounts import MEMBERS, member_bucket
from aws_mcp_local.demo.estate.s3 import BUCKETS, EU_LOGS
from tests.unit.tools.services.calling import call

TABLE = table_names()["fleet"]
PARTS = ("accounts", "vpc", "s3", "lambda_", "rds", "ecs", "autoscaling", "elb")


@pytest.fixture(scope="module")
def refreshed(aws: None) -> dict[str, Any]:
    seed(endpoint_url=None, parts=PARTS)
    return refresh_fleet(None)


@pytest.fixture
def registry(settings: Settings, clients: ClientFactory, refreshed: dict[str, Any]) -> ToolRegistry:
    return build_server(settings.with_changes(accounts=DEMO_ACCOUNTS, fleet_table=TABLE), clients).registry


def every(registry: ToolRegistry, kind: str, **filters: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = call(registry, "fleet_search", type=kind, max_results=200, **filters)[
        "resources"
    ]
    return found


def live(clients: ClientFactory, region: str) -> dict[str, set[str]]:
    """What prod's APIs list in ``region``, by registry type: the refresh must find the same."""
    ecs, elbv2 = clients.client("ecs", region), clients.client("elbv2", region)
    rds = clients.client("rds", region)
    return {
        "lambda:function": {
            f["FunctionName"] for f in clients.client("lambda", region).list_functions()["Functions"]
        },
        "rds:db-instance": {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]},
        "rds:db-cluster": {c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]},
        "ecs:cluster": {a.rsplit("/", 1)[1] for a in ecs.list_clusters()["clusterArns"]},
        "ecs:service": {
            f"{c.rsplit('/', 1)[1]}/{s.rsplit('/', 1)[1]}"
            for c in ecs.list_clusters()["clusterArns"]
            for s in ecs.list_services(cluster=c)["serviceArns"]
        },
        "autoscaling:group": {
            g["AutoScalingGroupName"]
            for g in clients.client("autoscaling", region).describe_auto_scaling_groups()["AutoScalingGroups"]
        },
        "elasticloadbalancing:loadbalancer": {
            lb["LoadBalancerName"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]
        },
        "ec2:vpc": {v["VpcId"] for v in clients.client("ec2", region).describe_vpcs()["Vpcs"]},
        "dynamodb:table": set(clients.client("dynamodb", region).list_tables()["TableNames"]),
    }


def test_every_unit_is_refreshed_without_a_failed_collector(
    refreshed: dict[str, Any], registry: ToolRegistry
) -> None:
    assert refreshed["failed"] == 0
    assert call(registry, "fleet_summary", by="type")["failed"] == {}


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_the_refresh_finds_what_each_service_lists_in_prod(
    registry: ToolRegistry, clients: ClientFactory, region: str
) -> None:
    for kind, names in live(clients, region).items():
        found = every(registry, kind, accounts=["prod"], regions=[region])
        assert {r["id"] for r in found} == names, kind
        assert all(r["arn"].startswith("arn:aws:") and r["state"] for r in found), kind


def test_the_demo_estate_has_each_kind_somewhere(registry: ToolRegistry) -> None:
    empty = [
        kind
        for kind in COLLECTORS
        if kind not in ("ec2:instance", "ec2:volume", "ec2:snapshot") and not every(registry, kind)
    ]
    assert empty == []


def test_buckets_are_collected_once_per_account_each_in_its_own_region(registry: ToolRegistry) -> None:
    buckets = every(registry, "s3:bucket")
    assert sorted(r["id"] for r in buckets if r["account"] == "prod") == sorted(BUCKETS)
    assert {r["id"]: r["region"] for r in buckets}[EU_LOGS] == "eu-west-1"
    assert {(r["account"], r["id"]) for r in buckets if r["account"] != "prod"} == {
        (alias, member_bucket(alias)) for alias in MEMBERS
    }
    assert [r["id"] for r in every(registry, "s3:bucket", accounts=["prod"], regions=["eu-west-1"])] == [
        EU_LOGS
    ]


def test_tags_the_list_calls_lack_come_from_the_tagging_api(registry: ToolRegistry) -> None:
    functions = every(registry, "lambda:function", tags={"team": "storefront"})
    assert functions and all(r["tags"]["env"] == "prod" for r in functions)
    assert [r["id"] for r in every(registry, "s3:bucket", tags={"env": "staging"})] == [
        member_bucket("staging")
    ]


def test_ecs_services_are_named_as_set_count_takes_them(registry: ToolRegistry) -> None:
    services = every(registry, "ecs:service")
    assert services and all(r["id"] == f"{r['attributes']['cluster']}/{r['name']}" for r in services)


class _Broken:
    def __init__(self, service: str) -> None:
        self.service = service

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"{self.service} is down")


def test_a_failing_collector_loses_only_its_own_type(
    settings: Settings, registry: ToolRegistry, refreshed: dict[str, Any]
) -> None:
    factory = ClientFactory(settings)

    def clients(service: str) -> Any:
        return _Broken(service) if service == "rds" else factory.client(service, "us-east-1")

    collected = collect(clients, "123456789012", "us-east-1")
    assert set(collected.errors) == {"rds:db-instance", "rds:db-cluster"}
    assert "rds is down" in collected.errors["rds:db-instance"]
    assert {r.type for r in collected.resources} >= {"lambda:function", "ecs:service", "ec2:vpc", "s3:bucket"}
    assert not {"rds:db-instance", "rds:db-cluster"} & collected.types

    dynamodb = factory.client("dynamodb", "us-east-1", state=True)
    before = {r["id"] for r in every(registry, "rds:db-instance", accounts=["prod"], regions=["us-east-1"])}
    refresh_target(
        dynamodb,
        TABLE,
        collected.resources,
        account="prod",
        region="us-east-1",
        run_id="rds-down",
        types=collected.types,
        errors=collected.errors,
    )
    # What rds had stays, not gone; search and summary say where it could not be read.
    kept = every(registry, "rds:db-instance", accounts=["prod"], regions=["us-east-1"])
    assert before and {r["id"] for r in kept} == before
    answer = call(registry, "fleet_search", type="rds:db-instance")
    assert answer["failed"] == [
        {"account": "prod", "region": "us-east-1", "error": collected.errors["rds:db-instance"]}
    ]
    summary = call(registry, "fleet_summary")["failed"]
    assert set(summary["prod#us-east-1"]) == {"rds:db-instance", "rds:db-cluster"}
    refresh_fleet(None)  # back to a clean refresh, for the other tests
    assert call(registry, "fleet_search", type="rds:db-instance")["failed"] == []


def test_a_tagging_failure_keeps_the_resources_and_is_named_for_the_types_it_tags(
    settings: Settings, registry: ToolRegistry, refreshed: dict[str, Any]
) -> None:
    factory = ClientFactory(settings)

    def clients(service: str) -> Any:
        if service == "resourcegroupstaggingapi":
            return _Broken(service)
        return factory.client(service, "us-east-1")

    collected = collect(clients, "123456789012", "us-east-1")
    assert "tags" in collected.errors and any(r.type == "lambda:function" for r in collected.resources)
    dynamodb = factory.client("dynamodb", "us-east-1", state=True)
    refresh_target(
        dynamodb,
        TABLE,
        collected.resources,
        account="prod",
        region="us-east-1",
        run_id="tags-down",
        types=collected.types,
        errors=collected.errors,
    )
    named = call(registry, "fleet_search", type="lambda:function")["failed"]
    assert [(f["account"], f["region"]) for f in named] == [("prod", "us-east-1")]
    assert call(registry, "fleet_search", type="ec2:vpc")["failed"] == []
    refresh_fleet(None)


def test_a_region_after_the_first_does_not_collect_account_wide_types(
    settings: Settings, refreshed: dict[str, Any]
) -> None:
    factory = ClientFactory(settings)
    collected = collect(
        lambda s: factory.client(s, "eu-west-1"), "123456789012", "eu-west-1", first_region=False
    )
    assert "s3:bucket" not in collected.types and not any(r.type == "s3:bucket" for r in collected.resources)


def test_the_refresh_needs_read_actions_only() -> None:
    assert all(a.split(":")[1].startswith(("Describe", "List", "Get")) for a in REFRESH_ACTIONS)
