"""ECS: clusters, services and tasks; scaling or redeploying a service.

Task definitions are never read: their container environment values and secrets stay out of every
answer. Tasks are described field by field for the same reason (a task's overrides can carry
environment values too).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, model_validator

from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

__all__ = ["TOOLS", "TOOLSET"]

# A name, or an ARN whose last part is the name.
_NAME_OR_ARN = r"^[A-Za-z0-9_./:-]+$"
ClusterRef = Annotated[
    str,
    Field(min_length=1, max_length=320, pattern=_NAME_OR_ARN, description="Cluster name or ARN."),
]
ServiceRef = Annotated[
    str,
    Field(min_length=1, max_length=320, pattern=_NAME_OR_ARN, description="Service name or ARN."),
]
# DescribeServices takes at most 10 services a call; the other Describe calls 100.
_DESCRIBE_SERVICES_MAX = 10
_EVENTS_SHOWN = 10


# -- clusters ---------------------------------------------------------------------------------


class Cluster(Item):
    item_key = "name"

    name: str
    status: str | None = None
    running_tasks: int | None = None
    pending_tasks: int | None = None
    active_services: int | None = None
    container_instances: int | None = Field(
        default=None, description="Registered EC2 container instances (0 on Fargate only)."
    )


class ListClustersInput(RegionalInput):
    fields: Fields[Cluster] = None
    max_results: int = page_size(most=100)
    cursor: Cursor = None


class ListClustersOutput(Paged):
    items_field = "clusters"

    region: str
    clusters: list[Cluster]


@tool(
    name="ecs_list_clusters",
    title="List ECS clusters",
    iam_actions=("ecs:ListClusters", "ecs:DescribeClusters"),
    read_only=True,
    idempotent=True,
    examples=(
        Example({}, {"region": "us-east-1", "count": 1, "next_cursor": None}),
        Example({"region": "eu-west-1"}, {"region": "eu-west-1", "count": 1}),
    ),
)
def list_clusters(ecs: ECSClient, args: ListClustersInput) -> ListClustersOutput:
    """List ECS clusters in one region with their status, running and pending task counts, active
    services and registered container instances. Start here to find a cluster's name."""
    region = ecs.meta.region_name
    pages = TokenPages.resume(args.cursor, {"region": region}, args.max_results)
    response = pages.fetch(ecs.list_clusters, paged_by="nextToken", maxResults=pages.size)
    arns, next_cursor = pages.window(response.get("clusterArns", []), response.get("nextToken"))
    found = ecs.describe_clusters(clusters=arns)["clusters"] if arns else []
    clusters = [
        Cluster(
            name=c.get("clusterName", ""),
            status=c.get("status"),
            running_tasks=c.get("runningTasksCount", 0),
            pending_tasks=c.get("pendingTasksCount", 0),
            active_services=c.get("activeServicesCount", 0),
            container_instances=c.get("registeredContainerInstancesCount", 0),
        )
        for c in found
    ]
    page = ListClustersOutput(region=region, count=len(clusters), clusters=clusters, next_cursor=next_cursor)
    return page.resume_with(pages.cursor_at)


# -- services ---------------------------------------------------------------------------------


class ServiceSummary(Item):
    item_key = "name"

    name: str
    status: str | None = None
    desired_count: int | None = None
    running_count: int | None = None
    pending_count: int | None = None
    launch_type: str | None = Field(
        default=None, description="FARGATE, EC2 or EXTERNAL; else the capacity provider."
    )
    task_definition: str | None = Field(default=None, description="family:revision.")


class ListServicesInput(RegionalInput):
    cluster: ClusterRef
    fields: Fields[ServiceSummary] = None
    max_results: int = page_size(most=100)
    cursor: Cursor = None


class ListServicesOutput(Paged):
    items_field = "services"

    region: str
    cluster: str
    services: list[ServiceSummary]


