"""EC2 Auto Scaling: list groups and their scaling activities, set a group's desired capacity."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from aws_mcp.errors import ToolInputError
from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size
from aws_mcp.tools.tags import TagFilter, tag_filter

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient

__all__ = ["TOOLS", "TOOLSET"]

GroupName = Annotated[
    str, Field(min_length=1, max_length=255, pattern=r"^[^:]+$", description="An Auto Scaling group's name.")
]


class InstanceCounts(BaseModel):
    total: int
    by_lifecycle_state: dict[str, int] = Field(description='For example {"InService": 2, "Pending": 1}.')
    by_health: dict[str, int] = Field(description='For example {"Healthy": 2, "Unhealthy": 1}.')


class GroupSummary(Item):
    item_key = "name"

    name: str
    min_size: int | None = None
    desired_capacity: int | None = None
    max_size: int | None = None
    instances: InstanceCounts | None = None
    launch_template: str | None = Field(default=None, description='Name and version, e.g. "web ($Latest)".')
    launch_configuration: str | None = None
    target_groups: list[str] | None = Field(
        default=None, description="Names of its load balancer target groups."
    )
    availability_zones: list[str] | None = None
    health_check_type: str | None = Field(
        default=None, description="EC2 or ELB: what marks an instance unhealthy."
    )
    tags: dict[str, str] | None = None


class ListGroupsInput(RegionalInput):
    group_names: list[GroupName] | None = Field(default=None, max_length=50, description="Only these groups.")
    tags: TagFilter = tag_filter(most=10)
    fields: Fields[GroupSummary] = None
    max_results: int = page_size(most=100)
    cursor: Cursor = None


class ListGroupsOutput(Paged):
    items_field = "groups"

    region: str
    groups: list[GroupSummary]


class SetDesiredCapacityInput(MutatingInput):
    group_name: GroupName
    desired_capacity: int = Field(
        ge=0, le=10_000, description="The number of instances the group should run; within its min and max."
    )
    honor_cooldown: bool = Field(
        default=False,
        description="Refuse the change while the group's cooldown after its last scaling activity runs.",
    )


class SetDesiredCapacityOutput(MutatingOutput):
    region: str
    group_name: str
    previous_desired_capacity: int
    desired_capacity: int
    min_size: int
    max_size: int
    message: str


class Activity(Item):
    item_key = "activity_id"

    activity_id: str
    status: str | None = Field(default=None, description="Successful, Failed, InProgress, Cancelled, ...")
    description: str | None = None
    cause: str | None = Field(default=None, description="Why Auto Scaling did it, as AWS tells it.")
    start_time: str | None = Field(default=None, description="ISO 8601, UTC.")
    end_time: str | None = Field(default=None, description="ISO 8601, UTC; null while in progress.")
    status_message: str | None = Field(default=None, description="AWS's explanation, mostly of a failure.")


class ListActivitiesInput(RegionalInput):
    group_name: GroupName
    fields: Fields[Activity] = None
    max_results: int = page_size(20, most=100)
    cursor: Cursor = None


class ListActivitiesOutput(Paged):
    items_field = "activities"

    region: str
    group_name: str
    activities: list[Activity]


# -- tools ------------------------------------------------------------------------------------


@tool(
    name="autoscaling_list_groups",
    title="List Auto Scaling groups",
    iam_actions=("autoscaling:DescribeAutoScalingGroups",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"tags": {"team": "storefront"}},
            {
                "region": "us-east-1",
                "count": 1,
                "groups": [
                    {
                        "name": "storefront-web-asg",
                        "min_size": 2,
                        "desired_capacity": 2,
                        "max_size": 4,
                        "instances": {"total": 2, "by_lifecycle_state": {"InService": 2}},
                        "launch_template": "storefront-web ($Latest)",
                        "target_groups": ["storefront-web"],
                    }
                ],
            },
        ),
        Example(
            {"fields": ["desired_capacity", "launch_configuration"]},
            {
                "region": "us-east-1",
                "count": 2,
                "groups": [
                    {"name": "storefront-web-asg", "desired_capacity": 2, "launch_configuration": None},
                    {
                        "name": "reports-batch-asg",
                        "desired_capacity": 0,
                        "launch_configuration": "reports-batch",
                    },
                ],
            },
        ),
    ),
)
def list_groups(autoscaling: AutoScalingClient, args: ListGroupsInput) -> ListGroupsOutput:
    """List EC2 Auto Scaling groups: min, desired and max capacity, instance counts by lifecycle state
    and health, launch template, target groups and zones. Filter by names or tags."""
    region = autoscaling.meta.region_name
    question = {"region": region, "group_names": args.group_names or [], "tags": args.tags or {}}
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    request: dict[str, Any] = {"MaxRecords": pages.size}
    if args.group_names:
        request["AutoScalingGroupNames"] = args.group_names
    filters = [
        {"Name": "tag-key", "Values": [key]} if value == "*" else {"Name": f"tag:{key}", "Values": [value]}
        for key, value in (args.tags or {}).items()
    ]
    if filters:
        request["Filters"] = filters
    response = pages.fetch(autoscaling.describe_auto_scaling_groups, **request)
    groups = [_group(g) for g in response.get("AutoScalingGroups", [])][pages.offset :]
    page = ListGroupsOutput(
        region=region,
        count=len(groups),
        groups=groups,
        next_cursor=pages.next_cursor(response.get("NextToken")),
    )
    return page.resume_with(pages.cursor_at)


@tool(
    name="autoscaling_set_desired_capacity",
    title="Set an Auto Scaling group's desired capacity",
    iam_actions=("autoscaling:DescribeAutoScalingGroups", "autoscaling:SetDesiredCapacity"),
    read_only=False,
    destructive=False,
    idempotent=True,
    examples=(
        Example(
            {"group_name": "storefront-web-asg", "desired_capacity": 2},
            {"group_name": "storefront-web-asg", "previous_desired_capacity": 2, "desired_capacity": 2},
        ),
        Example(
            {"group_name": "storefront-web-asg", "desired_capacity": 9},
            None,
            error_contains=("outside", "2 to 4", "Nothing was changed"),
        ),
    ),
)
def set_desired_capacity(
    autoscaling: AutoScalingClient, args: SetDesiredCapacityInput
) -> SetDesiredCapacityOutput:
    """Set how many instances an Auto Scaling group runs: raising it launches instances, lowering it
    TERMINATES instances the group chooses. The value must lie within the group's min and max (else
    refused, nothing changed). Set honor_cooldown to refuse while a cooldown runs."""
    group = _one_group(autoscaling, args.group_name)
    low, high, before = group["MinSize"], group["MaxSize"], group.get("DesiredCapacity", 0)
    if not low <= args.desired_capacity <= high:
        raise ToolInputError(
            f"desired_capacity {args.desired_capacity} is outside what {args.group_name} allows: {low} to "
            f"{high} instances. Choose a value in that range; changing the group's min or max is another "
            "change, not made by this tool. Nothing was changed."
        )
    autoscaling.set_desired_capacity(
        AutoScalingGroupName=args.group_name,
        DesiredCapacity=args.desired_capacity,
        HonorCooldown=args.honor_cooldown,
    )
    change = args.desired_capacity - before
    if change > 0:
        message = (
            f"Desired capacity raised from {before} to {args.desired_capacity}: {change} instance(s) launch."
        )
    elif change < 0:
        message = (
            f"Desired capacity lowered from {before} to {args.desired_capacity}: {-change} instance(s) "
            "are terminated."
        )
    else:
        message = f"Desired capacity was already {before}: nothing changes."
    return SetDesiredCapacityOutput(
        region=autoscaling.meta.region_name,
        group_name=args.group_name,
        previous_desired_capacity=before,
        desired_capacity=args.desired_capacity,
        min_size=low,
        max_size=high,
        message=message,
    )


@tool(
    name="autoscaling_list_activities",
    title="List an Auto Scaling group's scaling activities",
    iam_actions=("autoscaling:DescribeScalingActivities", "autoscaling:DescribeAutoScalingGroups"),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"group_name": "storefront-web-asg"},
            {"region": "us-east-1", "group_name": "storefront-web-asg", "next_cursor": None},
        ),
    ),
)
def list_activities(autoscaling: AutoScalingClient, args: ListActivitiesInput) -> ListActivitiesOutput:
    """List an Auto Scaling group's scaling activities, newest first: what it launched or terminated,
    why, when, and whether it succeeded. Use it to explain a change in capacity or a failed launch."""
    region = autoscaling.meta.region_name
    pages = TokenPages.resume(
        args.cursor, {"region": region, "group_name": args.group_name}, args.max_results
    )
    response = pages.fetch(
        autoscaling.describe_scaling_activities, AutoScalingGroupName=args.group_name, MaxRecords=pages.size
    )
    found = response.get("Activities", [])
    if not found and args.cursor is None:
        # AWS answers no activities, not an error, for a group that does not exist.
        _one_group(autoscaling, args.group_name)
    # AWS gives them newest first (in progress first); the page keeps that order.
    activities = [_activity(a) for a in found][pages.offset :]
    page = ListActivitiesOutput(
        region=region,
        group_name=args.group_name,
        count=len(activities),
        activities=activities,
        next_cursor=pages.next_cursor(response.get("NextToken")),
    )
    return page.resume_with(pages.cursor_at)


TOOLSET = "compute"
TOOLS = (list_groups, set_desired_capacity, list_activities)


# -- shaping ----------------------------------------------------------------------------------


def _one_group(autoscaling: AutoScalingClient, name: str) -> Any:
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name]).get(
        "AutoScalingGroups", []
    )
    if not groups:
        raise ClientError(
            {
                "Error": {
                    "Code": "ValidationError",
                    "Message": f"AutoScalingGroup name not found - no group named {name} in this region",
                }
            },
            "DescribeAutoScalingGroups",
        )
    return groups[0]


def _name_in_arn(arn: str) -> str:
    """A target group's name from its ARN: ...:targetgroup/<name>/<id>."""
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else arn


