"""Elastic Load Balancing (v2: application, network and gateway load balancers): load balancers with
their listeners, target groups, and the health of a target group's targets."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, get_args

from pydantic import Field, model_validator

from aws_mcp.tools.contract import Example, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, asked, page_size

if TYPE_CHECKING:
    from mypy_boto3_elbv2 import ElasticLoadBalancingv2Client

__all__ = ["TOOLS", "TOOLSET"]

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?"


def _ref(kind: str) -> str:
    """A name, or an ARN of ``kind`` whose other parts AWS checks (in full, 60 tokens in every tools/list)."""
    return rf"^({_NAME}|arn:aws[a-z-]*:elasticloadbalancing:\S+:{kind}/\S+)$"


LoadBalancerName = Annotated[str, Field(max_length=32, pattern=rf"^{_NAME}$")]
LoadBalancerRef = Annotated[
    str,
    Field(
        max_length=200,
        pattern=_ref("loadbalancer"),
        description="A load balancer's name or ARN.",
    ),
]
TargetGroupName = Annotated[str, Field(max_length=32, pattern=rf"^{_NAME}$")]
TargetGroupRef = Annotated[
    str,
    Field(
        max_length=200,
        pattern=_ref("targetgroup"),
        description="A target group's name or ARN.",
    ),
]
TargetState = Literal[
    "initial", "healthy", "unhealthy", "unhealthy.draining", "unused", "draining", "unavailable"
]


class LoadBalancer(Item):
    item_key = "name"

    name: str
    arn: str | None = None
    type: str | None = Field(default=None, description="application, network or gateway.")
    scheme: str | None = Field(default=None, description="internet-facing or internal.")
    state: str | None = Field(default=None, description="active, provisioning, failed, ...")
    dns_name: str | None = None
    vpc_id: str | None = None
    availability_zones: list[str] | None = None
    listeners: list[str] | None = Field(
        default=None, description='One line a listener, e.g. "HTTP:80 forward to web".'
    )


class ListLoadBalancersInput(RegionalInput):
    names: list[LoadBalancerName] | None = Field(
        default=None, max_length=20, description="Only these load balancers."
    )
    fields: Fields[LoadBalancer] = None
    max_results: int = page_size(10, most=20)
    cursor: Cursor = None


class ListLoadBalancersOutput(Paged):
    items_field = "load_balancers"

    region: str
    load_balancers: list[LoadBalancer]


class TargetGroup(Item):
    item_key = "name"

    name: str
    arn: str | None = None
    protocol: str | None = None
    port: int | None = None
    target_type: str | None = Field(default=None, description="instance, ip, lambda or alb.")
    vpc_id: str | None = None
    health_check_protocol: str | None = None
    health_check_port: str | None = Field(
        default=None, description='"traffic-port": the port targets serve on.'
    )
    health_check_path: str | None = None
    load_balancers: list[str] | None = Field(
        default=None, description="Names of the load balancers using it."
    )


class ListTargetGroupsInput(RegionalInput):
    load_balancer: LoadBalancerRef | None = Field(
        default=None, description="Only the target groups of this load balancer (its name or ARN)."
    )
    names: list[TargetGroupName] | None = Field(
        default=None, max_length=20, description="Only these target groups (not with load_balancer)."
    )
    fields: Fields[TargetGroup] = None
    max_results: int = page_size(most=400)
    cursor: Cursor = None

    @model_validator(mode="after")
    def _one_filter(self) -> Self:
        if self.load_balancer and self.names:
            raise ValueError("pass load_balancer or names, not both")
        return self


class ListTargetGroupsOutput(Paged):
    items_field = "target_groups"

    region: str
    target_groups: list[TargetGroup]


class TargetHealth(Item):
    item_key = "target_id"

    target_id: str = Field(description="Instance id, IP address, Lambda function ARN or load balancer ARN.")
    port: int | None = None
    state: str | None = None
    reason: str | None = Field(
        default=None, description="Why it is not healthy, as a code, e.g. Target.FailedHealthChecks."
    )
    description: str | None = None


class GetTargetHealthInput(RegionalInput):
    target_group: TargetGroupRef
    states: list[TargetState] | None = Field(
        default=None,
        max_length=len(get_args(TargetState)),
        description='Only targets in these states, for example ["unhealthy", "unused"]. The summary still '
        "counts every target.",
    )
    fields: Fields[TargetHealth] = None
    max_results: int = page_size(50)
    cursor: Cursor = None


class GetTargetHealthOutput(Paged):
    items_field = "targets"

    region: str
    target_group: str
    summary: dict[str, int] = Field(description="How many targets are in each state, over the whole group.")
    targets: list[TargetHealth]


# -- tools ------------------------------------------------------------------------------------


@tool(
    name="elb_list_load_balancers",
    title="List load balancers",
    iam_actions=("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners"),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {},
            {
                "region": "us-east-1",
                "count": 1,
                "load_balancers": [
                    {
                        "name": "storefront-alb",
                        "type": "application",
                        "scheme": "internet-facing",
                        "listeners": ["HTTP:80 forward to storefront-web"],
                    }
                ],
            },
        ),
        Example(
            {"region": "eu-west-1", "fields": ["type", "listeners"]},
            {
                "region": "eu-west-1",
                "count": 1,
                "load_balancers": [
                    {"name": "api-eu-nlb", "type": "network", "listeners": ["TCP:443 forward to api-eu"]}
                ],
            },
        ),
    ),
)
def list_load_balancers(
    elbv2: ElasticLoadBalancingv2Client, args: ListLoadBalancersInput
) -> ListLoadBalancersOutput:
    """List application, network and gateway load balancers (not Classic): type, scheme, state, DNS
    name, VPC, zones, and each listener on one line with its default action. Filter by names; choose
    fields for a compact answer (without listeners, a faster one)."""
    region = elbv2.meta.region_name
    pages = TokenPages.resume(args.cursor, {"region": region, "names": args.names or []}, args.max_results)
    request: dict[str, Any] = {"PageSize": pages.size}
    if args.names:
        request["Names"] = args.names
    response = pages.fetch(elbv2.describe_load_balancers, paged_by="Marker", **request)
    found = response.get("LoadBalancers", [])[pages.offset :]
    # Listeners cost a call a load balancer: not made when not asked for.
    with_listeners = asked(args.fields, "listeners")
    balancers = [_load_balancer(lb, elbv2 if with_listeners else None) for lb in found]
    page = ListLoadBalancersOutput(
        region=region,
        count=len(balancers),
        load_balancers=balancers,
        next_cursor=pages.next_cursor(response.get("NextMarker")),
    )
    return page.resume_with(pages.cursor_at)


@tool(
    name="elb_list_target_groups",
    title="List load balancer target groups",
    iam_actions=("elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeLoadBalancers"),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {},
            {
                "region": "us-east-1",
                "count": 1,
                "target_groups": [
                    {
                        "name": "storefront-web",
                        "protocol": "HTTP",
                        "port": 80,
                        "target_type": "instance",
                        "health_check_path": "/health",
                        "load_balancers": ["storefront-alb"],
                    }
                ],
            },
        ),
        Example(
            {"load_balancer": "storefront-alb", "fields": ["port", "load_balancers"]},
            {"region": "us-east-1", "count": 1},
        ),
    ),
)
def list_target_groups(
    elbv2: ElasticLoadBalancingv2Client, args: ListTargetGroupsInput
) -> ListTargetGroupsOutput:
    """List load balancer target groups: protocol, port, target type, health check and the load
    balancers sending them traffic. Filter by a load balancer or by names. Target health:
    elb_get_target_health."""
    region = elbv2.meta.region_name
    question = {"region": region, "load_balancer": args.load_balancer, "names": args.names or []}
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    request: dict[str, Any] = {"PageSize": pages.size}
    if args.load_balancer:
        request["LoadBalancerArn"] = _load_balancer_arn(elbv2, args.load_balancer)
    if args.names:
        request["Names"] = args.names
    response = pages.fetch(elbv2.describe_target_groups, paged_by="Marker", **request)
    groups = [_target_group(g) for g in response.get("TargetGroups", [])][pages.offset :]
    page = ListTargetGroupsOutput(
        region=region,
        count=len(groups),
        target_groups=groups,
        next_cursor=pages.next_cursor(response.get("NextMarker")),
    )
    return page.resume_with(pages.cursor_at)


@tool(
    name="elb_get_target_health",
    title="Get the health of a target group's targets",
    iam_actions=("elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTargetGroups"),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"target_group": "storefront-web"},
            {"region": "us-east-1", "target_group": "storefront-web", "summary": {"healthy": 2, "unused": 1}},
        ),
        Example(
            {"target_group": "storefront-web", "states": ["unused"]},
            {"summary": {"healthy": 2, "unused": 1}, "count": 1},
        ),
    ),
)
def get_target_health(
    elbv2: ElasticLoadBalancingv2Client, args: GetTargetHealthInput
) -> GetTargetHealthOutput:
    """Show the health of every target in one target group: each target's port, state and, when not
    healthy, the reason and AWS's description, with a count by state. Set states to see only the
    unhealthy ones."""
    region = elbv2.meta.region_name
    question = {"region": region, "target_group": args.target_group, "states": args.states or []}
    # AWS answers every target at once: the page is a slice, its place an offset in the cursor.
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    arn = _target_group_arn(elbv2, args.target_group)
    described = elbv2.describe_target_health(TargetGroupArn=arn).get("TargetHealthDescriptions", [])
    every = [_target(d) for d in described]
    wanted = [t for t in every if not args.states or t.state in args.states]
    targets = wanted[pages.offset : pages.offset + pages.size]
    more = pages.offset + len(targets) < len(wanted)
    page = GetTargetHealthOutput(
        region=region,
        target_group=_name_in_arn(arn),
        summary=dict(sorted(Counter(t.state or "unknown" for t in every).items())),
        count=len(targets),
        targets=targets,
        next_cursor=pages.cursor_at(len(targets)) if more else None,
    )
    return page.resume_with(pages.cursor_at)


TOOLSET = "network"
TOOLS = (list_load_balancers, list_target_groups, get_target_health)


# -- calls ------------------------------------------------------------------------------------


def _load_balancer_arn(elbv2: ElasticLoadBalancingv2Client, ref: str) -> str:
    if ref.startswith("arn:"):
        return ref
    return elbv2.describe_load_balancers(Names=[ref])["LoadBalancers"][0]["LoadBalancerArn"]


def _target_group_arn(elbv2: ElasticLoadBalancingv2Client, ref: str) -> str:
    if ref.startswith("arn:"):
        return ref
    return elbv2.describe_target_groups(Names=[ref])["TargetGroups"][0]["TargetGroupArn"]


def _listeners(elbv2: ElasticLoadBalancingv2Client, arn: str) -> list[str]:
    # One page: a load balancer has at most 50 listeners by default, well under the page size.
    listeners = elbv2.describe_listeners(LoadBalancerArn=arn, PageSize=100).get("Listeners", [])
    return [
        f"{item.get('Protocol', '?')}:{item.get('Port', '?')} {_actions(item.get('DefaultActions', []))}"
        for item in sorted(listeners, key=lambda item: item.get("Port", 0))
    ]


# -- shaping ----------------------------------------------------------------------------------


def _name_in_arn(arn: str) -> str:
    """A name from an ELB ARN: ...:targetgroup/<name>/<id> or ...:loadbalancer/<type>/<name>/<id>."""
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else arn


def _actions(actions: Any) -> str:
    """A listener's default actions on one line, in the order they run."""
    return " then ".join(_action(a) for a in sorted(actions, key=lambda a: a.get("Order", 0))) or "no action"