@tool(
    name="ecs_list_services",
    title="List ECS services",
    iam_actions=("ecs:ListServices", "ecs:DescribeServices"),
    read_only=True,
    idempotent=True,
    examples=(
        Example({"cluster": "storefront"}, {"cluster": "storefront", "count": 1, "next_cursor": None}),
    ),
)
def list_services(ecs: ECSClient, args: ListServicesInput) -> ListServicesOutput:
    """List the services of one ECS cluster with their desired, running and pending task counts,
    launch type, task definition and status. A running count below the desired count means tasks
    fail to start or stay up: see ecs_describe_service and ecs_list_tasks."""
    region = ecs.meta.region_name
    pages = TokenPages.resume(args.cursor, {"region": region, "cluster": args.cluster}, args.max_results)
    response = pages.fetch(
        ecs.list_services, paged_by="nextToken", cluster=args.cluster, maxResults=pages.size
    )
    arns, next_cursor = pages.window(response.get("serviceArns", []), response.get("nextToken"))
    found: list[Any] = []
    for start in range(0, len(arns), _DESCRIBE_SERVICES_MAX):
        chunk = arns[start : start + _DESCRIBE_SERVICES_MAX]
        found += ecs.describe_services(cluster=args.cluster, services=chunk)["services"]
    services = [ServiceSummary(**_service_counts(s)) for s in found]
    page = ListServicesOutput(
        region=region,
        cluster=_last_part(args.cluster),
        count=len(services),
        services=services,
        next_cursor=next_cursor,
    )
    return page.resume_with(pages.cursor_at)


class DescribeServiceInput(RegionalInput):
    cluster: ClusterRef
    service: ServiceRef


class Deployment(BaseModel):
    id: str
    status: str | None = Field(description="PRIMARY: the newest; ACTIVE: being replaced.")
    rollout_state: str | None = Field(description="COMPLETED, IN_PROGRESS or FAILED.")
    rollout_state_reason: str | None
    desired_count: int
    running_count: int
    pending_count: int
    failed_tasks: int
    task_definition: str | None
    created_at: str | None
    updated_at: str | None


class ServiceEvent(BaseModel):
    at: str | None
    message: str


class LoadBalancer(BaseModel):
    target_group_arn: str | None
    load_balancer_name: str | None = Field(description="Classic load balancers only.")
    container_name: str | None
    container_port: int | None


class ServiceDetail(ServiceSummary):
    cluster: str
    created_at: str | None
    deployments: list[Deployment]
    events: list[ServiceEvent] = Field(description=f"The {_EVENTS_SHOWN} most recent, newest first.")
    load_balancers: list[LoadBalancer]


class DescribeServiceOutput(BaseModel):
    region: str
    service: ServiceDetail


@tool(
    name="ecs_describe_service",
    title="Describe an ECS service",
    iam_actions=("ecs:DescribeServices",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"cluster": "storefront", "service": "web"},
            {
                "region": "us-east-1",
                "service": {"name": "web", "status": "ACTIVE", "desired_count": 2, "running_count": 2},
            },
        ),
        Example(
            {"cluster": "storefront", "service": "no-such-service"},
            None,
            error_contains=("ServiceNotFoundException", "no-such-service"),
        ),
    ),
)
def describe_service(ecs: ECSClient, args: DescribeServiceInput) -> DescribeServiceOutput:
    """Show one ECS service: task counts, its deployments (status, rollout state, counts, task
    definition), its 10 most recent events, newest first, and its load balancers. Use it to see why
    a service is not at its desired count or whether a deployment finished."""
    found = ecs.describe_services(cluster=args.cluster, services=[args.service])["services"]
    if not found:
        raise ClientError(
            {
                "Error": {
                    "Code": "ServiceNotFoundException",
                    "Message": f"Service {args.service} not found in cluster {args.cluster}",
                }
            },
            "DescribeServices",
        )
    service = found[0]
    events = sorted(service.get("events", []), key=lambda e: _epoch(e.get("createdAt")), reverse=True)
    detail = ServiceDetail(
        **_service_counts(service),
        cluster=_last_part(service.get("clusterArn") or args.cluster),
        created_at=_iso(service.get("createdAt")),
        deployments=[
            Deployment(
                id=d.get("id", ""),
                status=d.get("status"),
                rollout_state=d.get("rolloutState"),
                rollout_state_reason=d.get("rolloutStateReason"),
                desired_count=d.get("desiredCount", 0),
                running_count=d.get("runningCount", 0),
                pending_count=d.get("pendingCount", 0),
                failed_tasks=d.get("failedTasks", 0),
                task_definition=_task_definition(d.get("taskDefinition")),
                created_at=_iso(d.get("createdAt")),
                updated_at=_iso(d.get("updatedAt")),
            )
            for d in service.get("deployments", [])
        ],
        events=[
            ServiceEvent(at=_iso(e.get("createdAt")), message=e.get("message", ""))
            for e in events[:_EVENTS_SHOWN]
        ],
        load_balancers=[
            LoadBalancer(
                target_group_arn=lb.get("targetGroupArn"),
                load_balancer_name=lb.get("loadBalancerName"),
                container_name=lb.get("containerName"),
                container_port=lb.get("containerPort"),
            )
            for lb in service.get("loadBalancers", [])
        ],
    )
    return DescribeServiceOutput(region=ecs.meta.region_name, service=detail)


