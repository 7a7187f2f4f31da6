"""VPC tools against moto's EC2, through the registry as an agent would call them.

The demo's networks (estate/vpc.py) are read in us-east-1 and eu-west-1; tests that build networks
of their own do so in regions the demo leaves empty, and compare what is there before and after.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools.paging import bind
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import DEMO_IMAGE, seed, table_names
from tests.unit.tools.services.calling import call, refused
from tests.unit.tools.test_paging import valid_output

UNKNOWN_VPC = "vpc-0123456789abcdef0"


@pytest.fixture(scope="module")
def estate(aws: None) -> None:
    seed(endpoint_url=None, parts=("vpc",))


def ec2(region: str) -> Any:
    return boto3.client("ec2", region_name=region)


def inventory(region: str) -> set[str]:
    """Every VPC, subnet, gateway, route table and security group of a region, by id."""
    client = ec2(region)
    found = {v["VpcId"] for v in client.describe_vpcs()["Vpcs"]}
    found |= {s["SubnetId"] for s in client.describe_subnets()["Subnets"]}
    found |= {g["InternetGatewayId"] for g in client.describe_internet_gateways()["InternetGateways"]}
    found |= {t["RouteTableId"] for t in client.describe_route_tables()["RouteTables"]}
    return found | {g["GroupId"] for g in client.describe_security_groups()["SecurityGroups"]}


def vpcs_named(region: str, name: str) -> list[str]:
    found = ec2(region).describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
    return [v["VpcId"] for v in found]


def on_call(clients: ClientFactory, region: str, operation: str, code: str) -> None:
    """Make the registry's EC2 client in ``region`` get ``code`` from AWS for ``operation``."""

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": f"{code} happened"}}, operation)

    clients.client("ec2", region).meta.events.register(f"before-call.ec2.{operation}", refuse)


def storefront_id() -> str:
    (vpc_id,) = vpcs_named("us-east-1", "storefront-vpc")
    return vpc_id


CROWDED = "ca-central-1"


@pytest.fixture(scope="module")
def crowded(aws: None) -> str:
    """Twelve VPCs named crowd-00 ... crowd-11 (and the default one) in a region of their own; six
    security groups in the last."""
    client = ec2(CROWDED)
    for n in range(12):
        tags: Any = [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": f"crowd-{n:02}"}]}]
        vpc = client.create_vpc(CidrBlock=f"10.{n}.0.0/16", TagSpecifications=tags)["Vpc"]["VpcId"]
    for n in range(6):  # in the last VPC: groups of long descriptions
        client.create_security_group(GroupName=f"group-{n}", Description="x" * 200, VpcId=vpc)
    return CROWDED


def crowded_vpc(region: str) -> str:
    (vpc_id,) = vpcs_named(region, "crowd-11")
    return vpc_id


class TestListSecurityGroups:
    def test_rules_read_one_line_each_and_the_open_group_is_found(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_security_groups", open_to_world=True)
        (group,) = result["security_groups"]
        assert group["name"] == "web-public" and group["open_to_world"] is True
        assert group["inbound"] == ["tcp 443 from 0.0.0.0/0", "tcp 22 from 10.0.0.0/8"]
        assert group["outbound"] == ["all to 0.0.0.0/0"]

    def test_without_a_filter_every_group_of_the_region_is_listed(self, registry: ToolRegistry) -> None:
        names = {g["name"] for g in call(registry, "ec2_list_security_groups")["security_groups"]}
        assert {"default", "web-public"} <= names

    def test_a_vpc_filter_keeps_that_vpcs_groups(self, registry: ToolRegistry) -> None:
        groups = call(registry, "ec2_list_security_groups", vpc_id=storefront_id())["security_groups"]
        assert [g["name"] for g in groups] == ["default"]

    def test_a_cursor_is_bound_to_its_filters(self, registry: ToolRegistry) -> None:
        cursor = bind({"t": None, "n": 25}, {"region": "us-east-1"})
        outcome = registry.call("ec2_list_security_groups", {"cursor": cursor}, CallContext())
        assert outcome.is_error and "other filters" in outcome.text

    def test_a_page_over_the_budget_is_cut_at_a_group_and_continues(
        self, settings: Settings, clients: ClientFactory, crowded: str
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=1000), clients).registry
        seen: list[str] = []
        cursor = None
        for _ in range(20):
            arguments = {"region": crowded, "vpc_id": crowded_vpc(crowded), "cursor": cursor}
            outcome = registry.call("ec2_list_security_groups", arguments, CallContext())
            assert not outcome.is_error and len(outcome.text) <= 1000 and outcome.structured is not None
            seen += [g["name"] for g in outcome.structured["security_groups"]]
            cursor = outcome.structured.get("next_cursor")
            if cursor is None:
                break
            assert "Cut to" in outcome.structured["truncated"]
        assert sorted(seen) == ["default"] + [f"group-{n}" for n in range(6)]

    def test_security_groups_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "ec2_list_security_groups", open_to_world=True, fields=["name", "inbound"])
        (group,) = result["security_groups"]
        assert group == {
            "group_id": group["group_id"],
            "name": "web-public",
            "inbound": ["tcp 443 from 0.0.0.0/0", "tcp 22 from 10.0.0.0/8"],
        }
        valid_output(registry, "ec2_list_security_groups", result)


