"""RDS: instances, Aurora clusters and snapshots; snapshot, start, stop, reboot, create, delete an instance.

No answer carries a password or a connection string: endpoints are host:port, and a new instance's
master password is kept by Secrets Manager (only the secret's ARN is returned, never its value).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field

from aws_mcp.errors import ToolError
from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size

if TYPE_CHECKING:
    from mypy_boto3_rds import RDSClient

__all__ = ["TOOLS", "TOOLSET"]

# RDS identifiers: a letter, then letters, digits and hyphens (AWS refuses "--" and a trailing "-").
InstanceId = Annotated[
    str,
    Field(
        min_length=1, max_length=63, pattern=r"^[A-Za-z][A-Za-z0-9-]*$", description="DB instance identifier."
    ),
]
ClusterId = Annotated[
    str,
    Field(
        min_length=1, max_length=63, pattern=r"^[A-Za-z][A-Za-z0-9-]*$", description="DB cluster identifier."
    ),
]
SnapshotId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        pattern=r"^[A-Za-z][A-Za-z0-9-]*$",
        description="Snapshot identifier: a letter, then letters, digits and hyphens.",
    ),
]
# Engines rds_create_instance offers: single-instance engines without a licence to bring.
Engine = Literal["postgres", "mysql", "mariadb"]
SAMPLE_DB_INSTANCE = "no-such-db"


# -- instances --------------------------------------------------------------------------------


class Instance(Item):
    item_key = "instance_id"

    instance_id: str
    engine: str | None = None
    engine_version: str | None = None
    instance_class: str | None = None
    status: str | None = Field(default=None, description="available, stopped, starting, backing-up, ...")
    endpoint: str | None = Field(default=None, description="host:port; null while creating.")
    storage_gb: int | None = None
    storage_type: str | None = None
    encrypted: bool | None = None
    multi_az: bool | None = None
    publicly_accessible: bool | None = None
    backup_retention_days: int | None = Field(default=None, description="0: automated backups are off.")
    deletion_protection: bool | None = None
    cluster_id: str | None = Field(default=None, description="The Aurora cluster it belongs to, if any.")


class ListInstancesInput(RegionalInput):
    engine: str | None = Field(
        default=None,
        max_length=32,
        pattern=r"^[a-z0-9-]+$",
        description="Only instances of this engine, e.g. postgres, mysql, aurora-postgresql.",
    )
    fields: Fields[Instance] = None
    max_results: int = page_size(least=20, most=100)
    cursor: Cursor = None


class ListInstancesOutput(Paged):
    items_field = "instances"

    region: str
    instances: list[Instance]


@tool(
    name="rds_list_instances",
    title="List RDS database instances",
    iam_actions=("rds:DescribeDBInstances",),
    read_only=True,
    idempotent=True,
    examples=(
        Example({}, {"region": "us-east-1", "count": 3, "next_cursor": None}),
        Example({"region": "eu-west-1", "fields": ["status"]}, {"region": "eu-west-1", "count": 1}),
    ),
)
def list_instances(rds: RDSClient, args: ListInstancesInput) -> ListInstancesOutput:
    """List RDS database instances in one region: engine and version, class, status, endpoint
    (host:port), storage, encryption, Multi-AZ, public accessibility, backup retention and Aurora
    cluster. Filter by engine."""
    region = rds.meta.region_name
    pages = TokenPages.resume(args.cursor, {"region": region, "engine": args.engine}, args.max_results)
    request: dict[str, Any] = {"MaxRecords": pages.size}
    if args.engine:
        request["Filters"] = [{"Name": "engine", "Values": [args.engine]}]
    response = pages.fetch(rds.describe_db_instances, paged_by="Marker", **request)
    found, next_cursor = pages.window(response.get("DBInstances", []), response.get("Marker"))
    instances = [_instance(i) for i in found]
    page = ListInstancesOutput(
        region=region, count=len(instances), instances=instances, next_cursor=next_cursor
    )
    return page.resume_with(pages.cursor_at)


# -- clusters ---------------------------------------------------------------------------------


class ClusterMember(BaseModel):
    instance_id: str
    writer: bool = Field(description="True for the writer; readers are false.")


class Cluster(Item):
    item_key = "cluster_id"

    cluster_id: str
    engine: str | None = None
    engine_version: str | None = None
    status: str | None = None
    writer_endpoint: str | None = Field(default=None, description="host:port of the writer.")
    reader_endpoint: str | None = Field(default=None, description="host:port load-balancing the readers.")
    members: list[ClusterMember] | None = None
    encrypted: bool | None = None
    backup_retention_days: int | None = None
    deletion_protection: bool | None = None


class ListClustersInput(RegionalInput):
    fields: Fields[Cluster] = None
    max_results: int = page_size(least=20, most=100)
    cursor: Cursor = None


class ListClustersOutput(Paged):
    items_field = "clusters"

    region: str
    clusters: list[Cluster]


@tool(
    name="rds_list_clusters",
    title="List Aurora and Multi-AZ DB clusters",
    iam_actions=("rds:DescribeDBClusters",),
    read_only=True,
    idempotent=True,
    examples=(Example({}, {"region": "us-east-1", "count": 1, "next_cursor": None}),),
)
def list_clusters(rds: RDSClient, args: ListClustersInput) -> ListClustersOutput:
    """List DB clusters (Aurora and Multi-AZ clusters) in one region: engine, status, writer and
    reader endpoints (host:port), member instances with which one is the writer, encryption and
    backup retention."""
    region = rds.meta.region_name
    pages = TokenPages.resume(args.cursor, {"region": region}, args.max_results)
    response = pages.fetch(rds.describe_db_clusters, paged_by="Marker", MaxRecords=pages.size)
    found, next_cursor = pages.window(response.get("DBClusters", []), response.get("Marker"))
    clusters = [
        Cluster(
            cluster_id=c["DBClusterIdentifier"],
            engine=c.get("Engine"),
            engine_version=c.get("EngineVersion"),
            status=c.get("Status"),
            writer_endpoint=_host_port(c.get("Endpoint"), c.get("Port")),
            reader_endpoint=_host_port(c.get("ReaderEndpoint"), c.get("Port")),
            members=[
                ClusterMember(instance_id=m["DBInstanceIdentifier"], writer=bool(m.get("IsClusterWriter")))
                for m in c.get("DBClusterMembers", [])
            ],
            encrypted=c.get("StorageEncrypted"),
            backup_retention_days=c.get("BackupRetentionPeriod"),
            deletion_protection=c.get("DeletionProtection"),
        )
        for c in found
    ]
    page = ListClustersOutput(region=region, count=len(clusters), clusters=clusters, next_cursor=next_cursor)
    return page.resume_with(pages.cursor_at)


# -- snapshots --------------------------------------------------------------------------------


class Snapshot(Item):
    item_key = "snapshot_id"

    snapshot_id: str
    source_id: str | None = Field(default=None, description="The instance or cluster it was taken of.")
    type: str | None = Field(default=None, description="manual or automated.")
    status: str | None = None
    created_at: str | None = None
    size_gb: int | None = Field(
        default=None, description="Storage allocated to the source when it was taken."
    )
    engine: str | None = None
    encrypted: bool | None = None


class ListSnapshotsInput(RegionalInput):
    of: Literal["instance", "cluster"] = Field(
        default="instance",
        description="instance: snapshots of DB instances; cluster: snapshots of Aurora / Multi-AZ clusters.",
    )
    source_id: str | None = Field(
        default=None,
        max_length=63,
        pattern=r"^[A-Za-z][A-Za-z0-9-]*$",
        description="Only snapshots of this instance (or cluster, with of=cluster).",
    )
    snapshot_type: Literal["manual", "automated"] | None = Field(
        default=None, description="Only manual or only automated snapshots. Default: both."
    )
    fields: Fields[Snapshot] = None
    max_results: int = page_size(least=20, most=100)
    cursor: Cursor = None


class ListSnapshotsOutput(Paged):
    items_field = "snapshots"

    region: str
    snapshots: list[Snapshot]


@tool(
    name="rds_list_snapshots",
    title="List RDS snapshots",
    iam_actions=("rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"),
    read_only=True,
    idempotent=True,
    examples=(
        Example({"snapshot_type": "manual"}, {"region": "us-east-1", "count": 2, "next_cursor": None}),
        Example({"of": "cluster", "snapshot_type": "manual"}, {"region": "us-east-1", "count": 1}),
    ),
)
def list_snapshots(rds: RDSClient, args: ListSnapshotsInput) -> ListSnapshotsOutput:
    """List RDS snapshots of DB instances, or of clusters with of=cluster: status, when taken, size
    and whether manual or automated. Filter by the instance or cluster and by type. Use it to check
    a backup exists before a risky change."""
    region = rds.meta.region_name
    question = {"region": region, "of": args.of, "source_id": args.source_id, "type": args.snapshot_type}
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    request: dict[str, Any] = {"MaxRecords": pages.size}
    if args.snapshot_type:
        request["SnapshotType"] = args.snapshot_type
    if args.of == "instance":
        if args.source_id:
            request["DBInstanceIdentifier"] = args.source_id
        response = pages.fetch(rds.describe_db_snapshots, paged_by="Marker", **request)
        items, source, snapshot_id = (
            response.get("DBSnapshots", []),
            "DBInstanceIdentifier",
            "DBSnapshotIdentifier",
        )
    else:
        if args.source_id:
            request["DBClusterIdentifier"] = args.source_id
        response = pages.fetch(rds.describe_db_cluster_snapshots, paged_by="Marker", **request)
        items, source, snapshot_id = (
            response.get("DBClusterSnapshots", []),
            "DBClusterIdentifier",
            "DBClusterSnapshotIdentifier",
        )
    found, next_cursor = pages.window(items, response.get("Marker"))
    snapshots = [
        Snapshot(
            snapshot_id=s[snapshot_id],
            source_id=s.get(source),
            type=s.get("SnapshotType"),
            status=s.get("Status"),
            created_at=_iso(s.get("SnapshotCreateTime")),
            size_gb=s.get("AllocatedStorage"),
            engine=s.get("Engine"),
            encrypted=s.get("Encrypted", s.get("StorageEncrypted")),
        )
        for s in found
    ]
    page = ListSnapshotsOutput(
        region=region, count=len(snapshots), snapshots=snapshots, next_cursor=next_cursor
    )
    return page.resume_with(pages.cursor_at)


# -- changes to an instance -------------------------------------------------------------------


class InstanceInput(MutatingInput):
    instance_id: InstanceId


class CreateSnapshotInput(InstanceInput):
    snapshot_id: SnapshotId | None = Field(
        default=None, description="Name of the new snapshot. Default: <instance_id>-<UTC date and time>."
    )


class CreateSnapshotOutput(MutatingOutput):
    region: str
    snapshot_id: str
    instance_id: str
    status: str | None = Field(description="creating, then available (minutes, depending on size).")


@tool(
    name="rds_create_snapshot",
    title="Snapshot an RDS instance",
    iam_actions=("rds:CreateDBSnapshot",),
    read_only=False,
    destructive=False,
    examples=(
        Example(
            {"instance_id": SAMPLE_DB_INSTANCE},
            None,
            error_contains=("DBInstanceNotFound", SAMPLE_DB_INSTANCE),
        ),
    ),
)
def create_snapshot(rds: RDSClient, args: CreateSnapshotInput) -> CreateSnapshotOutput:
    """Take a manual snapshot of an RDS DB instance (not of an Aurora cluster member): a backup kept
    until deleted. Take one before a risky change; follow it with rds_list_snapshots."""
    snapshot_id = args.snapshot_id or f"{args.instance_id}-{_now()}"
    snapshot = rds.create_db_snapshot(
        DBInstanceIdentifier=args.instance_id, DBSnapshotIdentifier=snapshot_id
    )["DBSnapshot"]
    return CreateSnapshotOutput(
        region=rds.meta.region_name,
        snapshot_id=snapshot.get("DBSnapshotIdentifier", snapshot_id),
        instance_id=args.instance_id,
        status=snapshot.get("Status"),
    )


class StateChangeOutput(MutatingOutput):
    region: str
    instance_id: str
    previous_status: str | None
    status: str | None
    changed: bool = Field(description="False: the instance was already there, nothing was done.")
    message: str


@tool(
    name="rds_start_instance",
    title="Start an RDS instance",
    iam_actions=("rds:DescribeDBInstances", "rds:StartDBInstance"),
    read_only=False,
    destructive=False,
    idempotent=True,
    examples=(
        Example(
            {"instance_id": "orders-db"},
            {"instance_id": "orders-db", "changed": False, "status": "available"},
        ),
    ),
)
def start_instance(rds: RDSClient, args: InstanceInput) -> StateChangeOutput:
    """Start a stopped RDS DB instance; it takes a few minutes to become available. Starting an
    instance that is available or starting changes nothing."""
    before = _describe(rds, args.instance_id).get("DBInstanceStatus")
    if before in ("available", "starting"):
        return _unchanged(rds, args.instance_id, before, "start")
    after = rds.start_db_instance(DBInstanceIdentifier=args.instance_id)["DBInstance"].get("DBInstanceStatus")
    return _changed(rds, args.instance_id, before, after, "Start")


@tool(
    name="rds_stop_instance",
    title="Stop an RDS instance",
    iam_actions=("rds:DescribeDBInstances", "rds:StopDBInstance"),
    read_only=False,
    destructive=True,
    idempotent=True,
    examples=(
        Example(
            {"instance_id": "legacy-mysql"},
            {"instance_id": "legacy-mysql", "changed": False, "status": "stopped"},
        ),
    ),
)
def stop_instance(rds: RDSClient, args: InstanceInput) -> StateChangeOutput:
    """Stop an RDS DB instance: the database is unavailable until started again (AWS starts it by
    itself after 7 days). Storage and backups are kept. Stopping a stopped instance changes nothing."""
    before = _describe(rds, args.instance_id).get("DBInstanceStatus")
    if before in ("stopped", "stopping"):
        return _unchanged(rds, args.instance_id, before, "stop")
    after = rds.stop_db_instance(DBInstanceIdentifier=args.instance_id)["DBInstance"].get("DBInstanceStatus")
    return _changed(rds, args.instance_id, before, after, "Stop")


class RebootInstanceInput(InstanceInput):
    force_failover: bool = Field(
        default=False,
        description="Multi-AZ instances only: reboot by failing over to the standby (tests a failover).",
    )


@tool(
    name="rds_reboot_instance",
    title="Reboot an RDS instance",
    iam_actions=("rds:RebootDBInstance",),
    read_only=False,
    destructive=False,
    examples=(
        Example(
            {"instance_id": SAMPLE_DB_INSTANCE},
            None,
            error_contains=("DBInstanceNotFound", SAMPLE_DB_INSTANCE),
        ),
    ),
)
def reboot_instance(rds: RDSClient, args: RebootInstanceInput) -> StateChangeOutput:
    """Reboot an available RDS DB instance: connections drop for a minute or so. Set force_failover
    on a Multi-AZ instance to reboot through a failover to its standby."""
    request: dict[str, Any] = {"DBInstanceIdentifier": args.instance_id}
    if args.force_failover:
        request["ForceFailover"] = True
    after = rds.reboot_db_instance(**request)["DBInstance"].get("DBInstanceStatus")
    return _changed(rds, args.instance_id, None, after, "Reboot")


class CreateInstanceInput(InstanceInput):
    engine: Engine = Field(description="Database engine.")
    engine_version: str | None = Field(
        default=None,
        max_length=32,
        pattern=r"^[0-9][0-9a-z.-]*$",
        description="e.g. 16.4 for postgres. Default: the engine's current default version.",
    )
    instance_class: str = Field(
        max_length=32, pattern=r"^db\.[a-z0-9-]+\.[a-z0-9]+$", description="e.g. db.t4g.micro, db.m6g.large."
    )
    storage_gb: int = Field(default=20, ge=20, le=2000, description="Allocated storage (gp3), 20 to 2000 GB.")
    master_username: str = Field(
        default="dbadmin",
        max_length=16,
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        description="Name of the master user. Its password is generated and kept by Secrets Manager.",
    )
    db_name: str | None = Field(
        default=None,
        max_length=63,
        pattern=r"^[A-Za-z][A-Za-z0-9_]*$",
        description="A database to create in it (postgres, mysql, mariadb). Default: none.",
    )
    subnet_group: str | None = Field(
        default=None,
        max_length=255,
        pattern=r"^[A-Za-z0-9 ._-]+$",
        description="DB subnet group (the VPC subnets it goes in). Default: the default VPC.",
    )
    security_group_ids: list[Annotated[str, Field(max_length=20, pattern=r"^sg-[0-9a-f]{8,17}$")]] | None = (
        Field(
            default=None,
            max_length=5,
            description="VPC security groups, sg-... Default: the VPC's default group.",
        )
    )
    multi_az: bool = Field(default=False, description="Keep a standby in another availability zone.")


class CreateInstanceOutput(MutatingOutput):
    region: str
    instance_id: str
    status: str | None
    engine: str | None
    engine_version: str | None
    instance_class: str | None
    storage_gb: int | None
    encrypted: bool | None
    publicly_accessible: bool | None
    backup_retention_days: int | None
    deletion_protection: bool | None
    multi_az: bool | None
    master_username: str | None
    master_user_secret_arn: str | None = Field(
        description="The Secrets Manager secret holding the master password (its ARN, never its value)."
    )
    message: str


@tool(
    name="rds_create_instance",
    title="Create an RDS instance",
    iam_actions=("rds:CreateDBInstance", "secretsmanager:CreateSecret", "secretsmanager:TagResource"),
    read_only=False,
    destructive=False,
    examples=(
        Example(
            {"instance_id": "orders-db", "engine": "postgres", "instance_class": "db.t4g.micro"},
            None,
            error_contains=("DBInstanceAlreadyExists",),
        ),
    ),
)
def create_instance(rds: RDSClient, args: CreateInstanceInput) -> CreateInstanceOutput:
    """Create an RDS DB instance (postgres, mysql or mariadb) with safe settings that cannot be turned
    off here: storage encrypted, not publicly accessible, 7 days of backups, deletion protection on,
    master password generated and kept by Secrets Manager (never shown). Takes several minutes."""
    request: dict[str, Any] = {
        "DBInstanceIdentifier": args.instance_id,
        "Engine": args.engine,
        "DBInstanceClass": args.instance_class,
        "AllocatedStorage": args.storage_gb,
        "StorageType": "gp3",
        "MasterUsername": args.master_username,
        # The password is never taken nor returned: RDS generates it into Secrets Manager.
        "ManageMasterUserPassword": True,
        "StorageEncrypted": True,
        "PubliclyAccessible": False,
        "BackupRetentionPeriod": 7,
        "DeletionProtection": True,
        "MultiAZ": args.multi_az,
        "CopyTagsToSnapshot": True,
    }
    if args.engine_version:
        request["EngineVersion"] = args.engine_version
    if args.db_name:
        request["DBName"] = args.db_name
    if args.subnet_group:
        request["DBSubnetGroupName"] = args.subnet_group
    if args.security_group_ids:
        request["VpcSecurityGroupIds"] = args.security_group_ids
    created = rds.create_db_instance(**request)["DBInstance"]
    return CreateInstanceOutput(
        region=rds.meta.region_name,
        instance_id=created["DBInstanceIdentifier"],
        status=created.get("DBInstanceStatus"),
        engine=created.get("Engine"),
        engine_version=created.get("EngineVersion"),
        instance_class=created.get("DBInstanceClass"),
        storage_gb=created.get("AllocatedStorage"),
        encrypted=created.get("StorageEncrypted"),
        publicly_accessible=created.get("PubliclyAccessible"),
        backup_retention_days=created.get("BackupRetentionPeriod"),
        deletion_protection=created.get("DeletionProtection"),
        multi_az=created.get("MultiAZ"),
        master_username=created.get("MasterUsername"),
        master_user_secret_arn=created.get("MasterUserSecret", {}).get("SecretArn"),
        message="Creating: follow it with rds_list_instances until available (several minutes). The master "
        "password is in the Secrets Manager secret named by master_user_secret_arn.",
    )


class DeleteInstanceInput(InstanceInput):
    skip_final_snapshot: bool = Field(
        default=False,
        description="Delete without a final snapshot: the data is gone for good. Only when asked to.",
    )
    final_snapshot_id: SnapshotId | None = Field(
        default=None,
        description="Name of the final snapshot. Default: <instance_id>-final-<UTC date and time>.",
    )
    disable_deletion_protection: bool = Field(
        default=False,
        description="Turn deletion protection off first. Without it, a protected instance is not deleted.",
    )


class DeleteInstanceOutput(MutatingOutput):
    region: str
    instance_id: str
    status: str | None
    final_snapshot_id: str | None = Field(description="The snapshot taken before deleting; null: none.")
    deletion_protection_disabled: bool
    message: str


@tool(
    name="rds_delete_instance",
    title="Delete an RDS instance",
    # CreateDBSnapshot: RDS takes the final snapshot with the caller's permissions.
    iam_actions=(
        "rds:DescribeDBInstances",
        "rds:ModifyDBInstance",
        "rds:DeleteDBInstance",
        "rds:CreateDBSnapshot",
    ),
    read_only=False,
    destructive=True,
    idempotent=True,
    examples=(
        Example(
            {"instance_id": "orders-db"},
            None,
            error_contains=("orders-db", "deletion protection", "disable_deletion_protection"),
        ),
    ),
)
def delete_instance(rds: RDSClient, args: DeleteInstanceInput) -> DeleteInstanceOutput:
    """Delete an RDS DB instance, taking a final snapshot first unless skip_final_snapshot. An
    instance with deletion protection is refused unless disable_deletion_protection is true. Aurora
    cluster members are deleted without a snapshot: the cluster keeps the data."""
    instance = _describe(rds, args.instance_id)
    protected = bool(instance.get("DeletionProtection"))
    if protected and not args.disable_deletion_protection:
        raise ToolError(
            f"{args.instance_id} has deletion protection on: nothing was deleted. If it really must go, call "
            "again with disable_deletion_protection=true."
        )
    if protected:
        rds.modify_db_instance(
            DBInstanceIdentifier=args.instance_id, DeletionProtection=False, ApplyImmediately=True
        )
    request: dict[str, Any] = {"DBInstanceIdentifier": args.instance_id, "DeleteAutomatedBackups": False}
    cluster = instance.get("DBClusterIdentifier")
    snapshot: str | None = None
    if cluster:
        kept = f"its data stays in cluster {cluster}"  # Aurora members take no final snapshot option
    elif args.skip_final_snapshot:
        request["SkipFinalSnapshot"] = True
        kept = "no final snapshot, as asked"
    else:
        snapshot = args.final_snapshot_id or f"{args.instance_id}-final-{_now()}"
        request["FinalDBSnapshotIdentifier"] = snapshot
        kept = f"final snapshot {snapshot} is being taken"
    deleted = rds.delete_db_instance(**request)["DBInstance"]
    return DeleteInstanceOutput(
        region=rds.meta.region_name,
        instance_id=args.instance_id,
        status=deleted.get("DBInstanceStatus"),
        final_snapshot_id=snapshot,
        deletion_protection_disabled=protected,
        message=f"Deleting {args.instance_id}; {kept}. Automated backups stay for their retention period.",
    )


TOOLSET = "databases"
TOOLS = (
    list_instances,
    list_clusters,
    list_snapshots,
    create_snapshot,
    start_instance,
    stop_instance,
    reboot_instance,
    create_instance,
    delete_instance,
)


# -- shaping ----------------------------------------------------------------------------------


def _describe(rds: RDSClient, instance_id: str) -> Any:
    return rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]


def _unchanged(rds: RDSClient, instance_id: str, status: str | None, verb: str) -> StateChangeOutput:
    return StateChangeOutput(
        region=rds.meta.region_name,
        instance_id=instance_id,
        previous_status=status,
        status=status,
        changed=False,
        message=f"{instance_id} is already {status}: nothing to {verb}.",
    )


def _changed(
    rds: RDSClient, instance_id: str, before: str | None, after: str | None, verb: str
) -> StateChangeOutput:
    return StateChangeOutput(
        region=rds.meta.region_name,
        instance_id=instance_id,
        previous_status=before,
        status=after,
        changed=True,
        message=f"{verb} requested for {instance_id}; follow it with rds_list_instances.",
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d-%H-%M-%S")


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _host_port(host: str | None, port: int | None) -> str | None:
    return f"{host}:{port}" if host and port else host


def _instance(instance: Any) -> Instance:
    endpoint = instance.get("Endpoint") or {}
    return Instance(
        instance_id=instance["DBInstanceIdentifier"],
        engine=instance.get("Engine"),
        engine_version=instance.get("EngineVersion"),
        instance_class=instance.get("DBInstanceClass"),
        status=instance.get("DBInstanceStatus"),
        endpoint=_host_port(endpoint.get("Address"), endpoint.get("Port")),
        storage_gb=instance.get("AllocatedStorage"),
        storage_type=instance.get("StorageType"),
        encrypted=instance.get("StorageEncrypted"),
        multi_az=instance.get("MultiAZ"),
        publicly_accessible=instance.get("PubliclyAccessible"),
        backup_retention_days=instance.get("BackupRetentionPeriod"),
        deletion_protection=instance.get("DeletionProtection"),
        cluster_id=instance.get("DBClusterIdentifier"),
    )
