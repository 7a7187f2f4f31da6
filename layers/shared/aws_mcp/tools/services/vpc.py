"""VPC networks: list them, map one, create and delete a simple one; and their security groups."""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, Self, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import AfterValidator, BaseModel, Field, model_validator

from aws_mcp.errors import ToolError
from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

__all__ = ["TOOLS", "TOOLSET"]

T = TypeVar("T")
VpcId = Annotated[str, Field(max_length=21, pattern=r"^vpc-[0-9a-f]{8,17}$", description="A VPC id, vpc-...")]
# The tag vpc_create_network puts on everything it makes, valued with the call's own id:
# vpc_delete_network deletes only VPCs carrying it, and a create finds its duplicates by it.
_MARK: Final = "aws-mcp:network"
# A network map names at most this many of each (the subnets are paged instead).
_MAX_ROUTE_TABLES: Final = 12
_MAX_ROUTES: Final = 20
_MAX_NAT_GATEWAYS: Final = 10
# Subnets a describe_network page holds before the result budget cuts it (200 is EC2's default quota).
_SUBNET_PAGE: Final = 200
_LIVE_INSTANCES: Final = ["pending", "running", "shutting-down", "stopping", "stopped"]


# -- security groups --------------------------------------------------------------------------


class SecurityGroup(Item):
    item_key = "group_id"

    group_id: str
    name: str | None = None
    vpc_id: str | None = None
    description: str | None = None
    inbound: list[str] | None = Field(
        default=None, description='One line a rule, e.g. "tcp 443 from 0.0.0.0/0".'
    )
    outbound: list[str] | None = None
    open_to_world: bool | None = Field(
        default=None, description="Something is let in from 0.0.0.0/0 or ::/0."
    )


class ListSecurityGroupsInput(RegionalInput):
    vpc_id: VpcId | None = Field(default=None, description="Only groups of this VPC.")
    group_ids: list[Annotated[str, Field(max_length=20, pattern=r"^sg-[0-9a-f]{8,17}$")]] | None = Field(
        default=None, max_length=50, description="Only these groups, sg-..."
    )
    open_to_world: bool = Field(
        default=False, description="Only groups that let anything in from 0.0.0.0/0 or ::/0."
    )
    fields: Fields[SecurityGroup] = None
    max_results: int = page_size()
    cursor: Cursor = None


class ListSecurityGroupsOutput(Paged):
    items_field = "security_groups"

    region: str
    security_groups: list[SecurityGroup]


@tool(
    name="ec2_list_security_groups",
    title="List security groups",
    iam_actions=("ec2:DescribeSecurityGroups",),
    read_only=True,
    idempotent=True,
    examples=(Example({"open_to_world": True}, {"region": "us-east-1", "count": 1}),),
)
def list_security_groups(ec2: EC2Client, args: ListSecurityGroupsInput) -> ListSecurityGroupsOutput:
    """List security groups with their inbound and outbound rules, one line a rule. Set open_to_world
    to find what lets anything in from the internet; filter by VPC or group ids."""
    region = ec2.meta.region_name
    question = {
        "region": region,
        "vpc_id": args.vpc_id,
        "group_ids": args.group_ids or [],
        "open_to_world": args.open_to_world,
    }
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    request: dict[str, Any] = {"MaxResults": pages.size}
    if args.group_ids:
        request = {"GroupIds": args.group_ids}
    if args.vpc_id:
        request["Filters"] = [{"Name": "vpc-id", "Values": [args.vpc_id]}]
    response = pages.fetch(ec2.describe_security_groups, **request)
    groups = [_security_group(g) for g in response.get("SecurityGroups", [])]
    groups = [g for g in groups if g.open_to_world or not args.open_to_world][pages.offset :]
    page = ListSecurityGroupsOutput(
        region=region,
        count=len(groups),
        security_groups=groups,
        next_cursor=pages.next_cursor(response.get("NextToken")),
    )
    return page.resume_with(pages.cursor_at)


# -- reading networks -------------------------------------------------------------------------


class VpcSummary(Item):
    item_key = "vpc_id"

    vpc_id: str
    name: str | None = Field(default=None, description="Its Name tag, if any.")
    cidrs: list[str] | None = Field(default=None, description="Its IPv4 and IPv6 ranges.")
    is_default: bool | None = None
    state: str | None = None
    subnet_count: int | None = None
    internet_gateway: str | None = Field(
        default=None, description="The attached internet gateway, igw-...; null: none."
    )


class ListVpcsInput(RegionalInput):
    vpc_ids: list[VpcId] | None = Field(default=None, max_length=50, description="Only these VPCs.")
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description='Only VPCs whose Name tag is this; "*" matches any characters, e.g. "prod-*".',
    )
    fields: Fields[VpcSummary] = None
    max_results: int = page_size(most=200)
    cursor: Cursor = None


class ListVpcsOutput(Paged):
    items_field = "vpcs"

    region: str
    vpcs: list[VpcSummary]


