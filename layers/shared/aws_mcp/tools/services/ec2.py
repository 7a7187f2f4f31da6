"""EC2 instances: list, describe, start, stop, reboot and terminate."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

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
from aws_mcp.tools.tags import TagFilter, tag_filter

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

__all__ = ["TOOLS", "TOOLSET"]

T = TypeVar("T")

InstanceId = Annotated[
    str, Field(max_length=19, pattern=r"^i-[0-9a-f]{8,17}$", description="An EC2 instance id, i-...")
]


class InstanceState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SHUTTING_DOWN = "shutting-down"
    TERMINATED = "terminated"
    STOPPING = "stopping"
    STOPPED = "stopped"


class InstanceSummary(Item):
    item_key = "instance_id"

    instance_id: str
    name: str | None = Field(default=None, description="The instance's Name tag, if any.")
    state: str | None = None
    instance_type: str | None = None
    availability_zone: str | None = None
    private_ip: str | None = None
    public_ip: str | None = None
    launch_time: str | None = Field(default=None, description="ISO 8601, UTC.")
    tags: dict[str, str] | None = None


class InstanceDetail(InstanceSummary):
    image_id: str | None
    platform: str | None
    architecture: str | None
    vpc_id: str | None
    subnet_id: str | None
    private_dns: str | None
    public_dns: str | None
    key_name: str | None
    iam_instance_profile: str | None = Field(description="ARN of the attached instance profile.")
    security_groups: list[dict[str, str]] = Field(description="Each with id and name.")
    volumes: list[dict[str, str]] = Field(description="Attached EBS volumes, each with device and volume_id.")
    state_reason: str | None = Field(description="Why the instance is in its state, when AWS says.")
    monitoring: str | None


class ListInstancesInput(RegionalInput):
    states: list[InstanceState] | None = Field(
        default=None, max_length=6, description='Only instances in these states, for example ["running"].'
    )
    tags: TagFilter = tag_filter()
    instance_ids: list[InstanceId] | None = Field(
        default=None, max_length=200, description="Only these instances."
    )
    fields: Fields[InstanceSummary] = None
    max_results: int = page_size()
    cursor: Cursor = None


class ListInstancesOutput(Paged):
    items_field = "instances"

    region: str
    instances: list[InstanceSummary]


class DescribeInstanceInput(RegionalInput):
    instance_id: InstanceId


class DescribeInstanceOutput(BaseModel):
    region: str
    instance: InstanceDetail


class StartInstancesInput(MutatingInput):
    instance_ids: list[InstanceId] = Field(min_length=1, max_length=50, description="Instances to start.")
    dry_run: bool = Field(
        default=False,
        description="Ask EC2 whether the call would be allowed, without starting anything.",
    )


class StopInstancesInput(MutatingInput):
    instance_ids: list[InstanceId] = Field(min_length=1, max_length=50, description="Instances to stop.")
    dry_run: bool = Field(
        default=False,
        description="Ask EC2 whether the call would be allowed, without stopping anything.",
    )
    force: bool = Field(
        default=False,
        description="Force the stop without a clean OS shutdown; only when a normal stop is stuck.",
    )
    hibernate: bool = Field(
        default=False, description="Hibernate instead of stop (instance must support it)."
    )


class StateChange(BaseModel):
    instance_id: str
    previous_state: str
    current_state: str


class StateChangeOutput(MutatingOutput):
    region: str
    dry_run: bool
    message: str
    changes: list[StateChange]


class RebootInstancesInput(MutatingInput):
    instance_ids: list[InstanceId] = Field(min_length=1, max_length=50, description="Instances to reboot.")
    dry_run: bool = Field(
        default=False, description="Ask EC2 whether the call would be allowed, without rebooting anything."
    )


class RebootOutput(MutatingOutput):
    region: str
    dry_run: bool
    message: str
    instance_ids: list[str] = Field(description="Instances a reboot was requested for; empty on a dry run.")


class TerminateInstancesInput(MutatingInput):
    instance_ids: list[InstanceId] = Field(
        min_length=1, max_length=50, description="Instances to terminate, for good."
    )
    dry_run: bool = Field(
        default=False, description="Ask EC2 whether the call would be allowed, without terminating anything."
    )


# -- tools ------------------------------------------------------------------------------------


@tool(
    name="ec2_list_instances",
    title="List EC2 instances",
    iam_actions=("ec2:DescribeInstances",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"states": ["running"], "tags": {"env": "prod"}},
            {"region": "us-east-1", "count": 4, "next_cursor": None},
        ),
        Example({"region": "eu-west-1"}, {"region": "eu-west-1", "count": 4}),
    ),
)
def list_instances(ec2: EC2Client, args: ListInstancesInput) -> ListInstancesOutput:
    """List EC2 instances in one region with their name, state, type, addresses and tags. Filter by
    state, tags or instance ids."""
    region = ec2.meta.region_name
    # What the cursor is bound to: the question, not the page size or the columns.
    question = {
        "region": region,
        "states": [s.value for s in args.states or ()],
        "tags": args.tags or {},
        "instance_ids": args.instance_ids or [],
    }
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    request: dict[str, Any] = {}
    filters = _tag_filters(args.tags)
    if args.states:
        filters.append({"Name": "instance-state-name", "Values": [s.value for s in args.states]})
    if filters:
        request["Filters"] = filters
    if args.instance_ids:
        request["InstanceIds"] = args.instance_ids
    else:
        request["MaxResults"] = pages.size
    response = pages.fetch(ec2.describe_instances, **request)
    instances = [
        InstanceSummary(**_summary_fields(instance))
        for reservation in response.get("Reservations", [])
        for instance in reservation.get("Instances", [])
    ][pages.offset :]
    page = ListInstancesOutput(
        region=region,
        count=len(instances),
        instances=instances,
        next_cursor=pages.next_cursor(response.get("NextToken")),
    )
    return page.resume_with(pages.cursor_at)


@tool(
    name="ec2_describe_instance",
    title="Describe an EC2 instance",
    iam_actions=("ec2:DescribeInstances",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"instance_id": SAMPLE_INSTANCE_ID},
            None,
            error_contains=(SAMPLE_INSTANCE_ID, "InvalidInstanceID.NotFound"),
            demo_machine="web-prod-1",
            demo_answer={
                "region": "us-east-1",
                "instance": {
                    "name": "web-prod-1",
                    "state": "running",
                    "instance_type": "t3.medium",
                    "tags": {"Name": "web-prod-1", "env": "prod", "team": "storefront", "service": "web"},
                },
            },
        ),
    ),
)
def describe_instance(ec2: EC2Client, args: DescribeInstanceInput) -> DescribeInstanceOutput:
    """Show everything about one EC2 instance: image, network placement, security groups, volumes,
    instance profile and why it is in its current state."""
    response = ec2.describe_instances(InstanceIds=[args.instance_id])
    found = [i for r in response.get("Reservations", []) for i in r.get("Instances", [])]
    if not found:
        raise ClientError(
            {
                "Error": {
                    "Code": "InvalidInstanceID.NotFound",
                    "Message": f"{args.instance_id} does not exist",
                }
            },
            "DescribeInstances",
        )
    return DescribeInstanceOutput(region=ec2.meta.region_name, instance=_detail(found[0]))


@tool(
    name="ec2_reboot_instances",
    title="Reboot EC2 instances",
    iam_actions=("ec2:RebootInstances",),
    read_only=False,
    destructive=False,
    idempotent=True,
    examples=(
        Example(
            {"instance_ids": [SAMPLE_INSTANCE_ID], "dry_run": True},
            {"dry_run": True, "instance_ids": []},
            demo_machine="web-prod-1",
            demo_answer={"dry_run": True, "instance_ids": []},
        ),
    ),
)
def reboot_instances(ec2: EC2Client, args: RebootInstancesInput) -> RebootOutput:
    """Reboot running EC2 instances (an OS restart: they keep their volumes, addresses and state). Set
    dry_run to check permission first."""
    try:
        ec2.reboot_instances(InstanceIds=args.instance_ids, DryRun=args.dry_run)
    except ClientError as err:
        if _is_dry_run_success(err):
            message = "Dry run succeeded: you are allowed to reboot these instances. Nothing was changed."
            return RebootOutput(region=ec2.meta.region_name, dry_run=True, message=message, instance_ids=[])
        raise
    return RebootOutput(
        region=ec2.meta.region_name,
        dry_run=False,
        message=f"Reboot requested for {len(args.instance_ids)} instance(s).",
        instance_ids=args.instance_ids,
    )


@tool(
    name="ec2_terminate_instances",
    title="Terminate EC2 instances",
    iam_actions=("ec2:TerminateInstances",),
    read_only=False,
    destructive=True,
    idempotent=True,
    examples=(
        Example(
            {"instance_ids": [SAMPLE_INSTANCE_ID], "dry_run": True},
            {"dry_run": True, "changes": []},
            demo_machine="legacy-batch",
            demo_answer={"dry_run": True, "changes": []},
        ),
    ),
)
def terminate_instances(ec2: EC2Client, args: TerminateInstancesInput) -> StateChangeOutput:
    """Terminate EC2 instances, permanently: a terminated instance cannot be started again, and its
    volumes set to delete on termination (usually the root volume) are deleted with their data. Set
    dry_run to check permission first; terminating a terminated instance changes nothing."""
    return _transition(
        ec2,
        ec2.terminate_instances,
        "Terminate",
        "TerminatingInstances",
        InstanceIds=args.instance_ids,
        DryRun=args.dry_run,
    )


@tool(
    name="ec2_start_instances",
    title="Start EC2 instances",
    iam_actions=("ec2:StartInstances",),
    read_only=False,
    destructive=False,
    idempotent=True,
    examples=(
        Example(
            {"instance_ids": [SAMPLE_INSTANCE_ID], "dry_run": True},
            {"dry_run": True, "changes": []},
            demo_machine="web-staging-1",
            demo_answer={"dry_run": True, "changes": []},
        ),
    ),
)
def start_instances(ec2: EC2Client, args: StartInstancesInput) -> StateChangeOutput:
    """Start stopped EC2 instances. Set dry_run to check permission first; starting a running
    instance changes nothing."""
    return _transition(
        ec2,
        ec2.start_instances,
        "Start",
        "StartingInstances",
        InstanceIds=args.instance_ids,
        DryRun=args.dry_run,
    )


@tool(
    name="ec2_stop_instances",
    title="Stop EC2 instances",
    iam_actions=("ec2:StopInstances",),
    read_only=False,
    destructive=True,
    idempotent=True,
    examples=(
        Example(
            {"instance_ids": [SAMPLE_INSTANCE_ID], "dry_run": True},
            {"dry_run": True, "changes": []},
            demo_machine="web-prod-1",
            demo_answer={"dry_run": True, "changes": []},
        ),
    ),
)
def stop_instances(ec2: EC2Client, args: StopInstancesInput) -> StateChangeOutput:
    """Stop running EC2 instances (instance-store data is lost; EBS volumes are kept). Set dry_run to
    check permission first; stopping a stopped instance changes nothing."""
    request: dict[str, Any] = {"InstanceIds": args.instance_ids, "DryRun": args.dry_run}
    if args.force:
        request["Force"] = True
    if args.hibernate:
        request["Hibernate"] = True
    return _transition(ec2, ec2.stop_instances, "Stop", "StoppingInstances", **request)


TOOLSET = "compute"
TOOLS = (
    list_instances,
    describe_instance,
    reboot_instances,
    terminate_instances,
    start_instances,
    stop_instances,
)


# -- shaping ----------------------------------------------------------------------------------


def _is_dry_run_success(err: ClientError) -> bool:
    # EC2 answers a permitted dry run with this "error" (and UnauthorizedOperation otherwise).
    return err.response.get("Error", {}).get("Code") == "DryRunOperation"


def _transition(ec2: EC2Client, call: Any, verb: str, answer_key: str, **request: Any) -> StateChangeOutput:
    """Start, stop or terminate: the instances' state changes, or a permitted dry run's answer."""
    try:
        response = call(**request)
    except ClientError as err:
        if _is_dry_run_success(err):
            return _dry_run(ec2, verb.lower())
        raise
    return _changes(ec2, verb, response.get(answer_key, []))


def _dry_run(ec2: EC2Client, verb: str) -> StateChangeOutput:
    return StateChangeOutput(
        region=ec2.meta.region_name,
        dry_run=True,
        message=f"Dry run succeeded: you are allowed to {verb} these instances. Nothing was changed.",
        changes=[],
    )


def _changes(ec2: EC2Client, verb: str, items: Any) -> StateChangeOutput:
    changes = [
        StateChange(
            instance_id=item["InstanceId"],
            previous_state=item["PreviousState"]["Name"],
            current_state=item["CurrentState"]["Name"],
        )
        for item in items
    ]
    moved = sum(c.previous_state != c.current_state for c in changes)
    return StateChangeOutput(
        region=ec2.meta.region_name,
        dry_run=False,
        message=f"{verb} requested for {len(changes)} instance(s); {moved} changed state.",
        changes=changes,
    )


def _tags(instance: Any) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in instance.get("Tags", [])}


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _summary_fields(instance: Any) -> dict[str, Any]:
    tags = _tags(instance)
    return {
        "instance_id": instance["InstanceId"],
        "name": tags.get("Name"),
        "state": instance.get("State", {}).get("Name", "unknown"),
        "instance_type": instance.get("InstanceType", "unknown"),
        "availability_zone": instance.get("Placement", {}).get("AvailabilityZone"),
        "private_ip": instance.get("PrivateIpAddress"),
        "public_ip": instance.get("PublicIpAddress"),
        "launch_time": _iso(instance.get("LaunchTime")),
        "tags": tags,
    }


def _detail(instance: Any) -> InstanceDetail:
    return InstanceDetail(
        **_summary_fields(instance),
        image_id=instance.get("ImageId"),
        platform=instance.get("PlatformDetails") or instance.get("Platform"),
        architecture=instance.get("Architecture"),
        vpc_id=instance.get("VpcId"),
        subnet_id=instance.get("SubnetId"),
        private_dns=instance.get("PrivateDnsName") or None,
        public_dns=instance.get("PublicDnsName") or None,
        key_name=instance.get("KeyName"),
        iam_instance_profile=instance.get("IamInstanceProfile", {}).get("Arn"),
        security_groups=[
            {"id": g.get("GroupId", ""), "name": g.get("GroupName", "")}
            for g in instance.get("SecurityGroups", [])
        ],
        volumes=[
            {"device": m.get("DeviceName", ""), "volume_id": m.get("Ebs", {}).get("VolumeId", "")}
            for m in instance.get("BlockDeviceMappings", [])
        ],
        state_reason=instance.get("StateReason", {}).get("Message"),
        monitoring=instance.get("Monitoring", {}).get("State"),
    )


def _tag_filters(tags: dict[str, str] | None) -> list[dict[str, Any]]:
    """EC2 filters for resources carrying every one of ``tags`` ("*": any value of that key)."""
    return [
        {"Name": "tag-key", "Values": [key]} if value == "*" else {"Name": f"tag:{key}", "Values": [value]}
        for key, value in (tags or {}).items()
    ]
