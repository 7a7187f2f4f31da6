"""The demo's DNS: the storefront's public zone (its web address, a legacy name pointing at the old
shop, a mail policy) and a private zone of the default VPC in us-east-1."""

from __future__ import annotations

from aws_mcp_local.demo.estate import DEMO_REGIONS, DemoClients

__all__ = ["RECORDS", "seed"]

# name, type, values: the public zone's own records (Route 53 adds its SOA and NS).
RECORDS = (
    ("www.shop.example.com.", "A", ("203.0.113.10", "203.0.113.11")),
    ("legacy.shop.example.com.", "CNAME", ("old-shop.example.net",)),
    ("shop.example.com.", "TXT", ('"v=spf1 include:_spf.example.net -all"',)),
)


def seed(clients: DemoClients) -> None:
    route53 = clients("route53")
    public = route53.create_hosted_zone(Name="shop.example.com", CallerReference="demo-shop")["HostedZone"]
    route53.change_resource_record_sets(
        HostedZoneId=public["Id"],
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": kind,
                        "TTL": 300,
                        "ResourceRecords": [{"Value": v} for v in values],
                    },
                }
                for name, kind, values in RECORDS
            ]
        },
    )
    default_vpc = clients("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][
        0
    ]
    route53.create_hosted_zone(
        Name="internal.example",
        CallerReference="demo-internal",
        VPC={"VPCRegion": DEMO_REGIONS[0], "VPCId": default_vpc["VpcId"]},
        HostedZoneConfig={"PrivateZone": True, "Comment": "service discovery"},
    )
