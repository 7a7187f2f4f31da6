"""EC2 images (AMIs): the account's own, and launching instances from one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Final

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size
from aws_mcp.tools.services.ec2 import _is_dry_run_success, _tags
from aws_mcp.tools.tags import Tags, tags_to_set

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

__all__ = ["TOOLS", "TOOLSET"]

SecurityGroupId = Annotated[str, Field(max_length=20, pattern=r"^sg-[0-9a-f]{8,17}$")]
# An AMI id in examples: no demo image has it (the demo mints image ids at random).
SAMPLE_IMAGE_ID: Final = "ami-0123456789abcdef0"
# A launch EC2 answers with instances older than this was made earlier (clocks agree far better).
_LAUNCH_SKEW: Final = timedelta(minutes=2)


class Image(Item):
    item_key = "image_id"

    image_id: str
    name: str | None = None
    description: str | None = None
    state: str | None = Field(default=None, description="available, pending, failed, disabled, ...")
    architecture: str | None = None
    platform: str | None = Field(default=None, description="e.g. Linux/UNIX, Windows.")
    root_device_type: str | None = Field(default=None, description="ebs or instance-store.")
    creation_date: str | None = Field(default=None, description="ISO 8601, UTC.")
    tags: dict[str, str] | None = None


class ListImagesInput(RegionalInput):
    fields: Fields[Image] = None
    max_results: int = page_size()
    cursor: Cursor = None


class ListImagesOutput(Paged):
    items_field = "images"

    region: str
    images: list[Image]


class RunInstancesInput(MutatingInput):
    image_id: str = Field(
        max_length=21,
        pattern=r"^ami-[0-9a-f]{8,17}$",
        description="The AMI to launch, ami-... (ec2_list_images lists the account's own).",
    )
    instance_type: str = Field(
        max_length=32, pattern=r"^[a-z0-9-]+\.[a-z0-9-]+$", description="Instance type, e.g. t3.micro."
    )
    count: int = Field(default=1, ge=1, le=10, description="How many identical instances to launch (1-10).")
    subnet_id: str | None = Field(
        default=None,
        max_length=24,
        pattern=r"^subnet-[0-9a-f]{8,17}$",
        description="Subnet to launch in. Default: one of the default VPC's.",
    )
    security_group_ids: list[SecurityGroupId] | None = Field(
        default=None, max_length=5, description="Security groups, sg-... Default: the VPC's default group."
    )
    key_name: str | None = Field(
        default=None, min_length=1, max_length=255, description="Name of the EC2 key pair for SSH."
    )
    user_data: str | None = Field(
        default=None,
        max_length=16_384,
        description="Script or cloud-init config run at first boot, as plain text (sent base64-encoded). "
        "Never shown back.",
    )
    tags: Tags = tags_to_set()
    dry_run: bool = Field(
        default=False, description="Ask EC2 whether the launch would be allowed, without launching anything."
    )


class LaunchedInstance(BaseModel):
    instance_id: str
    state: str
    instance_type: str
    availability_zone: str | None
    private_ip: str | None


class RunInstancesOutput(MutatingOutput):
    region: str
    dry_run: bool
    message: str
    reservation_id: str | None
    instances: list[LaunchedInstance]


@tool(
    name="ec2_list_images",
    title="List the account's own AMIs",
    iam_actions=("ec2:DescribeImages",),
    read_only=True,
    idempotent=True,
    examples=(
        Example({}, {"region": "us-east-1", "count": 1, "next_cursor": None}),
        Example({"region": "eu-west-1"}, {"region": "eu-west-1", "count": 0}),
    ),
)
def list_images(ec2: EC2Client, args: ListImagesInput) -> ListImagesOutput:
    """List the AMIs this account owns in one region (not public or shared ones): name, state,
    architecture, creation date. Use it to pick an image_id for ec2_run_instances or to find old
    images."""
    region = ec2.meta.region_name
    pages = TokenPages.resume(args.cursor, {"region": region}, args.max_results)
    response = pages.fetch(ec2.describe_images, Owners=["self"], MaxResults=pages.size)
    items, next_cursor = pages.window(response.get("Images", []), response.get("NextToken"))
    images = [
        Image(
            image_id=i["ImageId"],
            name=i.get("Name"),
            description=i.get("Description") or None,
            state=i.get("State", "unknown"),
            architecture=i.get("Architecture"),
            platform=i.get("PlatformDetails") or i.get("Platform"),
            root_device_type=i.get("RootDeviceType"),
            creation_date=i.get("CreationDate"),
            tags=_tags(i),
        )
        for i in items
    ]
    page = ListImagesOutput(region=region, count=len(images), images=images, next_cursor=next_cursor)
    return page.resume_with(pages.cursor_at)


@tool(
    name="ec2_run_instances",
    title="Launch EC2 instances",
    iam_actions=("ec2:RunInstances", "ec2:CreateTags"),
    read_only=False,
    destructive=False,
    idempotent=False,
    examples=(
        Example(
            {"image_id": SAMPLE_IMAGE_ID, "instance_type": "t3.micro", "dry_run": True},
            {"region": "us-east-1", "dry_run": True, "instances": []},
        ),
    ),
)
def run_instances(ec2: EC2Client, args: RunInstancesInput) -> RunInstancesOutput:
    """Launch 1-10 EC2 instances from an AMI; they run, and cost money, until stopped or terminated.
    Set dry_run to check permission first. Repeating an identical call launches nothing new: pass a
    new idempotency_key to launch the same again. User data is never shown back."""
    region = ec2.meta.region_name
    request: dict[str, Any] = {
        "ImageId": args.image_id,
        "InstanceType": args.instance_type,
        "MinCount": args.count,
        "MaxCount": args.count,
        "ClientToken": args.client_token(region, "dry_run"),
        "DryRun": args.dry_run,
    }
    if args.subnet_id:
        request["SubnetId"] = args.subnet_id
    if args.security_group_ids:
        request["SecurityGroupIds"] = args.security_group_ids
    if args.key_name:
        request["KeyName"] = args.key_name
    if args.user_data:
        # As text: botocore base64-encodes RunInstances' UserData itself (encoding it here would do it twice).
        request["UserData"] = args.user_data
    if args.tags:
        tags = [{"Key": k, "Value": v} for k, v in args.tags.items()]
        request["TagSpecifications"] = [{"ResourceType": r, "Tags": tags} for r in ("instance", "volume")]
    started = datetime.now(UTC)
    try:
        response = ec2.run_instances(**request)
    except ClientError as err:
        if _is_dry_run_success(err):
            return RunInstancesOutput(
                region=region,
                dry_run=True,
                message="Dry run succeeded: you are allowed to launch these instances. Nothing was launched.",
                reservation_id=None,
                instances=[],
            )
        raise
    launched = response.get("Instances", [])
    # A token EC2 has seen answers with that launch's instances: say nothing new was launched.
    earlier = bool(launched) and all(
        isinstance(i.get("LaunchTime"), datetime) and i["LaunchTime"] < started - _LAUNCH_SKEW
        for i in launched
    )
    return RunInstancesOutput(
        region=region,
        dry_run=False,
        message=(
            "EC2 answered with the instances of an identical earlier launch (same client token): nothing new "
            "was launched. To launch more, pass a new idempotency_key."
            if earlier
            else f"Launched {len(launched)} instance(s)."
        ),
        reservation_id=response.get("ReservationId"),
        instances=[
            LaunchedInstance(
                instance_id=i["InstanceId"],
                state=i.get("State", {}).get("Name", "unknown"),
                instance_type=i.get("InstanceType", args.instance_type),
                availability_zone=i.get("Placement", {}).get("AvailabilityZone"),
                private_ip=i.get("PrivateIpAddress"),
            )
            for i in launched
        ],
    )


TOOLSET = "compute"
TOOLS = (list_images, run_instances)