@tool(
    name="vpc_list_vpcs",
    title="List VPCs",
    iam_actions=("ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeInternetGateways"),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"name": "storefront-vpc"},
            {
                "region": "us-east-1",
                "count": 1,
                "vpcs": [
                    {
                        "name": "storefront-vpc",
                        "cidrs": ["10.20.0.0/16"],
                        "is_default": False,
                        "subnet_count": 4,
                    }
                ],
                "next_cursor": None,
            },
        ),
        Example({"region": "eu-west-1"}, {"region": "eu-west-1", "count": 2, "next_cursor": None}),
    ),
)
def list_vpcs(ec2: EC2Client, args: ListVpcsInput) -> ListVpcsOutput:
    """List the VPCs of one region: id, name, address ranges, whether it is the default VPC, how many
    subnets it has and its internet gateway. Use vpc_describe_network for one VPC's subnets and
    routes."""
    region = ec2.meta.region_name
    question = {"region": region, "vpc_ids": args.vpc_ids or [], "name": args.name}
    # Paged here rather than by EC2's NextToken: a region holds few VPCs (5 by default), and a
    # stable order over the whole list keeps the cursor exact.
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    request: dict[str, Any] = {}
    if args.vpc_ids:
        request["VpcIds"] = args.vpc_ids
    if args.name:
        request["Filters"] = [{"Name": "tag:Name", "Values": [args.name]}]
    every = sorted(
        _all(ec2, "describe_vpcs", "Vpcs", **request),
        key=lambda v: (not v.get("IsDefault"), _name(v) or "", str(v["VpcId"])),
    )
    page, next_cursor = pages.window(every, None)
    ids = [v["VpcId"] for v in page]
    subnets: dict[str, int] = dict.fromkeys(ids, 0)
    gateways: dict[str, str] = {}
    if ids:
        for subnet in _all(ec2, "describe_subnets", "Subnets", Filters=[_filter("vpc-id", ids)]):
            subnets[subnet["VpcId"]] = subnets.get(subnet["VpcId"], 0) + 1
        for gateway in _attached_gateways(ec2, ids):
            for attachment in gateway.get("Attachments", []):
                gateways[attachment["VpcId"]] = gateway["InternetGatewayId"]
    vpcs = [
        VpcSummary(
            vpc_id=vpc["VpcId"],
            name=_name(vpc),
            cidrs=_cidrs(vpc),
            is_default=bool(vpc.get("IsDefault")),
            state=vpc.get("State", "unknown"),
            subnet_count=subnets.get(vpc["VpcId"], 0),
            internet_gateway=gateways.get(vpc["VpcId"]),
        )
        for vpc in page
    ]
    result = ListVpcsOutput(region=region, count=len(vpcs), vpcs=vpcs, next_cursor=next_cursor)
    return result.resume_with(pages.cursor_at)


class Vpc(BaseModel):
    vpc_id: str
    name: str | None
    cidrs: list[str]
    is_default: bool
    state: str


class Subnet(Item):
    item_key = "subnet_id"

    subnet_id: str
    name: str | None = None
    availability_zone: str | None = None
    cidr: str | None = None
    kind: Literal["public", "private"] | None = Field(
        default=None,
        description="public: its route table (its own, or the VPC's main one) sends 0.0.0.0/0 or ::/0 to "
        "an internet gateway.",
    )
    default_route: str | None = Field(
        default=None,
        description='Where its 0.0.0.0/0 traffic goes ("igw-...", "nat-..."); null: nowhere beyond the VPC.',
    )
    route_table_id: str | None = None
    available_ips: int | None = None


class RouteTable(BaseModel):
    route_table_id: str
    name: str | None
    main: bool = Field(description="The VPC's main table: subnets without a table of their own use it.")
    routes: list[str] = Field(description='One line a route, e.g. "0.0.0.0/0 -> igw-0abc".')


class NatGateway(BaseModel):
    nat_gateway_id: str
    name: str | None
    subnet_id: str | None
    state: str
    public_ip: str | None


class DescribeNetworkInput(RegionalInput):
    vpc_id: VpcId | None = Field(default=None, description="The VPC, vpc-... (or give vpc_name).")
    vpc_name: str | None = Field(
        default=None, min_length=1, max_length=256, description="The VPC's Name tag (or give vpc_id)."
    )
    fields: Fields[Subnet] = None
    cursor: Cursor = None

    @model_validator(mode="after")
    def _one_vpc(self) -> Self:
        if (self.vpc_id is None) == (self.vpc_name is None):
            raise ValueError("give exactly one of vpc_id and vpc_name")
        return self


class DescribeNetworkOutput(Paged):
    """On a page after the first, only the subnets come (the rest came with the first)."""

    items_field = "subnets"

    region: str
    vpc: Vpc
    summary: str
    subnets: list[Subnet] = Field(description="In address order.")
    route_tables: list[RouteTable] | None = Field(default=None, description="The main table first.")
    internet_gateways: list[str] | None = None
    nat_gateways: list[NatGateway] | None = None
    capped: str | None = Field(default=None, description="Present when part of the map was left out.")


