"""CloudFormation: stacks, their events and drift; changes planned as change sets, then executed.

A stack is never created or updated in one step: ``cloudformation_plan_change`` makes a change
set and shows what it would do (add, modify, remove, replace), and only
``cloudformation_execute_change`` carries it out. Template bodies are taken, never shown back;
a parameter declared NoEcho is shown masked, whatever the describe call returned.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, Self

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, model_validator

from aws_mcp.errors import ToolError, ToolInputError
from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

__all__ = ["TOOLS", "TOOLSET"]

TOOLSET: Final = "stacks"

StackRef = Annotated[
    str, Field(max_length=256, pattern=r"^[A-Za-z][A-Za-z0-9:/._-]*$", description="Name or id.")
]
ChangeSetName = Annotated[str, Field(max_length=128, pattern=r"^[A-Za-z][A-Za-z0-9-]*$")]
_MASK: Final = "****"
# The events read for one listing (failures first across all of them): ten of AWS's pages.
_EVENTS_READ: Final = 1000
_RESOURCES_SHOWN: Final = 50
# How long plan_change waits for CloudFormation to compute a change set.
_PLAN_WAIT_S: Final = 10.0


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at else None


# -- stacks -----------------------------------------------------------------------------------


class StackSummary(Item):
    item_key = "name"

    name: str
    status: str | None = None
    reason: str | None = None
    drift: str | None = Field(default=None, description="IN_SYNC, DRIFTED or NOT_CHECKED.")
    updated: str | None = None
    description: str | None = None


class ListStacksInput(RegionalInput):
    status: Literal["IN_PROGRESS", "FAILED", "ROLLBACK", "COMPLETE"] | None = Field(
        default=None, description="Only statuses containing this."
    )
    fields: Fields[StackSummary] = None
    max_results: int = page_size(most=100)
    cursor: Cursor = None


class ListStacksOutput(Paged):
    items_field = "stacks"

    region: str
    stacks: list[StackSummary]


@tool(
    name="cloudformation_list_stacks",
    title="List CloudFormation stacks",
    iam_actions=("cloudformation:DescribeStacks",),
    read_only=True,
    idempotent=True,
    examples=(Example({"status": "ROLLBACK"}, {"region": "us-east-1", "count": 1}),),
)
def list_stacks(cloudformation: CloudFormationClient, args: ListStacksInput) -> ListStacksOutput:
    """Stacks (not deleted ones) with status, drift status and last change."""
    region = cloudformation.meta.region_name
    pages = TokenPages.resume(args.cursor, {"region": region, "status": args.status}, args.max_results)
    response = pages.fetch(cloudformation.describe_stacks)
    wanted = [
        s for s in response.get("Stacks", []) if not args.status or args.status in s.get("StackStatus", "")
    ]
    found, next_cursor = pages.window(wanted, response.get("NextToken"))
    stacks = [
        StackSummary(
            name=s["StackName"],
            status=s.get("StackStatus"),
            reason=s.get("StackStatusReason"),
            drift=s.get("DriftInformation", {}).get("StackDriftStatus"),
            updated=_iso(s.get("LastUpdatedTime") or s.get("CreationTime")),
            description=s.get("Description"),
        )
        for s in found
    ]
    page = ListStacksOutput(region=region, count=len(stacks), stacks=stacks, next_cursor=next_cursor)
    return page.resume_with(pages.cursor_at)


class StackInput(RegionalInput):
    stack: StackRef


class Resource(BaseModel):
    logical_id: str
    type: str | None = None
    physical_id: str | None = None
    status: str | None = None


class DescribeStackOutput(BaseModel):
    region: str
    stack: StackSummary
    parameters: dict[str, str]
    outputs: dict[str, str]
    resources: list[Resource] | None
    resource_count: int
    note: str | None = None

    def shrunk(self) -> Self | None:
        if self.resources is None:
            return None
        note = "Resources left out to fit the result size limit."
        return self.model_copy(update={"resources": None, "note": note})


@tool(
    name="cloudformation_describe_stack",
    title="Describe a CloudFormation stack",
    iam_actions=(
        "cloudformation:DescribeStacks",
        "cloudformation:GetTemplateSummary",
        "cloudformation:DescribeStackResources",
    ),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"stack": "storefront-queues"},
            {
                "stack": {"name": "storefront-queues", "status": "UPDATE_ROLLBACK_COMPLETE"},
                "resource_count": 2,
            },
        ),
    ),
    secret_fields=("parameters", "outputs"),
)
def describe_stack(cloudformation: CloudFormationClient, args: StackInput) -> DescribeStackOutput:
    """One stack: status, parameters (NoEcho ones masked), outputs and resources with their status."""
    (stack,) = cloudformation.describe_stacks(StackName=args.stack)["Stacks"]
    hidden = {
        p["ParameterKey"]
        for p in cloudformation.get_template_summary(StackName=stack["StackId"]).get("Parameters", [])
        if p.get("NoEcho")
    }
    parameters = {
        p["ParameterKey"]: _MASK if p["ParameterKey"] in hidden else p.get("ParameterValue", "")
        for p in stack.get("Parameters", [])
    }
    resources = cloudformation.describe_stack_resources(StackName=stack["StackId"]).get("StackResources", [])
    return DescribeStackOutput(
        region=cloudformation.meta.region_name,
        stack=StackSummary(
            name=stack["StackName"],
            status=stack.get("StackStatus"),
            reason=stack.get("StackStatusReason"),
            drift=stack.get("DriftInformation", {}).get("StackDriftStatus"),
            updated=_iso(stack.get("LastUpdatedTime") or stack.get("CreationTime")),
            description=stack.get("Description"),
        ),
        parameters=parameters,
        outputs={o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])},
        resources=[
            Resource(
                logical_id=r["LogicalResourceId"],
                type=r.get("ResourceType"),
                physical_id=r.get("PhysicalResourceId"),
                status=r.get("ResourceStatus"),
            )
            for r in resources[:_RESOURCES_SHOWN]
        ],
        resource_count=len(resources),
        note=f"The first {_RESOURCES_SHOWN} resources." if len(resources) > _RESOURCES_SHOWN else None,
    )


class Event(Item):
    item_key = "at"

    at: str
    resource: str | None = Field(default=None, description="Logical id (type).")
    status: str | None = None
    reason: str | None = None


class StackEventsInput(StackInput):
    fields: Fields[Event] = None
    max_results: int = page_size()
    cursor: Cursor = None


class StackEventsOutput(Paged):
    items_field = "events"

    region: str
    stack: str
    events: list[Event]


@tool(
    name="cloudformation_stack_events",
    title="A stack's events",
    iam_actions=("cloudformation:DescribeStackEvents",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"stack": "storefront-queues", "max_results": 5, "fields": ["status"]},
            {"stack": "storefront-queues", "count": 5},
        ),
    ),
)
def stack_events(cloudformation: CloudFormationClient, args: StackEventsInput) -> StackEventsOutput:
    """A stack's events, failures first, then the rest newest first: why a deployment failed."""
    region = cloudformation.meta.region_name
    pages = TokenPages.resume(args.cursor, {"region": region, "stack": args.stack}, args.max_results)
    events: list[Mapping[str, Any]] = []
    request: dict[str, Any] = {"StackName": args.stack}
    while len(events) < _EVENTS_READ:
        response = cloudformation.describe_stack_events(**request)
        events += response.get("StackEvents", [])
        if not response.get("NextToken"):
            break
        request["NextToken"] = response["NextToken"]
    # Stable: within failures and within the rest, AWS's order (newest first) stays.
    events.sort(key=lambda e: "FAILED" not in e.get("ResourceStatus", ""))
    found, next_cursor = pages.window(events, None)
    shown = [
        Event(
            at=_iso(e.get("Timestamp")) or "",
            resource=f"{e.get('LogicalResourceId')} ({e.get('ResourceType')})",
            status=e.get("ResourceStatus"),
            reason=e.get("ResourceStatusReason"),
        )
        for e in found
    ]
    page = StackEventsOutput(
        region=region, stack=args.stack, count=len(shown), events=shown, next_cursor=next_cursor
    )
    return page.resume_with(pages.cursor_at)