# -- tasks ------------------------------------------------------------------------------------


class Container(BaseModel):
    name: str
    last_status: str | None
    exit_code: int | None
    reason: str | None = Field(description="Why the container stopped, when ECS says.")


class Task(Item):
    item_key = "task_id"

    task_id: str
    task_definition: str | None = Field(default=None, description="family:revision.")
    last_status: str | None = None
    desired_status: str | None = None
    started_at: str | None = None
    stopped_at: str | None = None
    stopped_reason: str | None = Field(default=None, description="Why the task stopped, when it did.")
    stop_code: str | None = Field(
        default=None, description="e.g. EssentialContainerExited, TaskFailedToStart, UserInitiated."
    )
    containers: list[Container] | None = None


class ListTasksInput(RegionalInput):
    cluster: ClusterRef
    service: ServiceRef | None = Field(default=None, description="Only the tasks of this service.")
    desired_status: Literal["RUNNING", "STOPPED"] = Field(
        default="RUNNING",
        description="RUNNING: tasks running or starting; STOPPED: tasks that stopped recently (ECS keeps "
        "them about an hour), each saying why.",
    )
    fields: Fields[Task] = None
    max_results: int = page_size(most=100)
    cursor: Cursor = None


class ListTasksOutput(Paged):
    items_field = "tasks"

    region: str
    cluster: str
    tasks: list[Task]


@tool(
    name="ecs_list_tasks",
    title="List ECS tasks",
    iam_actions=("ecs:ListTasks", "ecs:DescribeTasks"),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"cluster": "storefront", "desired_status": "STOPPED"},
            {"cluster": "storefront", "count": 2, "next_cursor": None},
        ),
        Example(
            {"cluster": "storefront", "service": "web", "fields": ["last_status"]},
            {"cluster": "storefront", "count": 2},
        ),
    ),
)
def list_tasks(ecs: ECSClient, args: ListTasksInput) -> ListTasksOutput:
    """List the tasks of one ECS cluster, or of one service, running or recently stopped, each with
    its task definition, status, start and stop times, why it stopped and its containers' exit codes
    and reasons. Ask for desired_status STOPPED to find out why tasks keep dying."""
    region = ecs.meta.region_name
    question = {
        "region": region,
        "cluster": args.cluster,
        "service": args.service,
        "desired_status": args.desired_status,
    }
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    request: dict[str, Any] = {
        "cluster": args.cluster,
        "desiredStatus": args.desired_status,
        "maxResults": pages.size,
    }
    if args.service:
        request["serviceName"] = _last_part(args.service)
    response = pages.fetch(ecs.list_tasks, paged_by="nextToken", **request)
    arns, next_cursor = pages.window(response.get("taskArns", []), response.get("nextToken"))
    found = ecs.describe_tasks(cluster=args.cluster, tasks=arns)["tasks"] if arns else []
    tasks = [_task(t) for t in found]
    page = ListTasksOutput(
        region=region,
        cluster=_last_part(args.cluster),
        count=len(tasks),
        tasks=tasks,
        next_cursor=next_cursor,
    )
    return page.resume_with(pages.cursor_at)


# -- changing a service -----------------------------------------------------------------------