class TestListVpcs:
    def test_each_vpc_comes_with_its_ranges_subnets_and_internet_gateway(
        self, registry: ToolRegistry
    ) -> None:
        result = call(registry, "vpc_list_vpcs")
        assert result["region"] == "us-east-1" and result["count"] == 2 and result.get("next_cursor") is None
        default, storefront = result["vpcs"]
        assert default["is_default"] is True and default.get("name") is None
        assert storefront == {
            "vpc_id": storefront_id(),
            "name": "storefront-vpc",
            "cidrs": ["10.20.0.0/16"],
            "is_default": False,
            "state": "available",
            "subnet_count": 4,
            "internet_gateway": storefront["internet_gateway"],
        }
        assert storefront["internet_gateway"].startswith("igw-") and default.get("internet_gateway") is None

    def test_vpcs_can_be_listed_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "vpc_list_vpcs", fields=["name"])
        default, storefront = result["vpcs"]
        assert storefront == {"vpc_id": storefront_id(), "name": "storefront-vpc"}
        assert set(default) == {"vpc_id"}  # the default VPC has no name: left out, not null
        valid_output(registry, "vpc_list_vpcs", result)

    def test_another_region_has_its_own_networks(self, registry: ToolRegistry) -> None:
        names = [v.get("name") for v in call(registry, "vpc_list_vpcs", region="eu-west-1")["vpcs"]]
        assert names == [None, "reporting-vpc"]

    def test_a_name_filter_takes_wildcards(self, registry: ToolRegistry) -> None:
        assert [v["name"] for v in call(registry, "vpc_list_vpcs", name="store*")["vpcs"]] == [
            "storefront-vpc"
        ]
        assert call(registry, "vpc_list_vpcs", name="nothing-*")["count"] == 0

    def test_an_unknown_vpc_id_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        text = refused(registry, "vpc_list_vpcs", vpc_ids=[UNKNOWN_VPC])
        assert "InvalidVpcID.NotFound" in text and UNKNOWN_VPC in text

    def test_pages_follow_the_cursor_without_gaps_or_repeats(
        self, registry: ToolRegistry, crowded: str
    ) -> None:
        first = call(registry, "vpc_list_vpcs", region=crowded, max_results=5)
        second = call(
            registry, "vpc_list_vpcs", region=crowded, max_results=50, cursor=first.get("next_cursor")
        )
        third = call(registry, "vpc_list_vpcs", region=crowded, cursor=second.get("next_cursor"))
        assert [first["count"], second["count"], third["count"]] == [5, 5, 3]  # the first call's page size
        assert third.get("next_cursor") is None
        names = [v.get("name") for page in (first, second, third) for v in page["vpcs"]]
        assert names == [None] + [f"crowd-{n:02}" for n in range(12)]

    def test_a_cursor_refuses_filters_other_than_those_it_was_made_for(
        self, registry: ToolRegistry, crowded: str
    ) -> None:
        first = call(registry, "vpc_list_vpcs", region=crowded, name="crowd-*", max_results=5)
        for other in ({"region": crowded}, {"region": crowded, "name": "crowd-0*"}, {"name": "crowd-*"}):
            text = refused(registry, "vpc_list_vpcs", **other, cursor=first.get("next_cursor"))
            assert "other filters" in text
        rest = call(
            registry, "vpc_list_vpcs", region=crowded, name="crowd-*", cursor=first.get("next_cursor")
        )
        assert rest["count"] == 5 and rest.get("next_cursor")

    @pytest.mark.parametrize("position", [{"o": -1, "n": 5}, {"o": 0, "n": 1}, {"o": "5", "n": 5}, {"o": 0}])
    def test_a_forged_cursor_is_refused_saying_to_start_again(
        self, registry: ToolRegistry, position: dict[str, Any]
    ) -> None:
        cursor = bind(position, {"region": "us-east-1", "vpc_ids": [], "name": None})
        text = refused(registry, "vpc_list_vpcs", cursor=cursor)
        assert "Invalid cursor" in text and "without cursor" in text

    def test_a_page_over_the_budget_is_cut_at_a_vpc_and_continues(
        self, settings: Settings, clients: ClientFactory, crowded: str
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=1000), clients).registry
        seen: list[str] = []
        cursor = None
        for _ in range(13):
            outcome = registry.call(
                "vpc_list_vpcs", {"region": crowded, "max_results": 13, "cursor": cursor}, CallContext()
            )
            assert not outcome.is_error and len(outcome.text) <= 1000 and outcome.structured is not None
            if outcome.structured.get("next_cursor") and not seen:
                assert "Cut to" in outcome.structured["truncated"]
            seen += [v["vpc_id"] for v in outcome.structured["vpcs"]]
            cursor = outcome.structured.get("next_cursor")
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 13

    def test_access_denied_says_a_retry_will_not_help(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        with Stubber(clients.client("ec2", "us-east-1")) as stubber:
            stubber.add_client_error("describe_vpcs", "UnauthorizedOperation", http_status_code=403)
            text = refused(registry, "vpc_list_vpcs")
        assert "denied" in text and "UnauthorizedOperation" in text and "will not help" in text

    def test_throttling_says_it_is_transient(self, registry: ToolRegistry, clients: ClientFactory) -> None:
        with Stubber(clients.client("ec2", "us-east-1")) as stubber:
            stubber.add_client_error("describe_vpcs", "RequestLimitExceeded", http_status_code=503)
            text = refused(registry, "vpc_list_vpcs")
        assert "RequestLimitExceeded" in text and "transient" in text


ROUTED = "eu-north-1"


@pytest.fixture(scope="module")
def routed(aws: None) -> dict[str, str]:
    """A VPC whose main table sends 0.0.0.0/0 to its internet gateway: "open" has no table of its
    own (public by the main table), "closed" an explicit one with only the local route."""
    client = ec2(ROUTED)
    vpc = client.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    gateway = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    main = client.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]
    client.create_route(
        RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway
    )
    opened = client.create_subnet(VpcId=vpc, CidrBlock="10.60.1.0/24")["Subnet"]["SubnetId"]
    closed = client.create_subnet(VpcId=vpc, CidrBlock="10.60.2.0/24")["Subnet"]["SubnetId"]
    table = client.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    client.associate_route_table(RouteTableId=table, SubnetId=closed)
    return {"vpc": vpc, "gateway": gateway, "main": main["RouteTableId"], "open": opened, "closed": closed}