@tool(
    name="vpc_describe_network",
    title="Map a VPC's network",
    iam_actions=(
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeRouteTables",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeNatGateways",
    ),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"vpc_name": "storefront-vpc"},
            {
                "region": "us-east-1",
                "vpc": {"name": "storefront-vpc", "cidrs": ["10.20.0.0/16"], "is_default": False},
                "count": 4,
                "subnets": [
                    {"name": "storefront-public-a", "cidr": "10.20.0.0/24", "kind": "public"},
                    {"name": "storefront-public-b", "cidr": "10.20.1.0/24", "kind": "public"},
                    {"name": "storefront-private-a", "cidr": "10.20.10.0/24", "kind": "private"},
                    {"name": "storefront-private-b", "cidr": "10.20.11.0/24", "kind": "private"},
                ],
                "next_cursor": None,
            },
        ),
        Example(
            {"vpc_name": "reporting-vpc", "region": "eu-west-1"},
            {
                "region": "eu-west-1",
                "count": 2,
                "subnets": [
                    {"name": "reporting-public-a", "kind": "public"},
                    {"name": "reporting-private-b", "kind": "private", "default_route": None},
                ],
            },
        ),
    ),
)
def describe_network(ec2: EC2Client, args: DescribeNetworkInput) -> DescribeNetworkOutput:
    """Map one VPC (by id or Name tag): its subnets, each public or private by its routes, with zone,
    range and free addresses; route tables, one line a route; internet and NAT gateways; and a short
    summary. Use it to see where traffic can go before placing or exposing anything. Many subnets
    come in pages: follow next_cursor."""
    region = ec2.meta.region_name
    vpc = _find_vpc(ec2, args.vpc_id, args.vpc_name)
    vpc_id = vpc["VpcId"]
    question = {"region": region, "vpc_id": args.vpc_id, "vpc_name": args.vpc_name}
    pages = TokenPages.resume(args.cursor, question, _SUBNET_PAGE)
    in_vpc = [_filter("vpc-id", [vpc_id])]
    tables = sorted(
        _all(ec2, "describe_route_tables", "RouteTables", Filters=in_vpc),
        key=lambda t: (not _is_main(t), str(t["RouteTableId"])),
    )
    every = sorted(
        (_subnet(s, tables) for s in _all(ec2, "describe_subnets", "Subnets", Filters=in_vpc)),
        key=lambda s: ipaddress.ip_network(s.cidr or "0.0.0.0/0"),
    )
    subnets, next_cursor = pages.window(every, None)
    name, cidrs = _name(vpc), _cidrs(vpc)
    public = sum(s.kind == "public" for s in every)
    summary = (
        f"{name or vpc_id} ({', '.join(cidrs)}): {len(every)} subnets in "
        f"{len({s.availability_zone for s in every})} zones, {public} public, {len(every) - public} private"
    )
    page: dict[str, Any] = {
        "region": region,
        "vpc": Vpc(
            vpc_id=vpc_id,
            name=name,
            cidrs=cidrs,
            is_default=bool(vpc.get("IsDefault")),
            state=vpc.get("State", "unknown"),
        ),
        "count": len(subnets),
        "subnets": subnets,
        "next_cursor": next_cursor,
    }
    if pages.offset:
        # A later page: the subnets only; the gateways and route tables came with the first.
        summary += f". This page: subnets from number {pages.offset + 1}; the first has the rest of the map."
        return DescribeNetworkOutput(**page, summary=summary).resume_with(pages.cursor_at)
    gateways = [g["InternetGatewayId"] for g in _attached_gateways(ec2, [vpc_id])]
    nats = [
        _nat(n)
        for n in _all(ec2, "describe_nat_gateways", "NatGateways", Filter=in_vpc)
        if n.get("State") != "deleted"
    ]
    internet = f"internet gateway {', '.join(gateways)}" if gateways else "no internet gateway"
    summary += f"; {internet}; NAT gateways: {len(nats)}; route tables: {len(tables)}."
    capped = _capped(vpc_id, tables, len(nats))
    output = DescribeNetworkOutput(
        **page,
        summary=summary,
        route_tables=[_route_table(t) for t in tables[:_MAX_ROUTE_TABLES]],
        internet_gateways=gateways,
        nat_gateways=nats[:_MAX_NAT_GATEWAYS],
    )
    if capped:
        output.capped = capped  # set only when something was left out: unset fields are not sent
    return output.resume_with(pages.cursor_at)


# -- changing networks ------------------------------------------------------------------------


def _vpc_range(value: str) -> str:
    network = ipaddress.IPv4Network(value)  # strict: "10.0.0.1/16" is refused, saying why
    if not 16 <= network.prefixlen <= 24:
        raise ValueError("a VPC's range must be /16 to /24")
    return str(network)


class CreateNetworkInput(MutatingInput):
    name: str = Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Name tag of the VPC, and prefix of its parts' (e.g. <name>-public-us-east-1a).",
    )
    cidr: Annotated[str, AfterValidator(_vpc_range)] = Field(
        default="10.0.0.0/16",
        max_length=18,
        pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$",
        description="The VPC's IPv4 range, /16 to /24. Each subnet is an eighth of it: the public ones "
        "from the bottom, the private ones from the middle.",
    )
    availability_zones: int = Field(
        default=2, ge=1, le=3, description="How many zones: one public and one private subnet in each."
    )
    dry_run: bool = Field(
        default=False,
        description="Show what would be created and ask EC2 whether it is allowed, creating nothing.",
    )


class PlannedSubnet(BaseModel):
    name: str
    kind: Literal["public", "private"]
    availability_zone: str
    cidr: str
    subnet_id: str | None = Field(description="null in a dry run.")


