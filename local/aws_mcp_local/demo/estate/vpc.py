"""The demo's networks: a storefront VPC in us-east-1 (public and private subnets in two zones, a NAT
gateway), a smaller reporting VPC in eu-west-1, and a security group open to the world."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_mcp_local.demo.estate import DemoClients

__all__ = ["NETWORKS", "Network", "seed"]


@dataclass(frozen=True)
class Network:
    """A VPC named ``<prefix>-vpc``; subnets ``<prefix>-<public|private>-<zone letter>`` by CIDR.

    Public subnets use a route table of their own sending 0.0.0.0/0 to the internet gateway;
    private ones the VPC's main table, which sends 0.0.0.0/0 to a NAT gateway in the first public
    subnet when ``nat`` is set, and nowhere otherwise.
    """

    prefix: str
    region: str
    cidr: str
    public: dict[str, str]  # zone -> CIDR
    private: dict[str, str]
    nat: bool


NETWORKS = (
    Network(
        "storefront",
        "us-east-1",
        "10.20.0.0/16",
        public={"us-east-1a": "10.20.0.0/24", "us-east-1b": "10.20.1.0/24"},
        private={"us-east-1a": "10.20.10.0/24", "us-east-1b": "10.20.11.0/24"},
        nat=True,
    ),
    Network(
        "reporting",
        "eu-west-1",
        "10.40.0.0/16",
        public={"eu-west-1a": "10.40.0.0/24"},
        private={"eu-west-1b": "10.40.10.0/24"},
        nat=False,
    ),
)


def seed(clients: DemoClients) -> None:
    for network in NETWORKS:
        _build(clients("ec2", network.region), network)
    # Something to find with ec2_list_security_groups(open_to_world=true): HTTPS from anywhere.
    web = clients("ec2")
    group = web.create_security_group(GroupName="web-public", Description="storefront load balancer")
    web.authorize_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
        ],
    )


def _named(resource: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource, "Tags": [{"Key": "Name", "Value": name}]}]


def _build(ec2: Any, network: Network) -> None:
    prefix = network.prefix
    made = ec2.create_vpc(CidrBlock=network.cidr, TagSpecifications=_named("vpc", f"{prefix}-vpc"))
    vpc = made["Vpc"]["VpcId"]
    gateway = ec2.create_internet_gateway(TagSpecifications=_named("internet-gateway", f"{prefix}-igw"))
    gateway_id = gateway["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc)

    def subnet(kind: str, zone: str, cidr: str) -> str:
        name = f"{prefix}-{kind}-{zone[-1]}"
        created = ec2.create_subnet(
            VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone, TagSpecifications=_named("subnet", name)
        )
        return str(created["Subnet"]["SubnetId"])

    public = [subnet("public", zone, cidr) for zone, cidr in network.public.items()]
    for zone, cidr in network.private.items():
        subnet("private", zone, cidr)
    table = ec2.create_route_table(VpcId=vpc, TagSpecifications=_named("route-table", f"{prefix}-public"))
    table_id = table["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway_id)
    for subnet_id in public:
        ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    main = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]["RouteTableId"]
    ec2.create_tags(Resources=[main], Tags=[{"Key": "Name", "Value": f"{prefix}-private"}])
    if network.nat:
        address = ec2.allocate_address(Domain="vpc", TagSpecifications=_named("elastic-ip", f"{prefix}-nat"))
        nat = ec2.create_nat_gateway(
            SubnetId=public[0],
            AllocationId=address["AllocationId"],
            TagSpecifications=_named("natgateway", f"{prefix}-nat"),
        )
        nat_id = nat["NatGateway"]["NatGatewayId"]
        ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