def _launch_template(group: Any) -> str | None:
    spec = group.get("LaunchTemplate") or (
        group.get("MixedInstancesPolicy", {}).get("LaunchTemplate", {}).get("LaunchTemplateSpecification")
    )
    if not spec:
        return None
    name = spec.get("LaunchTemplateName") or spec.get("LaunchTemplateId", "?")
    return f"{name} ({spec['Version']})" if spec.get("Version") else name


def _group(group: Any) -> GroupSummary:
    instances = group.get("Instances", [])
    return GroupSummary(
        name=group["AutoScalingGroupName"],
        min_size=group.get("MinSize"),
        desired_capacity=group.get("DesiredCapacity"),
        max_size=group.get("MaxSize"),
        instances=InstanceCounts(
            total=len(instances),
            by_lifecycle_state=dict(Counter(i.get("LifecycleState", "?") for i in instances)),
            by_health=dict(Counter(i.get("HealthStatus", "?") for i in instances)),
        ),
        launch_template=_launch_template(group),
        launch_configuration=group.get("LaunchConfigurationName"),
        target_groups=[_name_in_arn(arn) for arn in group.get("TargetGroupARNs", [])],
        availability_zones=group.get("AvailabilityZones", []),
        health_check_type=group.get("HealthCheckType"),
        tags={t["Key"]: t.get("Value", "") for t in group.get("Tags", [])},
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _activity(activity: Any) -> Activity:
    return Activity(
        activity_id=activity["ActivityId"],
        status=activity.get("StatusCode"),
        description=activity.get("Description"),
        cause=activity.get("Cause"),
        start_time=_iso(activity.get("StartTime")),
        end_time=_iso(activity.get("EndTime")),
        status_message=activity.get("StatusMessage"),
    )