class CreateNetworkOutput(MutatingOutput):
    region: str
    dry_run: bool
    message: str
    vpc_id: str | None = Field(description="null in a dry run.")
    cidr: str
    internet_gateway_id: str | None
    public_route_table_id: str | None
    subnets: list[PlannedSubnet]


@tool(
    name="vpc_create_network",
    title="Create a VPC network",
    iam_actions=(
        "ec2:DescribeAvailabilityZones",
        "ec2:CreateVpc",
        "ec2:CreateTags",
        "ec2:DescribeVpcs",
        "ec2:CreateInternetGateway",
        "ec2:DescribeInternetGateways",
        "ec2:AttachInternetGateway",
        "ec2:CreateSubnet",
        "ec2:CreateRouteTable",
        "ec2:CreateRoute",
        "ec2:AssociateRouteTable",
        # Undoing: a duplicate, a VPC made despite DryRun, or what a refused step leaves.
        "ec2:DeleteVpc",
        "ec2:DetachInternetGateway",
        "ec2:DeleteInternetGateway",
        "ec2:DisassociateRouteTable",
        "ec2:DeleteRouteTable",
        "ec2:DeleteSubnet",
    ),
    read_only=False,
    destructive=False,
    idempotent=False,
    examples=(
        Example(
            {"name": "sandbox", "availability_zones": 2, "dry_run": True},
            {
                "region": "us-east-1",
                "dry_run": True,
                "vpc_id": None,
                "cidr": "10.0.0.0/16",
                "subnets": [
                    {"name": "sandbox-public-us-east-1a", "cidr": "10.0.0.0/19", "subnet_id": None},
                    {"name": "sandbox-public-us-east-1b", "cidr": "10.0.32.0/19", "subnet_id": None},
                    {"name": "sandbox-private-us-east-1a", "cidr": "10.0.128.0/19", "subnet_id": None},
                    {"name": "sandbox-private-us-east-1b", "cidr": "10.0.160.0/19", "subnet_id": None},
                ],
            },
        ),
    ),
)
def create_network(ec2: EC2Client, args: CreateNetworkInput) -> CreateNetworkOutput:
    """Create a VPC with a public and a private subnet in each of 1-3 zones, an internet gateway, and a
    route table sending the public subnets' 0.0.0.0/0 to it, all tagged with the name. dry_run shows
    the plan and checks permission. If AWS refuses a step, what was made is deleted again and the error
    says so. vpc_delete_network removes it."""
    region = ec2.meta.region_name
    plan = _plan(args, _zones(ec2, args.availability_zones))
    if args.dry_run:
        return _dry_run_create(ec2, args, plan)
    # CreateVpc, CreateInternetGateway and the others take no ClientToken, so EC2 cannot tell a resent
    # request from a new one. A repeat of the whole call is the registry's to stop (its idempotency
    # replays the first result); botocore's own retry of one request whose answer was lost can still
    # make a second VPC or gateway, so each carries this call's mark and any twin is deleted.
    mark = uuid.uuid4().hex
    made = _Parts()
    try:
        vpc_id = ec2.create_vpc(CidrBlock=args.cidr, TagSpecifications=_tags("vpc", args.name, mark))["Vpc"][
            "VpcId"
        ]
        made.vpc_id = vpc_id
        for twin in _all(ec2, "describe_vpcs", "Vpcs", Filters=[_filter(f"tag:{_MARK}", [mark])]):
            if twin["VpcId"] != vpc_id:
                ec2.delete_vpc(VpcId=twin["VpcId"])
        gateway = ec2.create_internet_gateway(
            TagSpecifications=_tags("internet-gateway", f"{args.name}-igw", mark)
        )
        gateway_id = gateway["InternetGateway"]["InternetGatewayId"]
        made.internet_gateways[gateway_id] = False
        twins = ec2.describe_internet_gateways(Filters=[_filter(f"tag:{_MARK}", [mark])])["InternetGateways"]
        for twin in twins:
            if twin["InternetGatewayId"] != gateway_id and not twin.get("Attachments"):
                ec2.delete_internet_gateway(InternetGatewayId=twin["InternetGatewayId"])
        ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id)
        made.internet_gateways[gateway_id] = True
        for subnet in plan:
            subnet.subnet_id = ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=subnet.cidr,
                AvailabilityZone=subnet.availability_zone,
                TagSpecifications=_tags("subnet", subnet.name, mark),
            )["Subnet"]["SubnetId"]
            made.subnets.append(subnet.subnet_id)
        table_id = ec2.create_route_table(
            VpcId=vpc_id, TagSpecifications=_tags("route-table", f"{args.name}-public", mark)
        )["RouteTable"]["RouteTableId"]
        made.route_tables[table_id] = []
        ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway_id)
        for subnet in plan:
            if subnet.kind == "public" and subnet.subnet_id:
                associated = ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet.subnet_id)
                made.route_tables[table_id].append(associated["AssociationId"])
    except ClientError as err:
        raise _undone(ec2, made, err) from None
    # No answer at all (a timeout) is not undone: whether that step happened is unknown. The registry
    # says so, and every part carries the name, for vpc_list_vpcs and vpc_delete_network to find.
    zones = ", ".join(sorted({s.availability_zone for s in plan}))
    return CreateNetworkOutput(
        region=region,
        dry_run=False,
        message=f"Created VPC {args.name} ({vpc_id}, {args.cidr}) with a public and a private subnet in "
        f"each of {zones}, internet gateway {gateway_id}, and route table {table_id} sending the public "
        "subnets' 0.0.0.0/0 to it. The private subnets use the VPC's main route table: no route out of the "
        f"VPC. vpc_delete_network(vpc_id={vpc_id!r}) removes all of it.",
        vpc_id=vpc_id,
        cidr=args.cidr,
        internet_gateway_id=gateway_id,
        public_route_table_id=table_id,
        subnets=plan,
    )


