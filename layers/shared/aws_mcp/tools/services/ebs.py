"""EBS volumes and snapshots: list them, and snapshot a volume."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from aws_mcp.tools.contract import (
    SAMPLE_INSTANCE_ID,
    Example,
    MutatingInput,
    MutatingOutput,
    RegionalInput,
    tool,
)
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size
from aws_mcp.tools.services.ec2 import (
    InstanceId,
    _is_dry_run_success,
    _iso,
    _tag_filters,
    _tags,
)
from aws_mcp.tools.tags import TagFilter, Tags, tag_filter, tags_to_set

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

__all__ = ["TOOLS", "TOOLSET"]

_VOLUME_ID: Final = r"^vol-[0-9a-f]{8,17}$"
# A volume id in examples: no demo volume has it (the demo mints volume ids at random).
SAMPLE_VOLUME_ID: Final = "vol-0123456789abcdef0"


class VolumeState(StrEnum):
    CREATING = "creating"
    AVAILABLE = "available"
    IN_USE = "in-use"
    DELETING = "deleting"
    DELETED = "deleted"
    ERROR = "error"


class Attachment(BaseModel):
    instance_id: str | None
    device: str | None
    state: str | None
    delete_on_termination: bool | None


class Volume(Item):
    item_key = "volume_id"

    volume_id: str
    name: str | None = Field(default=None, description="The volume's Name tag, if any.")
    state: str | None = None
    size_gib: int | None = None
    volume_type: str | None = Field(default=None, description="gp3, gp2, io2, st1, ...")
    encrypted: bool | None = None
    availability_zone: str | None = None
    attachments: list[Attachment] | None = Field(
        default=None, description="Where it is attached; empty when available."
    )
    snapshot_id: str | None = Field(default=None, description="The snapshot it was created from, if any.")
    created: str | None = Field(default=None, description="ISO 8601, UTC.")
    tags: dict[str, str] | None = None


class ListVolumesInput(RegionalInput):
    state: VolumeState | None = Field(
        default=None, description='Only volumes in this state: "available" finds volumes attached to nothing.'
    )
    instance_id: InstanceId | None = Field(
        default=None, description="Only volumes attached to this instance."
    )
    tags: TagFilter = tag_filter()
    fields: Fields[Volume] = None
    max_results: int = page_size(most=500)
    cursor: Cursor = None


class ListVolumesOutput(Paged):
    items_field = "volumes"

    region: str
    volumes: list[Volume]


class Snapshot(Item):
    item_key = "snapshot_id"

    snapshot_id: str
    volume_id: str | None = Field(default=None, description="The volume it was taken of.")
    state: str | None = Field(default=None, description="pending, completed, error, ...")
    progress: str | None = None
    size_gib: int | None = Field(default=None, description="Size of the volume it was taken of.")
    encrypted: bool | None = None
    description: str | None = None
    started: str | None = Field(default=None, description="When it was taken: ISO 8601, UTC.")
    tags: dict[str, str] | None = None


class ListSnapshotsInput(RegionalInput):
    volume_id: str | None = Field(
        default=None, max_length=21, pattern=_VOLUME_ID, description="Only snapshots of this volume, vol-..."
    )
    tags: TagFilter = tag_filter()
    fields: Fields[Snapshot] = None
    max_results: int = page_size()
    cursor: Cursor = None


class ListSnapshotsOutput(Paged):
    items_field = "snapshots"

    region: str
    snapshots: list[Snapshot]


class CreateSnapshotInput(MutatingInput):
    volume_id: str = Field(max_length=21, pattern=_VOLUME_ID, description="The volume to snapshot, vol-...")
    description: str | None = Field(default=None, max_length=255, description="What the snapshot is for.")
    tags: Tags = tags_to_set()
    dry_run: bool = Field(
        default=False, description="Ask EC2 whether the call would be allowed, without taking a snapshot."
    )


class CreateSnapshotOutput(MutatingOutput):
    region: str
    dry_run: bool
    message: str
    snapshot: Snapshot | None = Field(description="The snapshot begun; null on a dry run.")


@tool(
    name="ec2_list_volumes",
    title="List EBS volumes",
    iam_actions=("ec2:DescribeVolumes",),
    read_only=True,
    idempotent=True,
    examples=(
        Example({"state": "available"}, {"region": "us-east-1", "count": 1, "next_cursor": None}),
        Example(
            {"instance_id": SAMPLE_INSTANCE_ID},
            {"region": "us-east-1", "count": 0},
            demo_machine="api-prod-1",
            demo_answer={"region": "us-east-1", "count": 2},
        ),
        Example({"region": "eu-west-1", "tags": {"backup": "nightly"}}, {"region": "eu-west-1", "count": 1}),
    ),
)
def list_volumes(ec2: EC2Client, args: ListVolumesInput) -> ListVolumesOutput:
    """List EBS volumes in one region: size, type, state, encryption, zone and what each is attached
    to. Set state "available" to find volumes attached to nothing (still billed); filter by instance
    or tags."""
    region = ec2.meta.region_name
    question = {
        "region": region,
        "state": args.state.value if args.state else None,
        "instance_id": args.instance_id,
        "tags": args.tags or {},
    }
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    filters = _tag_filters(args.tags)
    if args.state:
        filters.append({"Name": "status", "Values": [args.state.value]})
    if args.instance_id:
        filters.append({"Name": "attachment.instance-id", "Values": [args.instance_id]})
    request: dict[str, Any] = {"MaxResults": pages.size}
    if filters:
        request["Filters"] = filters
    response = pages.fetch(ec2.describe_volumes, **request)
    items, next_cursor = pages.window(response.get("Volumes", []), response.get("NextToken"))
    volumes = [_volume(v) for v in items]
    page = ListVolumesOutput(region=region, count=len(volumes), volumes=volumes, next_cursor=next_cursor)
    return page.resume_with(pages.cursor_at)


@tool(
    name="ec2_list_snapshots",
    title="List EBS snapshots",
    iam_actions=("ec2:DescribeSnapshots",),
    read_only=True,
    idempotent=True,
    examples=(
        Example({"tags": {"backup": "nightly"}}, {"region": "us-east-1", "count": 1, "next_cursor": None}),
        Example({"region": "eu-west-1", "tags": {"backup": "nightly"}}, {"region": "eu-west-1", "count": 1}),
    ),
)
def list_snapshots(ec2: EC2Client, args: ListSnapshotsInput) -> ListSnapshotsOutput:
    """List the EBS snapshots this account owns in one region (not public or shared ones): volume,
    state, size, when taken. Filter by volume or tags, e.g. to check a volume is backed up."""
    region = ec2.meta.region_name
    question = {"region": region, "volume_id": args.volume_id, "tags": args.tags or {}}
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    filters = _tag_filters(args.tags)
    if args.volume_id:
        filters.append({"Name": "volume-id", "Values": [args.volume_id]})
    request: dict[str, Any] = {"OwnerIds": ["self"], "MaxResults": pages.size}
    if filters:
        request["Filters"] = filters
    response = pages.fetch(ec2.describe_snapshots, **request)
    items, next_cursor = pages.window(response.get("Snapshots", []), response.get("NextToken"))
    snapshots = [_snapshot(s) for s in items]
    page = ListSnapshotsOutput(
        region=region, count=len(snapshots), snapshots=snapshots, next_cursor=next_cursor
    )
    return page.resume_with(pages.cursor_at)


@tool(
    name="ec2_create_snapshot",
    title="Snapshot an EBS volume",
    iam_actions=("ec2:CreateSnapshot", "ec2:CreateTags"),
    read_only=False,
    destructive=False,
    idempotent=False,
    examples=(
        Example({"volume_id": SAMPLE_VOLUME_ID, "dry_run": True}, {"dry_run": True, "snapshot": None}),
    ),
)
def create_snapshot(ec2: EC2Client, args: CreateSnapshotInput) -> CreateSnapshotOutput:
    """Begin a point-in-time snapshot of an EBS volume, as a backup before a risky change or to copy
    it; it completes in the background and the volume stays in use. Set dry_run to check permission
    first. Each call makes a new snapshot."""
    region = ec2.meta.region_name
    request: dict[str, Any] = {"VolumeId": args.volume_id, "DryRun": args.dry_run}
    if args.description:
        request["Description"] = args.description
    if args.tags:
        tags = [{"Key": k, "Value": v} for k, v in args.tags.items()]
        request["TagSpecifications"] = [{"ResourceType": "snapshot", "Tags": tags}]
    try:
        response = ec2.create_snapshot(**request)
    except ClientError as err:
        if _is_dry_run_success(err):
            message = "Dry run succeeded: you are allowed to snapshot this volume. Nothing was created."
            return CreateSnapshotOutput(region=region, dry_run=True, message=message, snapshot=None)
        raise
    snapshot = _snapshot(response)
    return CreateSnapshotOutput(
        region=region,
        dry_run=False,
        message=f"Snapshot {snapshot.snapshot_id} of {args.volume_id} begun ({snapshot.state}).",
        snapshot=snapshot,
    )


TOOLSET = "compute"
TOOLS = (list_volumes, list_snapshots, create_snapshot)


def _volume(volume: Any) -> Volume:
    tags = _tags(volume)
    return Volume(
        volume_id=volume["VolumeId"],
        name=tags.get("Name"),
        state=volume.get("State", "unknown"),
        size_gib=volume.get("Size"),
        volume_type=volume.get("VolumeType"),
        encrypted=bool(volume.get("Encrypted")),
        availability_zone=volume.get("AvailabilityZone"),
        attachments=[
            Attachment(
                instance_id=a.get("InstanceId"),
                device=a.get("Device"),
                state=a.get("State"),
                delete_on_termination=a.get("DeleteOnTermination"),
            )
            for a in volume.get("Attachments", [])
        ],
        snapshot_id=volume.get("SnapshotId") or None,
        created=_iso(volume.get("CreateTime")),
        tags=tags,
    )


def _snapshot(snapshot: Any) -> Snapshot:
    return Snapshot(
        snapshot_id=snapshot["SnapshotId"],
        volume_id=snapshot.get("VolumeId"),
        state=snapshot.get("State", "unknown"),
        progress=snapshot.get("Progress") or None,
        size_gib=snapshot.get("VolumeSize"),
        encrypted=bool(snapshot.get("Encrypted")),
        description=snapshot.get("Description") or None,
        started=_iso(snapshot.get("StartTime")),
        tags=_tags(snapshot),
    )