# -- drift ------------------------------------------------------------------------------------


class DriftInput(StackInput):
    detection_id: str | None = Field(
        default=None, max_length=64, description="From an earlier call: its result. Without: start."
    )


class DriftOutput(BaseModel):
    region: str
    stack: str
    detection_id: str
    status: str = Field(description="DETECTION_IN_PROGRESS, DETECTION_COMPLETE or DETECTION_FAILED.")
    drift: str | None = None
    reason: str | None = None
    drifted: list[dict[str, str]] | None = None


@tool(
    name="cloudformation_drift",
    title="Detect a stack's drift",
    iam_actions=(
        "cloudformation:DetectStackDrift",
        "cloudformation:DescribeStackDriftDetectionStatus",
        "cloudformation:DescribeStackResourceDrifts",
    ),
    read_only=True,
    # The demo's AWS (moto) cannot detect drift: it answers an error.
    examples=(Example({"stack": "storefront-queues"}, None, error_contains=("cloudformation_drift",)),),
)
def drift(cloudformation: CloudFormationClient, args: DriftInput) -> DriftOutput:
    """Start drift detection on a stack (changes made outside CloudFormation), or with detection_id,
    its result: the resources modified or deleted."""
    detection = (
        args.detection_id or cloudformation.detect_stack_drift(StackName=args.stack)["StackDriftDetectionId"]
    )
    status = cloudformation.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
    drifted = None
    if status["DetectionStatus"] == "DETECTION_COMPLETE":
        found = cloudformation.describe_stack_resource_drifts(
            StackName=args.stack, StackResourceDriftStatusFilters=["MODIFIED", "DELETED"], MaxResults=100
        ).get("StackResourceDrifts", [])
        drifted = [
            {
                "resource": f"{d['LogicalResourceId']} ({d['ResourceType']})",
                "drift": d["StackResourceDriftStatus"],
                "properties": ", ".join(p["PropertyPath"] for p in d.get("PropertyDifferences", [])),
            }
            for d in found
        ]
    return DriftOutput(
        region=cloudformation.meta.region_name,
        stack=args.stack,
        detection_id=detection,
        status=status["DetectionStatus"],
        drift=status.get("StackDriftStatus"),
        reason=status.get("DetectionStatusReason"),
        drifted=drifted,
    )