class DeleteNetworkInput(MutatingInput):
    vpc_id: VpcId
    dry_run: bool = Field(
        default=False, description="List what would be deleted, and what stops it, deleting nothing."
    )


class DeleteNetworkOutput(MutatingOutput):
    region: str
    dry_run: bool
    vpc_id: str
    message: str
    deleted: list[str] = Field(description="What was deleted, in order (in a dry run: what would be).")


@tool(
    name="vpc_delete_network",
    title="Delete a VPC network",
    iam_actions=(
        "ec2:DescribeVpcs",
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeSubnets",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DeleteSecurityGroup",
        "ec2:DetachInternetGateway",
        "ec2:DeleteInternetGateway",
        "ec2:DisassociateRouteTable",
        "ec2:DeleteRouteTable",
        "ec2:DeleteSubnet",
        "ec2:DeleteVpc",
    ),
    read_only=False,
    destructive=True,
    idempotent=True,
    examples=(
        Example(
            {"vpc_id": "vpc-0123456789abcdef0"},
            None,
            error_contains=("vpc-0123456789abcdef0", "InvalidVpcID.NotFound"),
        ),
    ),
)
def delete_network(ec2: EC2Client, args: DeleteNetworkInput) -> DeleteNetworkOutput:
    """Delete a VPC made by vpc_create_network and everything in it: its security groups, internet
    gateway (detached first), route tables and subnets. Refuses, naming them, while instances or
    network interfaces remain in it, and any VPC that tool did not make. Set dry_run to list what
    would be deleted."""
    region = ec2.meta.region_name
    vpc = _find_vpc(ec2, args.vpc_id, None)
    if _MARK not in {t.get("Key") for t in vpc.get("Tags", [])}:
        raise ToolError(
            f"{args.vpc_id} was not made by vpc_create_network (it has no {_MARK} tag), so "
            "vpc_delete_network leaves it alone. Nothing was deleted."
        )
    leftovers = _refuse_if_in_use(ec2, args.vpc_id)
    parts = _contents(ec2, args.vpc_id)
    if args.dry_run:
        # No DryRun call here: an endpoint that ignores it (moto, under the demo, does for DeleteVpc)
        # would delete for real, and a deleted VPC cannot be made again as it was.
        return DeleteNetworkOutput(
            region=region,
            dry_run=True,
            vpc_id=args.vpc_id,
            message=f"Dry run: nothing was deleted. Would delete these {len(parts.ids())}, in order; "
            "EC2 checks permission for each as it is deleted.",
            deleted=parts.ids(),
        )
    done: list[str] = []
    try:
        _delete_leftovers(ec2, leftovers, done)
        _delete(ec2, parts, done)
    except ClientError as err:
        left = [i for i in parts.ids() if i not in done]
        raise _noted(
            err, f"Deleted before this: {', '.join(done) or 'nothing'}. Still there: {', '.join(left)}."
        ) from None
    return DeleteNetworkOutput(
        region=region,
        dry_run=False,
        vpc_id=args.vpc_id,
        message=f"Deleted {args.vpc_id} and the {len(done) - 1} resources in it.",
        deleted=done,
    )


TOOLSET = "network"
TOOLS = (list_security_groups, list_vpcs, describe_network, create_network, delete_network)


# -- shaping ----------------------------------------------------------------------------------


def _all(ec2: EC2Client, operation: str, key: str, **request: Any) -> list[Any]:
    """Every item of a paged EC2 Describe call."""
    pages = ec2.get_paginator(operation).paginate(**request)  # type: ignore[call-overload]
    return [item for page in pages for item in page.get(key, [])]


def _filter(name: str, values: list[str]) -> Any:
    return {"Name": name, "Values": values}


def _attached_gateways(ec2: EC2Client, vpc_ids: list[str]) -> list[Any]:
    return _all(
        ec2, "describe_internet_gateways", "InternetGateways", Filters=[_filter("attachment.vpc-id", vpc_ids)]
    )


def _name(resource: Any) -> str | None:
    return next((t.get("Value") for t in resource.get("Tags", []) if t.get("Key") == "Name"), None)


