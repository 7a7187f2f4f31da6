"""What the resource registry collects in one account and region: a collector per resource type.

Each collector lists one type with the service's own list or describe calls (paginated, large
pages) and makes each resource a :class:`~aws_mcp.fleet.inventory.Resource`: type, id, ARN, name,
state, tags, a few key attributes. Types whose list call carries no tags (S3 buckets, Lambda
functions, load balancers, DynamoDB tables) get theirs from one paginated Resource Groups Tagging
API ``GetResources`` per target, not a call per resource. S3 buckets are account-wide: collected
once per account, in its first region, each with its own region.

A collector that fails (access denied, a service not offered in the region, a throttle) loses
only its own type: :func:`collect` keeps the others, says which failed and why, and the refresh
marks gone only the types it did read. Hand-written: the AWS SDK lists each service on its own,
and AWS Config (the one service that inventories every type) is a paid per-account recorder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Final

from aws_mcp.fleet.inventory import Resource

__all__ = ["COLLECTORS", "REFRESH_ACTIONS", "Collected", "Collector", "collect"]

# DynamoDB lists table names only; at most this many are described (one call each) per target.
MAX_TABLES: Final = 200


def _tags(raw: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in raw or []}


def _some(**attributes: Any) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if v is not None}


def _ec2(kind: str, account: str, region: str, item_id: str) -> str:
    return f"arn:aws:ec2:{region}:{account}:{kind}/{item_id}"


def _each(client: Any, operation: str, key: str, page_size: int, **request: Any) -> Iterator[Any]:
    """Every item under ``key`` of every page of ``operation``, ``page_size`` a page."""
    for page in client.get_paginator(operation).paginate(**request, PaginationConfig={"PageSize": page_size}):
        yield from page[key]


def _instances(ec2: Any, account: str, region: str) -> Iterator[Resource]:
    for reservation in _each(ec2, "describe_instances", "Reservations", 1000):
        for i in reservation["Instances"]:
            tags = _tags(i.get("Tags"))
            yield Resource(
                type="ec2:instance",
                id=i["InstanceId"],
                arn=_ec2("instance", account, region, i["InstanceId"]),
                name=tags.get("Name"),
                state=i["State"]["Name"],
                tags=tags,
                attributes=_some(
                    instance_type=i.get("InstanceType"),
                    private_ip=i.get("PrivateIpAddress"),
                    vpc_id=i.get("VpcId"),
                    launched=i["LaunchTime"].isoformat() if i.get("LaunchTime") else None,
                ),
            )


def _volumes(ec2: Any, account: str, region: str) -> Iterator[Resource]:
    for v in _each(ec2, "describe_volumes", "Volumes", 500):
        tags = _tags(v.get("Tags"))
        yield Resource(
            type="ec2:volume",
            id=v["VolumeId"],
            arn=_ec2("volume", account, region, v["VolumeId"]),
            name=tags.get("Name"),
            state=v["State"],
            tags=tags,
            attributes={
                "size_gib": v["Size"],
                "volume_type": v["VolumeType"],
                "encrypted": v["Encrypted"],
            },
        )


def _vpcs(ec2: Any, account: str, region: str) -> Iterator[Resource]:
    for v in _each(ec2, "describe_vpcs", "Vpcs", 1000):
        tags = _tags(v.get("Tags"))
        yield Resource(
            type="ec2:vpc",
            id=v["VpcId"],
            arn=_ec2("vpc", account, region, v["VpcId"]),
            name=tags.get("Name"),
            state=v.get("State", "available"),
            tags=tags,
            attributes=_some(cidr=v.get("CidrBlock"), default=v.get("IsDefault")),
        )


def _subnets(ec2: Any, account: str, region: str) -> Iterator[Resource]:
    for s in _each(ec2, "describe_subnets", "Subnets", 1000):
        tags = _tags(s.get("Tags"))
        yield Resource(
            type="ec2:subnet",
            id=s["SubnetId"],
            arn=s.get("SubnetArn") or _ec2("subnet", account, region, s["SubnetId"]),
            name=tags.get("Name"),
            state=s.get("State", "available"),
            tags=tags,
            attributes=_some(
                vpc_id=s.get("VpcId"),
                cidr=s.get("CidrBlock"),
                zone=s.get("AvailabilityZone"),
                free_ips=s.get("AvailableIpAddressCount"),
            ),
        )


def _security_groups(ec2: Any, account: str, region: str) -> Iterator[Resource]:
    for g in _each(ec2, "describe_security_groups", "SecurityGroups", 1000):
        tags = _tags(g.get("Tags"))
        yield Resource(
            type="ec2:security-group",
            id=g["GroupId"],
            arn=_ec2("security-group", account, region, g["GroupId"]),
            name=tags.get("Name") or g.get("GroupName"),
            state="available",
            tags=tags,
            attributes=_some(
                group_name=g.get("GroupName"),
                vpc_id=g.get("VpcId"),
                inbound_rules=len(g.get("IpPermissions", [])),
            ),
        )


def _snapshots(ec2: Any, account: str, region: str) -> Iterator[Resource]:
    for s in _each(ec2, "describe_snapshots", "Snapshots", 1000, OwnerIds=["self"]):
        if s.get("OwnerId", account) != account:
            continue  # the AMIs' public snapshots, which moto answers despite OwnerIds
        tags = _tags(s.get("Tags"))
        yield Resource(
            type="ec2:snapshot",
            id=s["SnapshotId"],
            # EC2 snapshot ARNs carry no account.
            arn=f"arn:aws:ec2:{region}::snapshot/{s['SnapshotId']}",
            name=tags.get("Name"),
            state=s["State"],
            tags=tags,
            attributes=_some(
                volume_id=s.get("VolumeId"),
                size_gib=s.get("VolumeSize"),
                encrypted=s.get("Encrypted"),
                started=s["StartTime"].isoformat() if s.get("StartTime") else None,
            ),
        )


def _buckets(s3: Any, account: str, region: str) -> Iterator[Resource]:
    for b in _each(s3, "list_buckets", "Buckets", 1000):
        # ListBuckets answers BucketRegion where it can; else one GetBucketLocation.
        where = b.get("BucketRegion") or (
            s3.get_bucket_location(Bucket=b["Name"]).get("LocationConstraint") or "us-east-1"
        )
        yield Resource(
            type="s3:bucket",
            id=b["Name"],
            arn=f"arn:aws:s3:::{b['Name']}",
            name=b["Name"],
            state="available",
            attributes=_some(created=b["CreationDate"].isoformat() if b.get("CreationDate") else None),
            region=where,
        )


def _functions(client: Any, account: str, region: str) -> Iterator[Resource]:
    for f in _each(client, "list_functions", "Functions", 50):
        yield Resource(
            type="lambda:function",
            id=f["FunctionName"],
            arn=f["FunctionArn"],
            name=f["FunctionName"],
            state=f.get("State") or "Active",
            attributes=_some(
                runtime=f.get("Runtime"),
                memory_mb=f.get("MemorySize"),
                architectures=f.get("Architectures"),
                last_modified=f.get("LastModified"),
            ),
        )


def _db_instances(rds: Any, account: str, region: str) -> Iterator[Resource]:
    for d in _each(rds, "describe_db_instances", "DBInstances", 100):
        yield Resource(
            type="rds:db-instance",
            id=d["DBInstanceIdentifier"],
            arn=d["DBInstanceArn"],
            name=d["DBInstanceIdentifier"],
            state=d["DBInstanceStatus"],
            tags=_tags(d.get("TagList")),
            attributes=_some(
                engine=d.get("Engine"),
                instance_class=d.get("DBInstanceClass"),
                multi_az=d.get("MultiAZ"),
                cluster=d.get("DBClusterIdentifier"),
                encrypted=d.get("StorageEncrypted"),
            ),
        )


def _db_clusters(rds: Any, account: str, region: str) -> Iterator[Resource]:
    for c in _each(rds, "describe_db_clusters", "DBClusters", 100):
        yield Resource(
            type="rds:db-cluster",
            id=c["DBClusterIdentifier"],
            arn=c["DBClusterArn"],
            name=c["DBClusterIdentifier"],
            state=c["Status"],
            tags=_tags(c.get("TagList")),
            attributes=_some(
                engine=c.get("Engine"),
                members=len(c.get("DBClusterMembers", [])),
                encrypted=c.get("StorageEncrypted"),
            ),
        )


def _ecs_tags(raw: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["key"]: t["value"] for t in raw or []}


def _cluster_arns(ecs: Any) -> list[str]:
    return [a for page in ecs.get_paginator("list_clusters").paginate() for a in page["clusterArns"]]


def _ecs_clusters(ecs: Any, account: str, region: str) -> Iterator[Resource]:
    arns = _cluster_arns(ecs)
    for start in range(0, len(arns), 100):
        for c in ecs.describe_clusters(clusters=arns[start : start + 100], include=["TAGS"])["clusters"]:
            yield Resource(
                type="ecs:cluster",
                id=c["clusterName"],
                arn=c["clusterArn"],
                name=c["clusterName"],
                state=c.get("status", "ACTIVE").lower(),
                tags=_ecs_tags(c.get("tags")),
                attributes=_some(
                    services=c.get("activeServicesCount"),
                    running_tasks=c.get("runningTasksCount"),
                    instances=c.get("registeredContainerInstancesCount"),
                ),
            )


def _ecs_services(ecs: Any, account: str, region: str) -> Iterator[Resource]:
    for cluster in _cluster_arns(ecs):
        services = [
            a
            for page in ecs.get_paginator("list_services").paginate(cluster=cluster)
            for a in page["serviceArns"]
        ]
        for start in range(0, len(services), 10):
            found = ecs.describe_services(
                cluster=cluster, services=services[start : start + 10], include=["TAGS"]
            )
            for s in found["services"]:
                cluster_name = s.get("clusterArn", cluster).rsplit("/", 1)[-1]
                yield Resource(
                    type="ecs:service",
                    # cluster/service: what set_count takes.
                    id=f"{cluster_name}/{s['serviceName']}",
                    arn=s["serviceArn"],
                    name=s["serviceName"],
                    state=s.get("status", "ACTIVE").lower(),
                    tags=_ecs_tags(s.get("tags")),
                    attributes=_some(
                        cluster=cluster_name,
                        desired=s.get("desiredCount"),
                        running=s.get("runningCount"),
                        launch_type=s.get("launchType"),
                    ),
                )


def _groups(autoscaling: Any, account: str, region: str) -> Iterator[Resource]:
    for g in _each(autoscaling, "describe_auto_scaling_groups", "AutoScalingGroups", 100):
        yield Resource(
            type="autoscaling:group",
            id=g["AutoScalingGroupName"],
            arn=g["AutoScalingGroupARN"],
            name=g["AutoScalingGroupName"],
            state=g.get("Status") or "active",
            tags=_tags(g.get("Tags")),
            attributes=_some(
                min=g.get("MinSize"),
                max=g.get("MaxSize"),
                desired=g.get("DesiredCapacity"),
                instances=len(g.get("Instances", [])),
            ),
        )


def _load_balancers(elbv2: Any, account: str, region: str) -> Iterator[Resource]:
    for lb in _each(elbv2, "describe_load_balancers", "LoadBalancers", 400):
        yield Resource(
            type="elasticloadbalancing:loadbalancer",
            id=lb["LoadBalancerName"],
            arn=lb["LoadBalancerArn"],
            name=lb["LoadBalancerName"],
            state=(lb.get("State") or {}).get("Code", "active"),
            attributes=_some(
                kind=lb.get("Type"),
                scheme=lb.get("Scheme"),
                dns=lb.get("DNSName"),
                vpc_id=lb.get("VpcId"),
            ),
        )


def _tables(dynamodb: Any, account: str, region: str) -> Iterator[Resource]:
    names = [n for page in dynamodb.get_paginator("list_tables").paginate() for n in page["TableNames"]]
    for name in names[:MAX_TABLES]:
        t = dynamodb.describe_table(TableName=name)["Table"]
        yield Resource(
            type="dynamodb:table",
            id=name,
            arn=t["TableArn"],
            name=name,
            state=t["TableStatus"].lower(),
            attributes=_some(
                items=t.get("ItemCount"),
                size_bytes=t.get("TableSizeBytes"),
                billing=(t.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
            ),
        )
    if len(names) > MAX_TABLES:
        raise _PartialError(
            f"{len(names) - MAX_TABLES} of {len(names)} tables not described (at most {MAX_TABLES})"
        )


class _PartialError(Exception):
    """A collector that read some of its type and says what it left out."""


@dataclass(frozen=True, slots=True)
class Collector:
    service: str  # the boto3 client it reads with
    read: Callable[[Any, str, str], Iterator[Resource]]
    actions: tuple[str, ...]  # the IAM actions it needs in each member account
    # Its type in the Tagging API, when its own list call carries no tags.
    tagged_as: str | None = None
    account_wide: bool = False


# Each type the registry holds: how it is read. A new type is one function and one entry.
COLLECTORS: Final[dict[str, Collector]] = {
    "ec2:instance": Collector("ec2", _instances, ("ec2:DescribeInstances",)),
    "ec2:volume": Collector("ec2", _volumes, ("ec2:DescribeVolumes",)),
    "ec2:vpc": Collector("ec2", _vpcs, ("ec2:DescribeVpcs",)),
    "ec2:subnet": Collector("ec2", _subnets, ("ec2:DescribeSubnets",)),
    "ec2:security-group": Collector("ec2", _security_groups, ("ec2:DescribeSecurityGroups",)),
    "ec2:snapshot": Collector("ec2", _snapshots, ("ec2:DescribeSnapshots",)),
    "s3:bucket": Collector(
        "s3", _buckets, ("s3:ListAllMyBuckets", "s3:GetBucketLocation"), tagged_as="s3", account_wide=True
    ),
    "lambda:function": Collector(
        "lambda", _functions, ("lambda:ListFunctions",), tagged_as="lambda:function"
    ),
    "rds:db-instance": Collector("rds", _db_instances, ("rds:DescribeDBInstances",)),
    "rds:db-cluster": Collector("rds", _db_clusters, ("rds:DescribeDBClusters",)),
    "ecs:cluster": Collector("ecs", _ecs_clusters, ("ecs:ListClusters", "ecs:DescribeClusters")),
    "ecs:service": Collector(
        "ecs", _ecs_services, ("ecs:ListClusters", "ecs:ListServices", "ecs:DescribeServices")
    ),
    "autoscaling:group": Collector("autoscaling", _groups, ("autoscaling:DescribeAutoScalingGroups",)),
    "elasticloadbalancing:loadbalancer": Collector(
        "elbv2",
        _load_balancers,
        ("elasticloadbalancing:DescribeLoadBalancers",),
        tagged_as="elasticloadbalancing:loadbalancer",
    ),
    "dynamodb:table": Collector(
        "dynamodb", _tables, ("dynamodb:ListTables", "dynamodb:DescribeTable"), tagged_as="dynamodb:table"
    ),
}
TAGS_ACTION: Final = "tag:GetResources"
# The IAM actions a refresh needs in every member account (the worker's policy lists exactly these).
REFRESH_ACTIONS: Final = tuple(
    sorted({a for c in COLLECTORS.values() for a in c.actions} | {TAGS_ACTION, "sts:GetCallerIdentity"})
)


@dataclass(frozen=True, slots=True)
class Collected:
    resources: list[Resource]
    # The types read in full (the refresh marks gone only theirs).
    types: set[str]
    # What failed, and why: a type, or "tags" for the Tagging API.
    errors: dict[str, str] = field(default_factory=dict)


def collect(
    clients: Callable[[str], Any], account: str, region: str, *, first_region: bool = True
) -> Collected:
    """Every type's resources in one account and region (``clients(service)``); account-wide
    types only in the account's ``first_region``. A failing collector loses only its own type."""
    resources: list[Resource] = []
    types: set[str] = set()
    errors: dict[str, str] = {}
    for kind, collector in COLLECTORS.items():
        if collector.account_wide and not first_region:
            continue
        try:
            found = list(_read(collector, clients, account, region, kind=kind, errors=errors))
        except Exception as err:
            errors[kind] = _reason(err)
            continue
        resources += found
        if kind not in errors:
            types.add(kind)
    return Collected(_tagged(clients, resources, errors), types, errors)


