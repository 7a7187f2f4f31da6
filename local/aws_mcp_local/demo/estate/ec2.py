"""The demo fleet: eleven named machines in two regions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


# Storage beyond each machine's root volume: a data volume (backed up nightly), a scratch volume
# left behind by a finished job (attached to nothing, still billed), the storefront's golden image.
_DATA_VOLUMES = {"api-prod-1": 100, "api-eu-prod-1": 100}  # GiB, gp3, encrypted
_LEFT_BEHIND = {"ml-train-1": 200}  # GiB, gp2, unencrypted
_IMAGED = {"web-prod-1": "storefront-web-golden"}


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
            _store(ec2, machine, launched["Instances"][0])
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


def _store(ec2: Any, machine: Machine, instance: Any) -> None:
    """The storage :data:`_DATA_VOLUMES`, :data:`_LEFT_BEHIND` and :data:`_IMAGED` give ``machine``."""
    zone = instance["Placement"]["AvailabilityZone"]
    if machine.name in _DATA_VOLUMES:
        tags = [{"Key": "Name", "Value": f"{machine.name}-data"}, {"Key": "backup", "Value": "nightly"}]
        volume = ec2.create_volume(
            Size=_DATA_VOLUMES[machine.name],
            AvailabilityZone=zone,
            VolumeType="gp3",
            Encrypted=True,
            TagSpecifications=[{"ResourceType": "volume", "Tags": tags}],
        )
        ec2.attach_volume(VolumeId=volume["VolumeId"], InstanceId=instance["InstanceId"], Device="/dev/sdf")
        ec2.create_snapshot(
            VolumeId=volume["VolumeId"],
            Description=f"nightly backup of {machine.name}-data",
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": tags[1:]}],
        )
    if machine.name in _LEFT_BEHIND:
        tags = [{"Key": "Name", "Value": f"{machine.name}-scratch"}, *_tag_list(machine.tags)]
        ec2.create_volume(
            Size=_LEFT_BEHIND[machine.name],
            AvailabilityZone=zone,
            VolumeType="gp2",
            TagSpecifications=[{"ResourceType": "volume", "Tags": tags}],
        )
    if machine.name in _IMAGED:
        ec2.create_image(
            InstanceId=instance["InstanceId"],
            Name=_IMAGED[machine.name],
            Description=f"{machine.tags['team']} {machine.tags['service']}, baked from {machine.name}",
            NoReboot=True,
            TagSpecifications=[{"ResourceType": "image", "Tags": _tag_list(machine.tags)}],
        )


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]