def _cidrs(vpc: Any) -> list[str]:
    v4 = [a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet", []) if _associated(a, "CidrBlockState")]
    v6 = [
        a["Ipv6CidrBlock"]
        for a in vpc.get("Ipv6CidrBlockAssociationSet", [])
        if _associated(a, "Ipv6CidrBlockState")
    ]
    return v4 + v6 or [vpc.get("CidrBlock", "?")]


def _associated(association: Any, state: str) -> bool:
    return bool(association.get(state, {}).get("State", "associated") == "associated")


def _find_vpc(ec2: EC2Client, vpc_id: str | None, name: str | None) -> Any:
    """The VPC with this id (AWS says when there is none), or the one with this Name tag."""
    if vpc_id is not None:
        return ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    found = ec2.describe_vpcs(Filters=[_filter("tag:Name", [name or ""])])["Vpcs"]
    if len(found) == 1:
        return found[0]
    region = ec2.meta.region_name
    if not found:
        raise ToolError(f"No VPC in {region} is named {name!r}. vpc_list_vpcs lists them.")
    ids = ", ".join(sorted(v["VpcId"] for v in found))
    raise ToolError(f"{len(found)} VPCs in {region} are named {name!r} ({ids}): pass vpc_id instead.")


def _is_main(table: Any) -> bool:
    return any(a.get("Main") for a in table.get("Associations", []))


_TARGETS: Final = (
    "GatewayId",
    "NatGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "InstanceId",
    "NetworkInterfaceId",
    "EgressOnlyInternetGatewayId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "CoreNetworkArn",
)


def _target(route: Any) -> str:
    return next((str(route[k]) for k in _TARGETS if route.get(k)), "?")


def _route(route: Any) -> str:
    destination = (
        route.get("DestinationCidrBlock")
        or route.get("DestinationIpv6CidrBlock")
        or route.get("DestinationPrefixListId")
        or "?"
    )
    line = f"{destination} -> {_target(route)}"
    return f"{line} (blackhole)" if route.get("State") == "blackhole" else line


def _default_routes(table: Any) -> list[Any]:
    """The table's working routes to anywhere (0.0.0.0/0 first, then ::/0)."""
    routes = [r for r in table.get("Routes", []) if r.get("State") != "blackhole"]
    return [r for r in routes if r.get("DestinationCidrBlock") == "0.0.0.0/0"] + [
        r for r in routes if r.get("DestinationIpv6CidrBlock") == "::/0"
    ]


def _subnet(subnet: Any, tables: list[Any]) -> Subnet:
    """A subnet: public when its route table (its own, else the main one) sends anywhere to an
    internet gateway."""
    own = [
        t
        for t in tables
        for a in t.get("Associations", [])
        if a.get("SubnetId") == subnet["SubnetId"] and _associated(a, "AssociationState")
    ]
    table = own[0] if own else next((t for t in tables if _is_main(t)), None)
    defaults = _default_routes(table) if table else []
    ipv4 = [r for r in defaults if r.get("DestinationCidrBlock")]
    return Subnet(
        subnet_id=subnet["SubnetId"],
        name=_name(subnet),
        availability_zone=subnet.get("AvailabilityZone", "?"),
        cidr=subnet.get("CidrBlock")
        or next((a["Ipv6CidrBlock"] for a in subnet.get("Ipv6CidrBlockAssociationSet", [])), "?"),
        kind="public" if any(_target(r).startswith("igw-") for r in defaults) else "private",
        default_route=_target(ipv4[0]) if ipv4 else None,
        route_table_id=table["RouteTableId"] if table else None,
        available_ips=int(subnet.get("AvailableIpAddressCount", 0)),
    )


def _route_table(table: Any) -> RouteTable:
    routes = [_route(r) for r in table.get("Routes", [])]
    if len(routes) > _MAX_ROUTES:
        routes = [*routes[: _MAX_ROUTES - 1], f"... and {len(routes) - _MAX_ROUTES + 1} more routes"]
    return RouteTable(
        route_table_id=table["RouteTableId"], name=_name(table), main=_is_main(table), routes=routes
    )


def _nat(gateway: Any) -> NatGateway:
    addresses = gateway.get("NatGatewayAddresses", [])
    return NatGateway(
        nat_gateway_id=gateway["NatGatewayId"],
        name=_name(gateway),
        subnet_id=gateway.get("SubnetId"),
        state=gateway.get("State", "unknown"),
        public_ip=next((a["PublicIp"] for a in addresses if a.get("PublicIp")), None),
    )


def _capped(vpc_id: str, tables: list[Any], nats: int) -> str | None:
    """What the map leaves out, and where to read it whole."""
    left_out = []
    if len(tables) > _MAX_ROUTE_TABLES:
        left_out.append(f"route tables after the first {_MAX_ROUTE_TABLES} of {len(tables)}")
    if any(len(t.get("Routes", [])) > _MAX_ROUTES for t in tables):
        left_out.append(f"routes after the first {_MAX_ROUTES - 1} of a table")
    if nats > _MAX_NAT_GATEWAYS:
        left_out.append(f"NAT gateways after the first {_MAX_NAT_GATEWAYS} of {nats}")
    if not left_out:
        return None
    return (
        f"Left out to stay small: {'; '.join(left_out)}. All of them: aws ec2 describe-route-tables "
        f"(or describe-nat-gateways) --filters Name=vpc-id,Values={vpc_id}."
    )


def _zones(ec2: EC2Client, count: int) -> list[str]:
    """The region's first ``count`` zones open to everyone (no opt-in, no Local Zones)."""
    zones = sorted(
        z["ZoneName"]
        for z in ec2.describe_availability_zones()["AvailabilityZones"]
        if z.get("State") == "available"
        and z.get("ZoneType", "availability-zone") == "availability-zone"
        and z.get("OptInStatus", "opt-in-not-required") == "opt-in-not-required"
    )
    if len(zones) < count:
        raise ToolError(
            f"{ec2.meta.region_name} has {len(zones)} availability zones open to this account; ask for at "
            "most that many."
        )
    return zones[:count]


# Where each kind's subnets start among the VPC range's eighths.
_HALVES: Final[tuple[tuple[Literal["public", "private"], int], ...]] = (("public", 0), ("private", 4))


def _plan(args: CreateNetworkInput, zones: list[str]) -> list[PlannedSubnet]:
    """The subnets to make: eighths of the VPC's range, public ones from the bottom, private ones
    from the middle."""
    blocks = list(ipaddress.IPv4Network(args.cidr).subnets(prefixlen_diff=3))
    return [
        PlannedSubnet(
            name=f"{args.name}-{kind}-{zone}",
            kind=kind,
            availability_zone=zone,
            cidr=str(blocks[first + index]),
            subnet_id=None,
        )
        for kind, first in _HALVES
        for index, zone in enumerate(zones)
    ]


def _tags(resource: str, name: str, mark: str) -> Any:
    return [
        {"ResourceType": resource, "Tags": [{"Key": "Name", "Value": name}, {"Key": _MARK, "Value": mark}]}
    ]


def _dry_run_create(
    ec2: EC2Client, args: CreateNetworkInput, plan: list[PlannedSubnet]
) -> CreateNetworkOutput:
    try:
        made = ec2.create_vpc(
            CidrBlock=args.cidr, TagSpecifications=_tags("vpc", args.name, "dry-run"), DryRun=True
        )
    except ClientError as err:
        # EC2 answers a permitted dry run with this "error" (and UnauthorizedOperation otherwise).
        if err.response.get("Error", {}).get("Code") != "DryRunOperation":
            raise
        outcome = "EC2 allows you to create VPCs here; nothing was created"
    else:
        # An endpoint that ignores DryRun (moto, under the demo, does for CreateVpc) made the VPC.
        ec2.delete_vpc(VpcId=made["Vpc"]["VpcId"])
        outcome = (
            f"this endpoint ignored DryRun and made {made['Vpc']['VpcId']}, deleted again: nothing is left"
        )
    return CreateNetworkOutput(
        region=ec2.meta.region_name,
        dry_run=True,
        message=f"Dry run: {outcome}. Would create VPC {args.name} ({args.cidr}), internet gateway "
        f"{args.name}-igw, route table {args.name}-public sending the public subnets' 0.0.0.0/0 to the "
        "gateway, and these subnets (the private ones use the VPC's main route table: no route out of the "
        "VPC).",
        vpc_id=None,
        cidr=args.cidr,
        internet_gateway_id=None,
        public_route_table_id=None,
        subnets=plan,
    )


@dataclass
class _Parts:
    """A VPC and what is in it, in the order EC2 lets them be deleted, the VPC last."""

    vpc_id: str | None = None
    security_groups: list[str] = field(default_factory=list)
    # Internet gateway id -> whether it is attached to the VPC.
    internet_gateways: dict[str, bool] = field(default_factory=dict)
    # Route table id (never the main one) -> its subnet association ids.
    route_tables: dict[str, list[str]] = field(default_factory=dict)
    subnets: list[str] = field(default_factory=list)

    def ids(self) -> list[str]:
        vpc = [self.vpc_id] if self.vpc_id else []
        return [*self.security_groups, *self.internet_gateways, *self.route_tables, *self.subnets, *vpc]


def _contents(ec2: EC2Client, vpc_id: str) -> _Parts:
    in_vpc = [_filter("vpc-id", [vpc_id])]
    return _Parts(
        vpc_id=vpc_id,
        security_groups=[
            g["GroupId"]
            for g in _all(ec2, "describe_security_groups", "SecurityGroups", Filters=in_vpc)
            if g.get("GroupName") != "default"
        ],
        internet_gateways={g["InternetGatewayId"]: True for g in _attached_gateways(ec2, [vpc_id])},
        route_tables={
            t["RouteTableId"]: [a["RouteTableAssociationId"] for a in t.get("Associations", [])]
            for t in _all(ec2, "describe_route_tables", "RouteTables", Filters=in_vpc)
            if not _is_main(t)
        },
        subnets=[s["SubnetId"] for s in _all(ec2, "describe_subnets", "Subnets", Filters=in_vpc)],
    )


def _delete(ec2: EC2Client, parts: _Parts, done: list[str]) -> None:
    """Delete ``parts`` in the order EC2 allows, each id appended to ``done`` once gone."""
    pending = list(parts.security_groups)
    while pending:
        # A group another one's rules name cannot go first: retry it once the others are gone.
        refused: list[tuple[str, ClientError]] = []
        for group in pending:
            try:
                ec2.delete_security_group(GroupId=group)
                done.append(group)
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") != "DependencyViolation":
                    raise
                refused.append((group, err))
        if len(refused) == len(pending):
            raise refused[0][1]
        pending = [group for group, _ in refused]
    for gateway, attached in parts.internet_gateways.items():
        if attached and parts.vpc_id:
            ec2.detach_internet_gateway(InternetGatewayId=gateway, VpcId=parts.vpc_id)
        ec2.delete_internet_gateway(InternetGatewayId=gateway)
        done.append(gateway)
    for table, associations in parts.route_tables.items():
        for association in associations:
            ec2.disassociate_route_table(AssociationId=association)
        ec2.delete_route_table(RouteTableId=table)
        done.append(table)
    for subnet in parts.subnets:
        ec2.delete_subnet(SubnetId=subnet)
        done.append(subnet)
    if parts.vpc_id:
        ec2.delete_vpc(VpcId=parts.vpc_id)
        done.append(parts.vpc_id)


def _undone(ec2: EC2Client, made: _Parts, err: ClientError) -> ClientError:
    """``err``, once what the create had made is deleted again, saying so."""
    done: list[str] = []
    try:
        _delete(ec2, made, done)
    except (ClientError, BotoCoreError) as failure:
        left = ", ".join(i for i in made.ids() if i not in done)
        return _noted(
            err,
            f"Undoing the create failed too ({failure}); still there: {left}. Remove them with "
            f"vpc_delete_network(vpc_id={made.vpc_id!r}).",
        )
    return _noted(
        err, f"Nothing was left behind: deleted again {', '.join(done)}." if done else "Nothing was made."
    )


def _noted(err: ClientError, note: str) -> ClientError:
    # Added to AWS's own message, so the registry still reads AWS's code (denied, throttled, ...).
    error = err.response.setdefault("Error", {})
    error["Message"] = f"{str(error.get('Message', '')).rstrip('.')}. {note.rstrip('.')}"
    return err


def _delete_leftovers(ec2: EC2Client, interfaces: list[str], done: list[str]) -> None:
    """Interfaces still attached to terminated instances: EC2 removes those that go with their
    instance on its own, soon; the others would keep the VPC alive for ever."""
    for interface in interfaces:
        try:
            ec2.delete_network_interface(NetworkInterfaceId=interface)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "InvalidNetworkInterfaceID.NotFound":
                raise _noted(err, "Its instance was terminated just now: call again in a minute.") from None
        done.append(interface)


def _refuse_if_in_use(ec2: EC2Client, vpc_id: str) -> list[str]:
    """Refuse while live instances or interfaces of anything else are in ``vpc_id``; the ids of
    interfaces left by terminated instances, to delete with the network."""
    instances = [
        i
        for r in _all(
            ec2,
            "describe_instances",
            "Reservations",
            Filters=[_filter("vpc-id", [vpc_id]), _filter("instance-state-name", _LIVE_INSTANCES)],
        )
        for i in r.get("Instances", [])
    ]
    theirs = {i["InstanceId"] for i in instances}
    interfaces, leftovers = [], []
    for n in _all(
        ec2, "describe_network_interfaces", "NetworkInterfaces", Filters=[_filter("vpc-id", [vpc_id])]
    ):
        owner = n.get("Attachment", {}).get("InstanceId")
        if owner is None:
            interfaces.append(n)
        elif owner not in theirs:  # attached to an instance that is no longer live: terminated
            leftovers.append(n["NetworkInterfaceId"])
    if not instances and not interfaces:
        return leftovers
    named = [f"{i['InstanceId']} ({_name(i) or i.get('State', {}).get('Name', '?')})" for i in instances]
    named += [
        f"{n['NetworkInterfaceId']} ({n.get('InterfaceType', 'interface')}: {n.get('Description') or '-'})"
        for n in interfaces
    ]
    shown = ", ".join(named[:10]) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
    raise ToolError(
        f"{vpc_id} is still in use by {len(instances)} instances and {len(interfaces)} other network "
        f"interfaces: {shown}. Terminate or delete them first. Nothing was deleted."
    )


_WORLD = ("0.0.0.0/0", "::/0")


def _rules(permissions: Any, direction: str) -> list[str]:
    """One line a rule and peer: "tcp 443 from 0.0.0.0/0", "all to sg-0123..."."""
    lines = []
    for rule in permissions:
        protocol = "all" if rule.get("IpProtocol") == "-1" else rule.get("IpProtocol", "?")
        low, high = rule.get("FromPort"), rule.get("ToPort")
        ports = "" if protocol == "all" or low is None else f" {low}" if low == high else f" {low}-{high}"
        peers = [r.get("CidrIp") for r in rule.get("IpRanges", [])]
        peers += [r.get("CidrIpv6") for r in rule.get("Ipv6Ranges", [])]
        peers += [p.get("GroupId") for p in rule.get("UserIdGroupPairs", [])]
        peers += [p.get("PrefixListId") for p in rule.get("PrefixListIds", [])]
        lines += [f"{protocol}{ports} {direction} {peer}" for peer in peers if peer]
    return lines


def _security_group(group: Any) -> SecurityGroup:
    inbound = _rules(group.get("IpPermissions", []), "from")
    return SecurityGroup(
        group_id=group["GroupId"],
        name=group.get("GroupName", ""),
        vpc_id=group.get("VpcId"),
        description=group.get("Description", ""),
        inbound=inbound,
        outbound=_rules(group.get("IpPermissionsEgress", []), "to"),
        open_to_world=any(line.endswith(_WORLD) for line in inbound),
    )
