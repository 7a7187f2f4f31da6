"""Load balancing tools against moto's ELBv2, through the registry as an agent would call them."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.server import build_server
from aws_mcp.tools.paging import bind
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import seed
from aws_mcp_local.demo.estate.elb import default_network
from tests.unit.tools.services.calling import call, refused, walk
from tests.unit.tools.test_paging import valid_output

CROWDED = "ca-central-1"


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    # This order attaches the group when it comes; test_autoscaling seeds the other order.
    seed(endpoint_url=None, parts=("elb", "autoscaling"))


@pytest.fixture(scope="module")
def crowded(aws: None) -> dict[str, str]:
    """In a region of their own: twelve load balancers with listeners of every kind, thirty target
    groups, and one target group of sixty addresses. Returns target group ARNs by name."""
    # Any: the listeners' actions are plain dicts, not the stubs' TypedDicts.
    ec2: Any = boto3.client("ec2", region_name=CROWDED)
    elbv2: Any = boto3.client("elbv2", region_name=CROWDED)
    vpc, subnets = default_network(ec2)
    arns = {}
    for n in range(30):
        name = f"crowd-{n:02}-" + "x" * 20
        found = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8000 + n, VpcId=vpc)
        arns[name] = found["TargetGroups"][0]["TargetGroupArn"]
    blue, green = arns["crowd-00-" + "x" * 20], arns["crowd-01-" + "x" * 20]
    for n in range(12):
        lb = elbv2.create_load_balancer(Name=f"crowd-lb-{n:02}", Subnets=subnets[:2])["LoadBalancers"][0]
        for port, action in (
            (
                80,
                {
                    "Type": "redirect",
                    "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
                },
            ),
            (
                443,
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [
                            {"TargetGroupArn": blue, "Weight": 80},
                            {"TargetGroupArn": green, "Weight": 20},
                        ]
                    },
                },
            ),
            (8080, {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}),
        ):
            elbv2.create_listener(
                LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port, DefaultActions=[action]
            )
    addresses = elbv2.create_target_group(
        Name="addresses", Protocol="TCP", Port=443, VpcId=vpc, TargetType="ip"
    )
    arns["addresses"] = addresses["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(
        TargetGroupArn=arns["addresses"], Targets=[{"Id": f"172.31.0.{n}"} for n in range(10, 70)]
    )
    return arns


class TestListLoadBalancers:
    def test_a_load_balancer_shows_where_it_stands_and_its_listeners(self, registry: ToolRegistry) -> None:
        result = call(registry, "elb_list_load_balancers")
        (alb,) = result["load_balancers"]
        assert alb["name"] == "storefront-alb" and alb["arn"].endswith(
            ":loadbalancer/app/storefront-alb/" + alb["arn"][-16:]
        )
        assert (alb["type"], alb["scheme"], alb["state"]) == ("application", "internet-facing", "active")
        assert alb["dns_name"].startswith("storefront-alb") and alb["vpc_id"].startswith("vpc-")
        assert alb["availability_zones"] == ["us-east-1a", "us-east-1b"]
        assert alb["listeners"] == ["HTTP:80 forward to storefront-web"]

    def test_another_region_is_listed_when_asked(self, registry: ToolRegistry) -> None:
        (nlb,) = call(registry, "elb_list_load_balancers", region="eu-west-1")["load_balancers"]
        assert (nlb["name"], nlb["type"], nlb["scheme"]) == ("api-eu-nlb", "network", "internal")
        assert nlb["listeners"] == ["TCP:443 forward to api-eu"]

    def test_each_kind_of_default_action_reads_as_one_line(
        self, registry: ToolRegistry, crowded: Any
    ) -> None:
        result = call(registry, "elb_list_load_balancers", region=CROWDED, names=["crowd-lb-00"])
        x = "x" * 20
        assert result["load_balancers"][0]["listeners"] == [
            "HTTP:80 redirect to HTTPS:443 (HTTP_301)",
            f"HTTP:443 forward to crowd-00-{x} (weight 80), crowd-01-{x} (weight 20)",
            "HTTP:8080 fixed response 404",
        ]

    def test_fields_without_listeners_ask_for_no_listeners(
        self, registry: ToolRegistry, clients: ClientFactory, crowded: Any
    ) -> None:
        real = boto3.client("elbv2", region_name=CROWDED).describe_load_balancers(PageSize=5)
        with Stubber(clients.client("elbv2", CROWDED)) as stubber:
            # Only the one call is answered: a DescribeListeners would fail the stubber loudly.
            stubber.add_response("describe_load_balancers", {"LoadBalancers": real["LoadBalancers"]})
            result = call(registry, "elb_list_load_balancers", region=CROWDED, max_results=5, fields=["type"])
        assert result["load_balancers"] == [
            {"name": f"crowd-lb-{n:02}", "type": "application"} for n in range(5)
        ]

    def test_pages_follow_the_marker_without_gaps_or_repeats(
        self, registry: ToolRegistry, crowded: Any
    ) -> None:
        first = call(registry, "elb_list_load_balancers", region=CROWDED, max_results=5)
        assert first["count"] == 5 and first.get("next_cursor")
        seen = walk(registry, "elb_list_load_balancers", "load_balancers", region=CROWDED, max_results=5)
        assert [lb["name"] for lb in seen] == [f"crowd-lb-{n:02}" for n in range(12)]

    def test_a_cursor_refuses_filters_other_than_those_it_was_made_for(
        self, registry: ToolRegistry, crowded: Any
    ) -> None:
        first = call(registry, "elb_list_load_balancers", region=CROWDED, max_results=5)
        for other in ({}, {"region": CROWDED, "names": ["crowd-lb-00"]}):
            assert "other filters" in refused(
                registry, "elb_list_load_balancers", **other, cursor=first.get("next_cursor")
            )

    def test_a_page_over_the_budget_is_cut_at_a_load_balancer_and_continues(
        self, settings: Settings, clients: ClientFactory, crowded: Any
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=2500), clients).registry
        first = call(registry, "elb_list_load_balancers", region=CROWDED, max_results=12)
        assert 0 < first["count"] < 12 and "Cut to" in first["truncated"]
        seen = walk(registry, "elb_list_load_balancers", "load_balancers", region=CROWDED, max_results=12)
        assert [lb["name"] for lb in seen] == [f"crowd-lb-{n:02}" for n in range(12)]

    def test_an_unknown_name_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "LoadBalancerNotFound" in refused(registry, "elb_list_load_balancers", names=["no-such-lb"])

    @pytest.mark.parametrize(
        "arguments",
        [
            {"max_results": 21},
            {"names": ["a"] * 21},
            {"names": ["-bad-"]},
            {"names": ["x" * 33]},
            {"fields": ["colour"]},
        ],
    )
    def test_every_list_and_string_argument_is_bounded(
        self, registry: ToolRegistry, arguments: dict[str, Any]
    ) -> None:
        assert "Invalid arguments" in refused(registry, "elb_list_load_balancers", **arguments)

    def test_access_denied_and_throttling_are_told_apart(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("elbv2", "us-east-1")) as stubber:
            stubber.add_client_error("describe_load_balancers", "AccessDenied", http_status_code=403)
            stubber.add_client_error("describe_load_balancers", "Throttling", http_status_code=400)
            denied = refused(registry, "elb_list_load_balancers")
            throttled = refused(registry, "elb_list_load_balancers")
        assert "denied" in denied and "a retry will not help" in denied
        assert "Throttling" in throttled and "transient" in throttled

    def test_a_marker_aws_refuses_is_an_invalid_cursor(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        cursor = bind({"t": "stale", "n": 10}, {"region": "us-east-1", "names": []})
        with Stubber(clients.client("elbv2", "us-east-1")) as stubber:
            stubber.add_client_error("describe_load_balancers", "ValidationError", "Invalid marker 'stale'")
            assert "Invalid cursor" in refused(registry, "elb_list_load_balancers", cursor=cursor)


class TestListTargetGroups:
    def test_a_target_group_shows_its_port_health_check_and_load_balancers(
        self, registry: ToolRegistry
    ) -> None:
        (group,) = call(registry, "elb_list_target_groups")["target_groups"]
        assert group["name"] == "storefront-web" and ":targetgroup/storefront-web/" in group["arn"]
        assert (group["protocol"], group["port"], group["target_type"]) == ("HTTP", 80, "instance")
        assert (group["health_check_protocol"], group["health_check_port"], group["health_check_path"]) == (
            "HTTP",
            "traffic-port",
            "/health",
        )
        assert group["load_balancers"] == ["storefront-alb"]

    def test_filters_by_a_load_balancer_named_or_by_arn(self, registry: ToolRegistry) -> None:
        (alb,) = call(registry, "elb_list_load_balancers", fields=["arn"])["load_balancers"]
        for ref in ("storefront-alb", alb["arn"]):
            result = call(registry, "elb_list_target_groups", load_balancer=ref, fields=["port"])
            assert result["target_groups"] == [{"name": "storefront-web", "port": 80}]

    def test_filters_by_names(self, registry: ToolRegistry, crowded: dict[str, str]) -> None:
        wanted = sorted(crowded)[:2]
        result = call(registry, "elb_list_target_groups", region=CROWDED, names=wanted, fields=["port"])
        assert [g["name"] for g in result["target_groups"]] == wanted

    def test_a_load_balancer_and_names_together_are_refused(self, registry: ToolRegistry) -> None:
        text = refused(
            registry, "elb_list_target_groups", load_balancer="storefront-alb", names=["storefront-web"]
        )
        assert "Invalid arguments" in text and "not both" in text

    def test_an_unknown_load_balancer_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "LoadBalancerNotFound" in refused(
            registry, "elb_list_target_groups", load_balancer="no-such-lb"
        )

    def test_pages_cut_to_the_budget_continue_without_gaps_or_repeats(
        self, settings: Settings, clients: ClientFactory, crowded: dict[str, str]
    ) -> None:
        # moto answers every target group on one page whatever PageSize says: the budget makes the pages.
        registry = build_server(settings.with_changes(max_result_chars=3000), clients).registry
        first = call(registry, "elb_list_target_groups", region=CROWDED, max_results=400)
        assert 0 < first["count"] < 31 and "Cut to" in first["truncated"]
        assert "other filters" in refused(
            registry, "elb_list_target_groups", names=["a"], cursor=first.get("next_cursor")
        )
        seen = walk(registry, "elb_list_target_groups", "target_groups", region=CROWDED, max_results=400)
        assert sorted(g["name"] for g in seen) == sorted(crowded) and len(seen) == 31

    @pytest.mark.parametrize(
        "arguments",
        [
            {"max_results": 401},
            {"names": ["a"] * 21},
            {"load_balancer": "arn:aws:s3:::bucket"},
            {"fields": ["colour"]},
        ],
    )
    def test_every_list_and_string_argument_is_bounded(
        self, registry: ToolRegistry, arguments: dict[str, Any]
    ) -> None:
        assert "Invalid arguments" in refused(registry, "elb_list_target_groups", **arguments)


class TestGetTargetHealth:
    def test_each_target_says_its_state_and_why_and_the_summary_counts_them(
        self, registry: ToolRegistry
    ) -> None:
        result = call(registry, "elb_get_target_health", target_group="storefront-web")
        assert result["target_group"] == "storefront-web"
        assert result["summary"] == {"healthy": 2, "unused": 1} and result["count"] == 3
        by_state: dict[str, list[dict[str, Any]]] = {}
        for target in result["targets"]:
            by_state.setdefault(target["state"], []).append(target)
        (canary,) = by_state["unused"]
        assert canary["target_id"].startswith("i-") and canary["port"] == 80
        assert canary["reason"] == "Target.InvalidState" and "stopped" in canary["description"]
        assert all(t.get("reason") is None for t in by_state["healthy"])

    def test_the_healthy_targets_are_the_auto_scaling_groups_instances(self, registry: ToolRegistry) -> None:
        group = boto3.client("autoscaling", region_name="us-east-1").describe_auto_scaling_groups(
            AutoScalingGroupNames=["storefront-web-asg"]
        )["AutoScalingGroups"][0]
        healthy = call(registry, "elb_get_target_health", target_group="storefront-web", states=["healthy"])
        assert {t["target_id"] for t in healthy["targets"]} == {i["InstanceId"] for i in group["Instances"]}

    def test_states_choose_the_targets_and_the_summary_still_counts_all(self, registry: ToolRegistry) -> None:
        result = call(
            registry, "elb_get_target_health", target_group="storefront-web", states=["unhealthy", "unused"]
        )
        assert result["count"] == 1 and result["targets"][0]["state"] == "unused"
        assert result["summary"] == {"healthy": 2, "unused": 1}

    def test_targets_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "elb_get_target_health", target_group="storefront-web", fields=["state"])
        assert [set(t) for t in result["targets"]] == [{"target_id", "state"}] * 3
        assert result["summary"] == {"healthy": 2, "unused": 1}
        valid_output(registry, "elb_get_target_health", result)

    def test_a_target_group_may_be_named_by_its_arn(
        self, registry: ToolRegistry, crowded: dict[str, str]
    ) -> None:
        result = call(registry, "elb_get_target_health", target_group=crowded["addresses"], region=CROWDED)
        assert result["target_group"] == "addresses" and result["summary"] == {"healthy": 60}

    def test_an_unknown_target_group_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "TargetGroupNotFound" in refused(
            registry, "elb_get_target_health", target_group="no-such-group"
        )

    def test_pages_follow_the_cursor_without_gaps_or_repeats(
        self, registry: ToolRegistry, crowded: dict[str, str]
    ) -> None:
        arguments = {"target_group": "addresses", "region": CROWDED, "max_results": 25}
        first = call(registry, "elb_get_target_health", **arguments)
        assert first["count"] == 25 and first["summary"] == {"healthy": 60}
        assert "other filters" in refused(
            registry,
            "elb_get_target_health",
            **arguments,
            states=["healthy"],
            cursor=first.get("next_cursor"),
        )
        seen = walk(registry, "elb_get_target_health", "targets", **arguments)
        assert sorted(t["target_id"] for t in seen) == sorted(f"172.31.0.{n}" for n in range(10, 70))

    def test_a_page_over_the_budget_is_cut_at_a_target_and_continues(
        self, settings: Settings, clients: ClientFactory, crowded: dict[str, str]
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=1500), clients).registry
        arguments = {"target_group": "addresses", "region": CROWDED, "max_results": 60}
        first = call(registry, "elb_get_target_health", **arguments)
        assert 0 < first["count"] < 60 and "Cut to" in first["truncated"]
        seen = walk(registry, "elb_get_target_health", "targets", **arguments)
        assert len(seen) == len({t["target_id"] for t in seen}) == 60

    @pytest.mark.parametrize(
        "arguments",
        [
            {"target_group": "x" * 33},
            {"target_group": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/0123"},
            {"target_group": "web", "states": ["sleeping"]},
            {"target_group": "web", "max_results": 1001},
            {},
        ],
    )
    def test_every_argument_is_bounded(self, registry: ToolRegistry, arguments: dict[str, Any]) -> None:
        assert "Invalid arguments" in refused(registry, "elb_get_target_health", **arguments)

    def test_access_denied_is_a_tool_error_saying_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("elbv2", "us-east-1")) as stubber:
            stubber.add_client_error("describe_target_groups", "AccessDenied", http_status_code=403)
            text = refused(registry, "elb_get_target_health", target_group="storefront-web")
        assert "denied" in text and "a retry will not help" in text
