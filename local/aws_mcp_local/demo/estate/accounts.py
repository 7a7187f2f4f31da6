"""The demo's accounts: ``prod`` is the server's own (the rest of the estate), ``staging`` and
``sandbox`` are member accounts the server reaches by assuming their ``AwsMcpMember`` role.

moto keeps every account's resources apart, keyed by the account of the credentials: a role
assumed in another account acts in that account. moto needs neither the role nor its trust
policy to exist, and the demo creates neither: a new account's IAM costs the demo's start a
second (moto loads every AWS managed policy into it). fleet/member-role.yaml is the real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aws_mcp.accounts import Account, Accounts
from aws_mcp_local.demo.estate import DEMO_IMAGE, DemoClients

__all__ = [
    "DEMO_ACCOUNTS",
    "HOME_ACCOUNT_ID",
    "MEMBER_MACHINES",
    "MEMBER_ROLE_NAME",
    "member_bucket",
    "member_role",
    "seed",
]

# moto's default account: the one the demo's own credentials act in.
HOME_ACCOUNT_ID: Final = "123456789012"
MEMBER_ROLE_NAME: Final = "AwsMcpMember"
MEMBERS: Final = {"staging": "222222222222", "sandbox": "333333333333"}
REGIONS: Final = {
    "prod": ("us-east-1", "eu-west-1"),
    "staging": ("us-east-1", "eu-west-1"),
    "sandbox": ("us-east-1", "us-west-2"),
}


def member_bucket(alias: str) -> str:
    return f"acme-{alias}-artifacts"


def member_role(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{MEMBER_ROLE_NAME}"


DEMO_ACCOUNTS: Final = Accounts(
    [
        Account(alias="prod", account_id=HOME_ACCOUNT_ID, regions=REGIONS["prod"]),
        *(
            Account(
                alias=alias, account_id=account_id, role_arn=member_role(account_id), regions=REGIONS[alias]
            )
            for alias, account_id in MEMBERS.items()
        ),
    ]
)


@dataclass(frozen=True)
class MemberMachine:
    account: str  # alias
    name: str
    region: str
    state: str
    team: str


# account, name, region, state, team (few: every account and region moto sets up costs the demo's start)
_TABLE = """
staging  web-stg-1     us-east-1  running  storefront
staging  batch-stg-1   us-east-1  stopped  data
staging  web-stg-eu-1  eu-west-1  running  storefront
sandbox  try-web-1     us-east-1  running  storefront
sandbox  try-west-1    us-west-2  running  platform
sandbox  try-west-2    us-west-2  stopped  platform
"""
MEMBER_MACHINES: Final = tuple(MemberMachine(*row.split()) for row in _TABLE.strip().splitlines())


def seed(clients: DemoClients) -> None:
    for alias, account_id in MEMBERS.items():
        for machine in (m for m in MEMBER_MACHINES if m.account == alias):
            ec2 = clients("ec2", machine.region, account=account_id)
            tags = {"Name": machine.name, "env": alias, "team": machine.team}
            launched = ec2.run_instances(
                ImageId=DEMO_IMAGE,
                InstanceType="t3.small",
                MinCount=1,
                MaxCount=1,
                TagSpecifications=[
                    {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
                ],
            )
            if machine.state == "stopped":
                ec2.stop_instances(InstanceIds=[launched["Instances"][0]["InstanceId"]])
        # One bucket each, for the registry's account-wide type (S3) across accounts.
        s3 = clients("s3", REGIONS[alias][0], account=account_id)
        s3.create_bucket(Bucket=member_bucket(alias))
        s3.put_bucket_tagging(
            Bucket=member_bucket(alias), Tagging={"TagSet": [{"Key": "env", "Value": alias}]}
        )