# -- changes ----------------------------------------------------------------------------------


Capability = Literal["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


class PlanChangeInput(MutatingInput):
    stack: StackRef
    # CloudFormation's own limit for a template in the request.
    template_body: str | None = Field(default=None, max_length=51_200, description="JSON or YAML.")
    template_url: str | None = Field(
        default=None, max_length=1024, pattern=r"^https://", description="In S3."
    )
    parameters: dict[Annotated[str, Field(max_length=255)], Annotated[str, Field(max_length=4096)]] | None = (
        Field(default=None, max_length=200, description="Those not given keep their value or default.")
    )
    capabilities: list[Capability] | None = Field(default=None, max_length=3, description="If it makes IAM.")

    @model_validator(mode="after")
    def _one_template(self) -> Self:
        if (self.template_body is None) == (self.template_url is None):
            raise ValueError("give template_body or template_url (one of them)")
        return self


class Change(BaseModel):
    action: str
    resource: str
    replacement: str | None = None


class PlanChangeOutput(MutatingOutput):
    region: str
    stack: str
    change_set: str
    status: str
    reason: str | None = None
    changes: list[Change]
    message: str


@tool(
    name="cloudformation_plan_change",
    title="Plan a stack change",
    iam_actions=(
        "cloudformation:DescribeStacks",
        "cloudformation:CreateChangeSet",
        "cloudformation:DescribeChangeSet",
    ),
    read_only=False,
    idempotent=True,
    examples=(
        Example(
            {
                "stack": "storefront-topics",
                "template_body": '{"Resources": {"Orders": {"Type": "AWS::SNS::Topic", "Properties": '
                '{"TopicName": "storefront-orders"}}, "Alerts": {"Type": "AWS::SNS::Topic"}}}',
            },
            {
                "stack": "storefront-topics",
                "changes": [{"action": "Add", "resource": "Alerts (AWS::SNS::Topic)"}],
            },
        ),
    ),
)
def plan_change(cloudformation: CloudFormationClient, args: PlanChangeInput) -> PlanChangeOutput:
    """Create or update a stack, first step: a change set showing what would change (nothing changes
    yet). Carry it out with cloudformation_execute_change."""
    exists = _live(cloudformation, args.stack)
    digest = hashlib.sha256(args.model_dump_json(exclude={"idempotency_key", "region"}).encode()).hexdigest()
    name = f"aws-mcp-{digest[:16]}"
    request: dict[str, Any] = {
        "StackName": args.stack,
        "ChangeSetName": name,
        "ChangeSetType": "UPDATE" if exists else "CREATE",
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in (args.parameters or {}).items()],
        "Capabilities": args.capabilities or [],
    }
    if args.template_body is not None:
        request["TemplateBody"] = args.template_body
    else:
        request["TemplateURL"] = args.template_url
    try:
        cloudformation.create_change_set(**request)
    except ClientError as err:
        # The same plan asked again (its name is a digest of it): show the change set made then.
        if err.response.get("Error", {}).get("Code") != "AlreadyExistsException":
            raise
    deadline = time.monotonic() + _PLAN_WAIT_S
    while True:
        described = cloudformation.describe_change_set(StackName=args.stack, ChangeSetName=name)
        if described["Status"] not in ("CREATE_PENDING", "CREATE_IN_PROGRESS") or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    changes = [
        Change(
            action=r.get("Action", ""),
            resource=f"{r.get('LogicalResourceId')} ({r.get('ResourceType')})",
            replacement=r.get("Replacement"),
        )
        for r in (c["ResourceChange"] for c in described.get("Changes", []) if "ResourceChange" in c)
    ]
    ready = described["Status"] == "CREATE_COMPLETE"
    message = (
        f"Nothing is changed yet. To {'update' if exists else 'create'} the stack, call "
        f"cloudformation_execute_change with change_set {name}."
        if ready
        else f"The change set is {described['Status']}: see its reason; nothing will change."
    )
    return PlanChangeOutput(
        region=cloudformation.meta.region_name,
        stack=args.stack,
        change_set=name,
        status=described["Status"],
        reason=described.get("StatusReason"),
        changes=changes,
        message=message,
    )