def _read(
    collector: Collector,
    clients: Callable[[str], Any],
    account: str,
    region: str,
    *,
    kind: str,
    errors: dict[str, str],
) -> Iterator[Resource]:
    try:
        yield from collector.read(clients(collector.service), account, region)
    except _PartialError as partial:
        errors[kind] = str(partial)


def _tagged(
    clients: Callable[[str], Any], resources: list[Resource], errors: dict[str, str]
) -> list[Resource]:
    """Fill in the tags of the types whose list lacks them: one paginated GetResources."""
    wanted = sorted(
        {c.tagged_as for t, c in COLLECTORS.items() if c.tagged_as and any(r.type == t for r in resources)}
    )
    if not wanted:
        return resources
    tags: dict[str, dict[str, str]] = {}
    try:
        paginator = clients("resourcegroupstaggingapi").get_paginator("get_resources")
        for page in paginator.paginate(ResourceTypeFilters=wanted, ResourcesPerPage=100):
            for mapping in page["ResourceTagMappingList"]:
                tags[mapping["ResourceARN"]] = _tags(mapping.get("Tags"))
    except Exception as err:
        errors["tags"] = _reason(err)
        return resources
    return [replace(r, tags=tags[r.arn]) if r.arn in tags and not r.tags else r for r in resources]


def _reason(err: Exception) -> str:
    response = getattr(err, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}"[:300]
    return f"{type(err).__name__}: {err}"[:300]