SPRAWLING = "sa-east-1"


@pytest.fixture(scope="module")
def sprawling(aws: None) -> str:
    """A VPC of 60 subnets, its main table holding 26 routes."""
    client = ec2(SPRAWLING)
    vpc = client.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    for n in range(60):
        client.create_subnet(
            VpcId=vpc, CidrBlock=f"10.50.{n}.0/24", AvailabilityZone=f"sa-east-1{'abc'[n % 3]}"
        )
    gateway = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    main = client.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]
    for n in range(25):
        client.create_route(
            RouteTableId=main["RouteTableId"], DestinationCidrBlock=f"192.168.{n}.0/24", GatewayId=gateway
        )
    return str(vpc)


class TestDescribeNetwork:
    def test_the_storefront_map_says_which_subnets_are_public_and_where_traffic_goes(
        self, registry: ToolRegistry
    ) -> None:
        result = call(registry, "vpc_describe_network", vpc_name="storefront-vpc")
        assert result["vpc"]["vpc_id"] == storefront_id() and result["vpc"]["cidrs"] == ["10.20.0.0/16"]
        (gateway,) = result["internet_gateways"]
        (nat,) = result["nat_gateways"]
        subnets = {s["name"]: s for s in result["subnets"]}
        assert [s["name"] for s in result["subnets"]] == [
            "storefront-public-a",
            "storefront-public-b",
            "storefront-private-a",
            "storefront-private-b",
        ]
        assert {s["kind"] for n, s in subnets.items() if "public" in n} == {"public"}
        assert {s["default_route"] for n, s in subnets.items() if "public" in n} == {gateway}
        assert {s["kind"] for n, s in subnets.items() if "private" in n} == {"private"}
        assert {s["default_route"] for n, s in subnets.items() if "private" in n} == {nat["nat_gateway_id"]}
        assert subnets["storefront-public-a"]["availability_zone"] == "us-east-1a"
        assert 0 < subnets["storefront-private-b"]["available_ips"] <= 251
        assert nat["subnet_id"] == subnets["storefront-public-a"]["subnet_id"] and nat["public_ip"]
        assert nat["state"] == "available" and nat["name"] == "storefront-nat"
        main, public = result["route_tables"]
        assert main["main"] is True and main["name"] == "storefront-private"
        assert main["routes"] == ["10.20.0.0/16 -> local", f"0.0.0.0/0 -> {nat['nat_gateway_id']}"]
        assert public["routes"] == ["10.20.0.0/16 -> local", f"0.0.0.0/0 -> {gateway}"]
        assert result["summary"].startswith("storefront-vpc (10.20.0.0/16): 4 subnets in 2 zones, 2 public")
        assert "capped" not in result and "truncated" not in result

    def test_by_id_and_by_name_answer_the_same(self, registry: ToolRegistry) -> None:
        by_name = call(registry, "vpc_describe_network", vpc_name="reporting-vpc", region="eu-west-1")
        by_id = call(registry, "vpc_describe_network", vpc_id=by_name["vpc"]["vpc_id"], region="eu-west-1")
        assert by_id == by_name
        assert [(s["name"], s["kind"]) for s in by_id["subnets"]] == [
            ("reporting-public-a", "public"),
            ("reporting-private-b", "private"),
        ]
        assert by_id["nat_gateways"] == [] and "NAT gateways: 0" in by_id["summary"]

    def test_a_subnet_without_a_table_of_its_own_follows_the_main_one(
        self, registry: ToolRegistry, routed: dict[str, str]
    ) -> None:
        result = call(registry, "vpc_describe_network", vpc_id=routed["vpc"], region=ROUTED)
        subnets = {s["subnet_id"]: s for s in result["subnets"]}
        opened, closed = subnets[routed["open"]], subnets[routed["closed"]]
        # The main table routes 0.0.0.0/0 to the gateway; the explicit one does not, and wins.
        assert (opened["kind"], opened["route_table_id"], opened["default_route"]) == (
            "public",
            routed["main"],
            routed["gateway"],
        )
        assert (closed["kind"], closed.get("default_route")) == ("private", None)
        assert closed["route_table_id"] != routed["main"]

    def test_a_name_matching_no_vpc_or_several_is_a_tool_error(self, registry: ToolRegistry) -> None:
        assert "vpc_list_vpcs lists them" in refused(registry, "vpc_describe_network", vpc_name="nowhere")
        for _ in range(2):
            ec2(ROUTED).create_vpc(
                CidrBlock="10.70.0.0/16",
                TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "twin"}]}],
            )
        text = refused(registry, "vpc_describe_network", vpc_name="twin", region=ROUTED)
        assert "2 VPCs" in text and "pass vpc_id" in text

    def test_an_unknown_vpc_id_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        text = refused(registry, "vpc_describe_network", vpc_id=UNKNOWN_VPC)
        assert "InvalidVpcID.NotFound" in text and UNKNOWN_VPC in text

    @pytest.mark.parametrize(
        "arguments", [{}, {"vpc_id": UNKNOWN_VPC, "vpc_name": "x"}, {"vpc_id": "subnet-1234abcd"}]
    )
    def test_exactly_one_vpc_id_or_vpc_name_is_asked_for(
        self, registry: ToolRegistry, arguments: dict[str, Any]
    ) -> None:
        assert "Invalid arguments" in refused(registry, "vpc_describe_network", **arguments)

    def test_a_large_map_is_cut_at_a_subnet_and_continues_with_subnets_only(
        self, settings: Settings, clients: ClientFactory, sprawling: str
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=4000), clients).registry
        pages: list[dict[str, Any]] = []
        cursor = None
        for _ in range(20):
            arguments = {"vpc_id": sprawling, "region": SPRAWLING, "cursor": cursor}
            outcome = registry.call("vpc_describe_network", arguments, CallContext())
            assert not outcome.is_error, outcome.text
            assert len(outcome.text) <= 4000 and outcome.structured is not None
            pages.append(outcome.structured)
            cursor = outcome.structured.get("next_cursor")
            if cursor is None:
                break
        first, *later = pages
        assert later and "Cut to" in first["truncated"] and first["route_tables"]
        assert all("route_tables" not in p and "nat_gateways" not in p for p in later)
        assert "first has the rest of the map" in later[0]["summary"]
        cidrs = [s["cidr"] for p in pages for s in p["subnets"]]
        assert cidrs == [f"10.50.{n}.0/24" for n in range(60)]  # in address order, no gaps or repeats

    def test_subnets_can_be_mapped_with_only_some_fields(self, registry: ToolRegistry) -> None:
        result = call(registry, "vpc_describe_network", vpc_name="storefront-vpc", fields=["kind"])
        assert [set(s) for s in result["subnets"]] == [{"subnet_id", "kind"}] * 4
        assert [s["kind"] for s in result["subnets"]] == ["public", "public", "private", "private"]
        assert result["route_tables"] and result["summary"]  # the rest of the map is whole
        valid_output(registry, "vpc_describe_network", result)

    def test_a_table_of_many_routes_is_capped_saying_so(
        self, registry: ToolRegistry, sprawling: str, settings: Settings, clients: ClientFactory
    ) -> None:
        registry = build_server(settings.with_changes(max_result_chars=4000), clients).registry
        result = call(registry, "vpc_describe_network", vpc_id=sprawling, region=SPRAWLING)
        (main,) = result["route_tables"]
        assert len(main["routes"]) == 20 and main["routes"][-1] == "... and 7 more routes"
        assert "routes after the first 19" in result["capped"] and sprawling in result["capped"]