class UpdateServiceInput(MutatingInput):
    cluster: ClusterRef
    service: ServiceRef
    desired_count: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="How many tasks the service should run. 0 stops every task of the service.",
    )
    force_new_deployment: bool = Field(
        default=False,
        description="Replace every task with a fresh one of the same task definition (to pick up a new "
        "image behind the same tag, or new secrets).",
    )

    @model_validator(mode="after")
    def _asks_for_something(self) -> Self:
        if self.desired_count is None and not self.force_new_deployment:
            raise ValueError("pass desired_count, force_new_deployment=true, or both")
        return self


class UpdateServiceOutput(MutatingOutput):
    region: str
    cluster: str
    service: str
    desired_count: int
    running_count: int
    pending_count: int
    deployment_id: str | None = Field(description="The service's newest (PRIMARY) deployment.")
    message: str


@tool(
    name="ecs_update_service",
    title="Scale or redeploy an ECS service",
    iam_actions=("ecs:UpdateService",),
    read_only=False,
    destructive=False,
    # Not idempotent: every force_new_deployment starts another deployment.
    idempotent=False,
    examples=(
        Example(
            {"cluster": "storefront", "service": "web", "desired_count": 2},
            {"cluster": "storefront", "service": "web", "desired_count": 2},
        ),
    ),
)
def update_service(ecs: ECSClient, args: UpdateServiceInput) -> UpdateServiceOutput:
    """Set an ECS service's desired task count (0 to 1000; 0 stops every task of the service) and/or
    force a new deployment that replaces its tasks. Warning: desired_count 0 takes the service down.
    Check the result with ecs_describe_service."""
    request: dict[str, Any] = {"cluster": args.cluster, "service": args.service}
    if args.desired_count is not None:
        request["desiredCount"] = args.desired_count
    if args.force_new_deployment:
        request["forceNewDeployment"] = True
    service = ecs.update_service(**request)["service"]
    primary = next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)
    done = []
    if args.desired_count is not None:
        done.append(f"desired count set to {args.desired_count}")
    if args.force_new_deployment:
        done.append("new deployment started")
    return UpdateServiceOutput(
        region=ecs.meta.region_name,
        cluster=_last_part(service.get("clusterArn") or args.cluster),
        service=service.get("serviceName", _last_part(args.service)),
        desired_count=service.get("desiredCount", 0),
        running_count=service.get("runningCount", 0),
        pending_count=service.get("pendingCount", 0),
        deployment_id=primary.get("id") if primary else None,
        message="; ".join(done).capitalize() + ". ECS converges on it within minutes.",
    )


TOOLSET = "containers"
TOOLS = (list_clusters, list_services, describe_service, list_tasks, update_service)


# -- shaping ----------------------------------------------------------------------------------


def _last_part(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1]


def _task_definition(arn: str | None) -> str | None:
    return _last_part(arn) if arn else None


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else 0.0


def _service_counts(service: Any) -> dict[str, Any]:
    strategy = service.get("capacityProviderStrategy") or [{}]
    return {
        "name": service.get("serviceName", ""),
        "status": service.get("status"),
        "desired_count": service.get("desiredCount", 0),
        "running_count": service.get("runningCount", 0),
        "pending_count": service.get("pendingCount", 0),
        "launch_type": service.get("launchType") or strategy[0].get("capacityProvider"),
        "task_definition": _task_definition(service.get("taskDefinition")),
    }


def _task(task: Any) -> Task:
    # Named fields only: a task's overrides may hold environment values.
    return Task(
        task_id=_last_part(task.get("taskArn", "")),
        task_definition=_task_definition(task.get("taskDefinitionArn")),
        last_status=task.get("lastStatus"),
        desired_status=task.get("desiredStatus"),
        started_at=_iso(task.get("startedAt")),
        stopped_at=_iso(task.get("stoppedAt")),
        stopped_reason=task.get("stoppedReason") or None,
        stop_code=task.get("stopCode"),
        containers=[
            Container(
                name=c.get("name", ""),
                last_status=c.get("lastStatus"),
                exit_code=c.get("exitCode"),
                reason=c.get("reason"),
            )
            for c in task.get("containers", [])
        ],
    )