def _live(cloudformation: CloudFormationClient, stack: str) -> bool:
    """Whether ``stack`` exists and is more than a change set's placeholder (REVIEW_IN_PROGRESS)."""
    try:
        (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as err:
        if "does not exist" in str(err):
            return False
        raise
    return found.get("StackStatus") != "REVIEW_IN_PROGRESS"


class ExecuteChangeInput(MutatingInput):
    stack: StackRef
    change_set: ChangeSetName = Field(description="From cloudformation_plan_change.")


class ExecuteChangeOutput(MutatingOutput):
    region: str
    stack: str
    status: str
    message: str


@tool(
    name="cloudformation_execute_change",
    title="Execute a planned stack change",
    iam_actions=(
        "cloudformation:DescribeChangeSet",
        "cloudformation:ExecuteChangeSet",
        "cloudformation:DescribeStacks",
    ),
    read_only=False,
    destructive=True,
    examples=(
        Example(
            {"stack": "storefront-queues", "change_set": "aws-mcp-0123456789abcdef"},
            None,
            error_contains=("does not exist",),
        ),
    ),
)
def execute_change(cloudformation: CloudFormationClient, args: ExecuteChangeInput) -> ExecuteChangeOutput:
    """Carry out a change set from cloudformation_plan_change: what it showed is what changes,
    replacements and removals included. Follow it with cloudformation_stack_events."""
    described = cloudformation.describe_change_set(StackName=args.stack, ChangeSetName=args.change_set)
    if described.get("ExecutionStatus") != "AVAILABLE":
        raise ToolInputError(
            f"Change set {args.change_set} cannot be executed: it is {described.get('Status')} / "
            f"{described.get('ExecutionStatus')}. {described.get('StatusReason') or ''}".strip()
        )
    cloudformation.execute_change_set(StackName=args.stack, ChangeSetName=args.change_set)
    (stack,) = cloudformation.describe_stacks(StackName=args.stack)["Stacks"]
    return ExecuteChangeOutput(
        region=cloudformation.meta.region_name,
        stack=args.stack,
        status=stack.get("StackStatus", ""),
        message="Started: follow it with cloudformation_stack_events or cloudformation_describe_stack.",
    )


class DeleteStackOutput(MutatingOutput):
    region: str
    stack: str
    status: str
    message: str


class DeleteStackInput(MutatingInput):
    stack: StackRef


@tool(
    name="cloudformation_delete_stack",
    title="Delete a CloudFormation stack",
    iam_actions=("cloudformation:DescribeStacks", "cloudformation:DeleteStack"),
    read_only=False,
    destructive=True,
    idempotent=True,
    examples=(Example({"stack": "no-such-stack"}, None, error_contains=("does not exist",)),),
)
def delete_stack(cloudformation: CloudFormationClient, args: DeleteStackInput) -> DeleteStackOutput:
    """Delete a stack and every resource it made (except those it retains): irreversible."""
    (stack,) = cloudformation.describe_stacks(StackName=args.stack)["Stacks"]
    if stack.get("EnableTerminationProtection"):
        raise ToolError(f"Stack {args.stack} has termination protection on: turn it off first, deliberately.")
    cloudformation.delete_stack(StackName=stack["StackId"])
    after = cloudformation.describe_stacks(StackName=stack["StackId"])["Stacks"][0]
    return DeleteStackOutput(
        region=cloudformation.meta.region_name,
        stack=args.stack,
        status=after.get("StackStatus", ""),
        message="Deleting: follow it with cloudformation_stack_events.",
    )


TOOLS = (list_stacks, describe_stack, stack_events, drift, plan_change, execute_change, delete_stack)
