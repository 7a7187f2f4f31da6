"""Bulk changes by registry type: tags on any type through the Tagging API (by ARN, in batches),
stop and start of RDS instances, Auto Scaling capacity and ECS counts chosen by a selector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.fleet.bulk import TAG_BATCH, Bulk, Plan
from aws_mcp_local.demo import refresh_fleet, seed
from tests.unit.fleet.test_bulk import ALICE, Audited, ok

PARTS = ("accounts", "vpc", "lambda_", "rds", "ecs", "autoscaling", "elb")


@pytest.fixture(scope="module")
def refreshed(aws: None) -> None:
    seed(endpoint_url=None, parts=PARTS)
    refresh_fleet(None)


@pytest.fixture
def audited(settings: Settings, clients: ClientFactory, refreshed: None) -> Audited:
    return Audited(settings, clients)


def test_tags_of_any_type_change_through_the_tagging_api_each_target_audited(
    audited: Audited, clients: ClientFactory
) -> None:
    plan = ok(
        audited.call(
            "fleet_plan_change",
            action="tag",
            type="lambda:function",
            accounts=["prod"],
            set_tags={"owner": "ana"},
        )
    )
    assert plan["targets"] and all(t["arn"].startswith("arn:aws:lambda:") for t in plan["targets"])
    done = ok(audited.call("fleet_execute_plan", plan_id=plan["plan_id"]))
    assert done["counts"] == {"done": len(plan["targets"])}
    for target in plan["targets"]:
        tags = clients.client("lambda", target["region"]).list_tags(Resource=target["arn"])["Tags"]
        assert tags["owner"] == "ana"
    records = audited.records("fleet_execute_plan")
    audited_targets = [r["arguments"]["target"]["id"] for r in records if "target" in r["arguments"]]
    assert sorted(audited_targets) == sorted(t["id"] for t in plan["targets"])


def test_untag_by_type_removes_the_keys(audited: Audited, clients: ClientFactory) -> None:
    plan = ok(audited.call("fleet_plan_change", action="untag", type="lambda:function", tag_keys=["env"]))
    ok(audited.call("fleet_execute_plan", plan_id=plan["plan_id"]))
    for target in plan["targets"]:
        assert (
            "env" not in clients.client("lambda", target["region"]).list_tags(Resource=target["arn"])["Tags"]
        )


def test_set_capacity_selects_auto_scaling_groups(audited: Audited, clients: ClientFactory) -> None:
    plan = ok(audited.call("fleet_plan_change", action="set_capacity", value=3, tags={"team": "storefront"}))
    assert [(t["type"], t["id"]) for t in plan["targets"]] == [("autoscaling:group", "storefront-web-asg")]
    ok(audited.call("fleet_execute_plan", plan_id=plan["plan_id"]))
    group = clients.client("autoscaling", "us-east-1").describe_auto_scaling_groups(
        AutoScalingGroupNames=["storefront-web-asg"]
    )["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 3


def test_set_count_selects_ecs_services(audited: Audited, clients: ClientFactory) -> None:
    plan = ok(
        audited.call(
            "fleet_plan_change", action="set_count", value=0, accounts=["prod"], regions=["us-east-1"]
        )
    )
    assert plan["targets"] and all(t["type"] == "ecs:service" for t in plan["targets"])
    done = ok(audited.call("fleet_execute_plan", plan_id=plan["plan_id"]))
    assert done["counts"] == {"done": len(plan["targets"])}
    first = plan["targets"][0]["id"].split("/")
    found = clients.client("ecs", "us-east-1").describe_services(cluster=first[0], services=[first[1]])
    assert found["services"][0]["desiredCount"] == 0


def test_stop_selects_rds_instances_when_asked(audited: Audited, clients: ClientFactory) -> None:
    plan = ok(
        audited.call(
            "fleet_plan_change",
            action="stop",
            type="rds:db-instance",
            states=["available"],
            accounts=["prod"],
        )
    )
    standalone = [t for t in plan["targets"] if t["type"] == "rds:db-instance"]
    assert standalone
    done = ok(audited.call("fleet_execute_plan", plan_id=plan["plan_id"]))
    stopped = [r["id"] for r in done["results"] if r["status"] == "done"]
    assert stopped
    rds = clients.client("rds", next(t["region"] for t in plan["targets"] if t["id"] == stopped[0]))
    state = rds.describe_db_instances(DBInstanceIdentifier=stopped[0])["DBInstances"][0]["DBInstanceStatus"]
    assert state in ("stopping", "stopped")


@pytest.mark.parametrize(
    ("action", "kind"),
    [("set_capacity", "ec2:instance"), ("stop", "lambda:function"), ("set_count", "ecs:cluster")],
)
def test_an_action_on_a_type_it_does_not_change_is_refused(audited: Audited, action: str, kind: str) -> None:
    refused = audited.call("fleet_plan_change", action=action, type=kind, value=1, accounts=["prod"])
    assert refused.is_error and "applies to" in refused.text


def test_tags_by_arn_go_in_batches_of_one_account_and_region() -> None:
    targets = [
        {
            "account": "prod",
            "region": region,
            "id": f"f{n}",
            "type": "lambda:function",
            "arn": f"arn:{region}:{n}",
        }
        for region in ("us-east-1", "eu-west-1")
        for n in range(TAG_BATCH + 5)
    ] + [{"account": "prod", "region": "us-east-1", "id": "i-1", "type": "ec2:instance", "arn": "arn:ec2"}]
    plan = Plan(
        "p", "alice", "tag", {"tags": {}}, targets, None, "h", datetime.now(UTC) + timedelta(minutes=1)
    )
    batches = Bulk._batches(plan)
    assert sorted(len(b) for b in batches) == [1, 5, 5, TAG_BATCH, TAG_BATCH]
    assert all(len({(t["account"], t["region"]) for t in b}) == 1 for b in batches)


def test_a_plan_by_type_keeps_its_selector_and_refuses_changed_targets(
    audited: Audited, clients: ClientFactory, settings: Settings
) -> None:
    plan = ok(audited.call("fleet_plan_change", action="tag", type="ecs:cluster", set_tags={"k": "v"}))
    clients.client("ecs", "us-east-1").create_cluster(clusterName="a-new-one")
    refresh_fleet(None)
    refused = audited.call("fleet_execute_plan", ALICE, plan_id=plan["plan_id"])
    assert refused.is_error and "targets changed" in refused.text
