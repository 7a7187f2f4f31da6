"""The demo fleet: eleven named machines in two regions."""

from __future__ import annotations

from dataclasses import dataclass

from aws_mcp_local.demo.estate import DEMO_IMAGE, DEMO_REGIONS, DemoClients

__all__ = ["FLEET", "Machine", "seed"]


@dataclass(frozen=True)
class Machine:
    name: str
    region: str
    instance_type: str
    state: str  # "running" or "stopped"
    tags: dict[str, str]


# name, region, type, state, env, team, service
_FLEET_TABLE = """
web-prod-1      us-east-1  t3.medium   running  prod     storefront  web
web-prod-2      us-east-1  t3.medium   running  prod     storefront  web
api-prod-1      us-east-1  m6i.large   running  prod     payments    api
worker-prod-1   us-east-1  c6i.xlarge  running  prod     payments    queue-worker
bastion         us-east-1  t3.micro    running  shared   platform    ssh
web-staging-1   us-east-1  t3.small    stopped  staging  storefront  web
ml-train-1      us-east-1  g5.xlarge   stopped  dev      data        training
api-eu-prod-1   eu-west-1  m6i.large   running  prod     payments    api
web-eu-prod-1   eu-west-1  t3.medium   running  prod     storefront  web
reporting-eu-1  eu-west-1  r6i.large   stopped  staging  data        reporting
legacy-batch    eu-west-1  m5.large    stopped  dev      platform    batch
"""


def _fleet() -> tuple[Machine, ...]:
    machines = []
    for row in _FLEET_TABLE.strip().splitlines():
        name, region, itype, state, env, team, service = row.split()
        machines.append(Machine(name, region, itype, state, {"env": env, "team": team, "service": service}))
    return tuple(machines)


FLEET = _fleet()


def seed(clients: DemoClients) -> None:
    for region in DEMO_REGIONS:
        ec2 = clients("ec2", region)
        for machine in (m for m in FLEET if m.region == region):
            tags = [{"Key": "Name", "Value": machine.name}] + [
                {"Key": k, "Value": v} for k, v in machine.tags.items()
            ]
            launched = ec2.run_instances(
                ImageId=DEMO_IMAGE,
                InstanceType=machine.instance_type,
                MinCount=1,
                MaxCount=1,
                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
            )
            if machine.state == "stopped":
                ec2.stop_instances(InstanceIds=[launched["Instances"][0]["InstanceId"]])


def instance_ids(clients: DemoClients) -> dict[str, list[str]]:
    """The fleet's instance ids by region, in :data:`FLEET` order."""
    ids: dict[str, list[str]] = {}
    for region in DEMO_REGIONS:
        by_name = {}
        pages = (
            clients("ec2", region)
            .get_paginator("describe_instances")
            .paginate(Filters=[{"Name": "tag-key", "Values": ["team"]}])
        )
        for page in pages:
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
                    by_name[tags.get("Name")] = instance["InstanceId"]
        ids[region] = [by_name[m.name] for m in FLEET if m.region == region and m.name in by_name]
    return ids