# Where the tests that make networks make them.
WORKSHOP = "us-west-2"


class TestCreateNetwork:
    def test_a_dry_run_shows_the_plan_and_creates_nothing(self, registry: ToolRegistry) -> None:
        before = inventory(WORKSHOP)
        result = call(
            registry,
            "vpc_create_network",
            name="plan",
            cidr="10.9.0.0/20",
            availability_zones=3,
            dry_run=True,
            region=WORKSHOP,
        )
        assert inventory(WORKSHOP) == before
        assert (
            result["dry_run"] is True
            and result.get("vpc_id") is None
            and result.get("internet_gateway_id") is None
        )
        assert [(s["name"], s["cidr"], s.get("subnet_id")) for s in result["subnets"]] == [
            ("plan-public-us-west-2a", "10.9.0.0/23", None),
            ("plan-public-us-west-2b", "10.9.2.0/23", None),
            ("plan-public-us-west-2c", "10.9.4.0/23", None),
            ("plan-private-us-west-2a", "10.9.8.0/23", None),
            ("plan-private-us-west-2b", "10.9.10.0/23", None),
            ("plan-private-us-west-2c", "10.9.12.0/23", None),
        ]
        assert result["message"].startswith("Dry run:") and "nothing is left" in result["message"]

    def test_a_dry_run_takes_ec2s_answer_for_permission(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        zones = [{"ZoneName": f"{WORKSHOP}{z}", "State": "available"} for z in "ab"]
        with Stubber(clients.client("ec2", WORKSHOP)) as stubber:
            stubber.add_response("describe_availability_zones", {"AvailabilityZones": zones})
            stubber.add_client_error("create_vpc", "DryRunOperation", http_status_code=412)
            result = call(registry, "vpc_create_network", name="allowed", dry_run=True, region=WORKSHOP)
            stubber.add_response("describe_availability_zones", {"AvailabilityZones": zones})
            stubber.add_client_error("create_vpc", "UnauthorizedOperation", http_status_code=403)
            denied = refused(registry, "vpc_create_network", name="denied", dry_run=True, region=WORKSHOP)
            stubber.assert_no_pending_responses()  # nothing else was called
        assert "EC2 allows you to create VPCs here; nothing was created" in result["message"]
        assert "denied" in denied and "UnauthorizedOperation" in denied

    def test_makes_public_and_private_subnets_in_each_zone_asked(self, registry: ToolRegistry) -> None:
        made = call(
            registry,
            "vpc_create_network",
            name="shop",
            cidr="10.8.0.0/16",
            availability_zones=3,
            region=WORKSHOP,
        )
        assert made["dry_run"] is False and made["vpc_id"] in made["message"]
        assert all(s["subnet_id"].startswith("subnet-") for s in made["subnets"])
        network = call(registry, "vpc_describe_network", vpc_id=made["vpc_id"], region=WORKSHOP)
        assert network["vpc"]["name"] == "shop" and network["internet_gateways"] == [
            made["internet_gateway_id"]
        ]
        kinds = {(s["availability_zone"], s["kind"], s.get("default_route")) for s in network["subnets"]}
        assert kinds == {
            (f"{WORKSHOP}{z}", kind, made["internet_gateway_id"] if kind == "public" else None)
            for z in "abc"
            for kind in ("public", "private")
        }
        public = next(
            t for t in network["route_tables"] if t["route_table_id"] == made["public_route_table_id"]
        )
        assert (
            public["name"] == "shop-public"
            and f"0.0.0.0/0 -> {made['internet_gateway_id']}" in public["routes"]
        )
        tags = ec2(WORKSHOP).describe_vpcs(VpcIds=[made["vpc_id"]])["Vpcs"][0]["Tags"]
        assert {t["Key"] for t in tags} == {"Name", "aws-mcp:network"}

    def test_create_then_delete_leaves_nothing_behind(self, registry: ToolRegistry) -> None:
        before = inventory(WORKSHOP)
        made = call(registry, "vpc_create_network", name="brief", region=WORKSHOP)
        assert len(inventory(WORKSHOP) - before) == 1 + 4 + 1 + 2 + 1  # VPC, subnets, gateway, tables, group
        deleted = call(registry, "vpc_delete_network", vpc_id=made["vpc_id"], region=WORKSHOP)
        assert inventory(WORKSHOP) == before
        assert deleted["deleted"][-1] == made["vpc_id"] and made["internet_gateway_id"] in deleted["deleted"]

    def test_a_refused_step_undoes_what_was_made_and_says_so(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        before = inventory(WORKSHOP)
        on_call(clients, WORKSHOP, "CreateRouteTable", "RouteTableLimitExceeded")
        text = refused(registry, "vpc_create_network", name="halfway", region=WORKSHOP)
        assert "RouteTableLimitExceeded" in text and "Nothing was left behind: deleted again" in text
        assert inventory(WORKSHOP) == before

    def test_access_denied_midway_is_still_reported_as_denied(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        before = inventory(WORKSHOP)
        on_call(clients, WORKSHOP, "CreateSubnet", "UnauthorizedOperation")
        text = refused(registry, "vpc_create_network", name="forbidden", region=WORKSHOP)
        assert "denied" in text and "Nothing was left behind" in text
        assert inventory(WORKSHOP) == before

    def test_a_twin_made_by_a_resent_request_is_deleted(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        def first_attempt(params: dict[str, Any], **_: Any) -> None:
            # As if botocore resent CreateVpc after the first attempt's answer was lost.
            ec2(WORKSHOP).create_vpc(**params)

        events = clients.client("ec2", WORKSHOP).meta.events
        events.register("before-parameter-build.ec2.CreateVpc", first_attempt)
        made = call(registry, "vpc_create_network", name="twinned", region=WORKSHOP)
        assert vpcs_named(WORKSHOP, "twinned") == [made["vpc_id"]]

    def test_repeating_a_call_with_its_key_replays_it_and_makes_one_vpc(
        self, settings: Settings, clients: ClientFactory
    ) -> None:
        registry = build_server(
            settings.with_changes(idempotency_table=table_names()["idempotency"]), clients
        ).registry
        first, again = (
            call(registry, "vpc_create_network", name="once", region=WORKSHOP, idempotency_key="net-1")
            for _ in range(2)
        )
        assert "replayed" not in first and again["replayed"]["idempotency_key"] == "net-1"
        assert again["vpc_id"] == first["vpc_id"] and vpcs_named(WORKSHOP, "once") == [first["vpc_id"]]

    @pytest.mark.parametrize(
        "arguments",
        [
            {"availability_zones": 0},
            {"availability_zones": 4},
            {"cidr": "10.0.0.1/16"},
            {"cidr": "10.0.0.0/8"},
            {"cidr": "10.0.0.0/28"},
            {"cidr": "ten/16"},
            {"name": "has space"},
            {"name": "x" * 41},
        ],
    )
    def test_a_range_or_zone_count_it_cannot_build_is_refused(
        self, registry: ToolRegistry, arguments: dict[str, Any]
    ) -> None:
        assert "Invalid arguments" in refused(registry, "vpc_create_network", **{"name": "net", **arguments})


class TestDeleteNetwork:
    def test_refuses_a_network_with_an_instance_naming_it(self, registry: ToolRegistry) -> None:
        made = call(registry, "vpc_create_network", name="busy", availability_zones=1, region=WORKSHOP)
        private = next(s["subnet_id"] for s in made["subnets"] if s["kind"] == "private")
        instance = ec2(WORKSHOP).run_instances(ImageId=DEMO_IMAGE, MinCount=1, MaxCount=1, SubnetId=private)
        instance_id = instance["Instances"][0]["InstanceId"]
        before = inventory(WORKSHOP)
        text = refused(registry, "vpc_delete_network", vpc_id=made["vpc_id"], region=WORKSHOP)
        assert instance_id in text and "1 instances" in text and "Nothing was deleted" in text
        assert inventory(WORKSHOP) == before

    def test_an_interface_its_terminated_instance_left_goes_with_the_network(
        self, registry: ToolRegistry
    ) -> None:
        before = inventory(WORKSHOP)
        made = call(registry, "vpc_create_network", name="done", availability_zones=1, region=WORKSHOP)
        public = next(s["subnet_id"] for s in made["subnets"] if s["kind"] == "public")
        launched = ec2(WORKSHOP).run_instances(ImageId=DEMO_IMAGE, MinCount=1, MaxCount=1, SubnetId=public)
        instance = launched["Instances"][0]
        ec2(WORKSHOP).terminate_instances(InstanceIds=[instance["InstanceId"]])
        interface = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
        deleted = call(registry, "vpc_delete_network", vpc_id=made["vpc_id"], region=WORKSHOP)
        assert deleted["deleted"][0] == interface and deleted["deleted"][-1] == made["vpc_id"]
        assert inventory(WORKSHOP) == before

    def test_refuses_a_vpc_it_did_not_make(self, registry: ToolRegistry) -> None:
        text = refused(registry, "vpc_delete_network", vpc_id=storefront_id())
        assert "not made by vpc_create_network" in text and "Nothing was deleted" in text
        assert vpcs_named("us-east-1", "storefront-vpc")

    def test_a_dry_run_lists_what_would_go_and_deletes_nothing(self, registry: ToolRegistry) -> None:
        made = call(registry, "vpc_create_network", name="rehearsal", availability_zones=1, region=WORKSHOP)
        before = inventory(WORKSHOP)
        result = call(registry, "vpc_delete_network", vpc_id=made["vpc_id"], dry_run=True, region=WORKSHOP)
        assert inventory(WORKSHOP) == before
        subnets = [s["subnet_id"] for s in made["subnets"]]
        assert result["dry_run"] is True and result["deleted"] == [
            made["internet_gateway_id"],
            made["public_route_table_id"],
            *subnets,
            made["vpc_id"],
        ]

    def test_security_groups_inside_go_too_even_when_one_names_another(self, registry: ToolRegistry) -> None:
        before = inventory(WORKSHOP)
        made = call(registry, "vpc_create_network", name="grouped", availability_zones=1, region=WORKSHOP)
        client = ec2(WORKSHOP)
        app = client.create_security_group(GroupName="app", Description="app", VpcId=made["vpc_id"])[
            "GroupId"
        ]
        web = client.create_security_group(GroupName="web", Description="web", VpcId=made["vpc_id"])[
            "GroupId"
        ]
        client.authorize_security_group_ingress(
            GroupId=app,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": web}]}
            ],
        )
        deleted = call(registry, "vpc_delete_network", vpc_id=made["vpc_id"], region=WORKSHOP)["deleted"]
        assert {app, web} <= set(deleted) and inventory(WORKSHOP) == before

    def test_a_refused_step_says_what_was_deleted_and_what_is_left(
        self, registry: ToolRegistry, clients: ClientFactory
    ) -> None:
        made = call(registry, "vpc_create_network", name="stuck", availability_zones=1, region=WORKSHOP)
        on_call(clients, WORKSHOP, "DeleteVpc", "DependencyViolation")
        text = refused(registry, "vpc_delete_network", vpc_id=made["vpc_id"], region=WORKSHOP)
        assert "DependencyViolation" in text and f"Still there: {made['vpc_id']}" in text
        assert made["internet_gateway_id"] in text.split("Deleted before this:")[1]

    def test_an_unknown_vpc_is_a_tool_error_naming_it(self, registry: ToolRegistry) -> None:
        text = refused(registry, "vpc_delete_network", vpc_id=UNKNOWN_VPC)
        assert "InvalidVpcID.NotFound" in text and UNKNOWN_VPC in text


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [("vpc_create_network", {"name": "nope"}), ("vpc_delete_network", {"vpc_id": UNKNOWN_VPC})],
)
def test_write_tools_are_refused_in_read_only_mode(
    clients: ClientFactory, estate: None, tool: str, arguments: dict[str, Any]
) -> None:
    settings = Settings(access_mode=AccessMode.READ_ONLY, default_region="us-east-1")
    registry = build_server(settings, clients).registry
    with pytest.raises(ProtocolError, match="ReadOnly"):
        registry.call(tool, arguments, CallContext())
    assert tool not in {d["name"] for d in registry.definitions()}