def _action(action: Any) -> str:
    kind = str(action.get("Type", "?"))
    if kind == "forward":
        weighted = action.get("ForwardConfig", {}).get("TargetGroups", [])
        if len(weighted) > 1:
            shares = [f"{_name_in_arn(t['TargetGroupArn'])} (weight {t.get('Weight', 1)})" for t in weighted]
            return "forward to " + ", ".join(shares)
        arn = action.get("TargetGroupArn") or (weighted[0]["TargetGroupArn"] if weighted else "?")
        return f"forward to {_name_in_arn(arn)}"
    if kind == "redirect":
        config = action.get("RedirectConfig", {})
        where = f"{config.get('Protocol', '#{protocol}')}:{config.get('Port', '#{port}')}"
        return f"redirect to {where} ({config.get('StatusCode', '?')})"
    if kind == "fixed-response":
        return f"fixed response {action.get('FixedResponseConfig', {}).get('StatusCode', '?')}"
    if kind.startswith("authenticate-"):
        return f"authenticate ({kind.removeprefix('authenticate-')})"
    return kind


def _load_balancer(lb: Any, elbv2: ElasticLoadBalancingv2Client | None) -> LoadBalancer:
    balancer = LoadBalancer(
        name=lb["LoadBalancerName"],
        arn=lb.get("LoadBalancerArn"),
        type=lb.get("Type"),
        scheme=lb.get("Scheme"),
        state=lb.get("State", {}).get("Code"),
        dns_name=lb.get("DNSName"),
        vpc_id=lb.get("VpcId"),
        availability_zones=[z.get("ZoneName", "?") for z in lb.get("AvailabilityZones", [])],
    )
    if elbv2 is not None:
        balancer.listeners = _listeners(elbv2, lb["LoadBalancerArn"])
    return balancer


def _target_group(group: Any) -> TargetGroup:
    return TargetGroup(
        name=group["TargetGroupName"],
        arn=group.get("TargetGroupArn"),
        protocol=group.get("Protocol"),
        port=group.get("Port"),
        target_type=group.get("TargetType"),
        vpc_id=group.get("VpcId"),
        health_check_protocol=group.get("HealthCheckProtocol"),
        health_check_port=group.get("HealthCheckPort"),
        health_check_path=group.get("HealthCheckPath"),
        load_balancers=[_name_in_arn(arn) for arn in group.get("LoadBalancerArns", [])],
    )


def _target(description: Any) -> TargetHealth:
    target, health = description.get("Target", {}), description.get("TargetHealth", {})
    return TargetHealth(
        target_id=target.get("Id", "?"),
        port=target.get("Port"),
        state=health.get("State", "unknown"),
        reason=health.get("Reason"),
        description=health.get("Description"),
    )
