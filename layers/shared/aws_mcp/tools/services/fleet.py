"""Fleet tools: one read across accounts and regions (``fleet_list``); the resource registry's
search and counts (``fleet_search``, ``fleet_summary``), answered from its table alone."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr

from aws_mcp.audit.record import AuditRecord
from aws_mcp.audit.record import now as audit_now
from aws_mcp.errors import ToolInputError
from aws_mcp.fleet.bulk import TYPES, Bulk
from aws_mcp.fleet.collectors import COLLECTORS
from aws_mcp.fleet.fanout import FanOut, FleetScope
from aws_mcp.fleet.inventory import InventoryStore
from aws_mcp.fleet.refresh import Refresher
from aws_mcp.tools.contract import (
    Example,
    MutatingInput,
    MutatingOutput,
    ReadTool,
    ToolInput,
    region_or_all,
    tool,
)

__all__ = ["TOOLS", "TOOLSET"]


class FleetListInput(ToolInput):
    tool: str = Field(max_length=64, description="A read-only tool, e.g. ec2_list_instances")
    arguments: dict[str, Any] | None = Field(
        default=None, max_length=30, description="Its arguments, less account and region"
    )
    accounts: list[Annotated[str, Field(max_length=32)]] | None = Field(
        default=None, max_length=50, description="Aliases or ids; default: every registered"
    )
    regions: list[Annotated[str, Field(max_length=32), AfterValidator(region_or_all)]] | None = Field(
        default=None, max_length=40, description="Default: each account's own"
    )


class FleetListOutput(BaseModel):
    targets: int = Field(description="Accounts x regions asked.")
    answered: int = Field(description="Targets that answered.")
    items: list[dict[str, Any]] = Field(description="Every answer's items, each with account and region.")
    errors: list[dict[str, str]] = Field(default_factory=list, description="Targets that failed, and why.")
    not_reached: list[dict[str, str]] = Field(default_factory=list, description="Targets out of time.")
    more: list[dict[str, str]] = Field(
        default_factory=list, description="Targets with further pages, and the cursor to continue each."
    )
    truncated: str | None = Field(default=None, description="Items left out to fit.")

    def shrunk(self) -> FleetListOutput | None:
        """The same answer with half the items, saying so (the registry's result budget)."""
        if not self.items:
            return None
        kept = self.items[: len(self.items) // 2]
        total = len(self.items) if self.truncated is None else int(self.truncated.split(" of ")[1].split()[0])
        note = f"{len(kept)} of {total} items kept to fit; ask per account or region, or with filters."
        return self.model_copy(update={"items": kept, "truncated": note})


@tool(
    name="fleet_list",
    title="Read across accounts and regions",
    iam_actions=(),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"tool": "aws_whoami", "accounts": ["*"], "regions": ["us-east-1"]},
            {"errors": [], "not_reached": []},
        ),
    ),
)
def fleet_list(fleet_scope: FleetScope, read_tool: ReadTool, args: FleetListInput) -> FleetListOutput:
    """Run one read-only tool in many accounts and regions at once; items carry account and region.
    Failed and unreached targets are named, never dropped."""
    arguments = dict(args.arguments or {})
    if {"account", "region"} & arguments.keys():
        raise ToolInputError("Name accounts and regions in accounts and regions, not in arguments.")
    if args.tool == "fleet_list":
        raise ToolInputError("fleet_list cannot fan out itself.")
    targets = fleet_scope.targets(args.accounts, args.regions)
    found = FanOut(fleet_scope, read_tool).run(args.tool, arguments, targets)
    return FleetListOutput(
        targets=len(targets),
        answered=len(found.answers),
        items=found.items,
        errors=found.errors,
        not_reached=found.not_reached,
        more=found.more,
    )


def _store(store: InventoryStore | None) -> InventoryStore:
    if store is None:
        raise ToolInputError(
            "The resource registry is not set up here (no fleet table): use fleet_list to read live."
        )
    return store


_Short = Annotated[str, Field(max_length=64)]
# The registry's types (collectors.COLLECTORS; a test holds them equal).
RegistryType = Literal[
    "ec2:instance",
    "ec2:volume",
    "ec2:vpc",
    "ec2:subnet",
    "ec2:security-group",
    "ec2:snapshot",
    "s3:bucket",
    "lambda:function",
    "rds:db-instance",
    "rds:db-cluster",
    "ecs:cluster",
    "ecs:service",
    "autoscaling:group",
    "elasticloadbalancing:loadbalancer",
    "dynamodb:table",
]


class FleetSearchInput(ToolInput):
    type: RegistryType = Field(default="ec2:instance", description="Resource type")
    accounts: list[_Short] | None = Field(default=None, max_length=50, description="Account aliases")
    regions: list[_Short] | None = Field(default=None, max_length=40, description="Regions")
    states: list[_Short] | None = Field(
        default=None, max_length=10, description="e.g. running; gone: no longer seen"
    )
    tags: dict[_Short, _Short] | None = Field(
        default=None, max_length=10, description="Tags every result has"
    )
    name: str | None = Field(default=None, max_length=128, description="Part of the name")
    max_results: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2048)


class FleetSearchOutput(BaseModel):
    _cursors: list[str] = PrivateAttr(default_factory=list)

    count: int = Field(description="Resources on this page.")
    resources: list[dict[str, Any]] = Field(
        description="Type, id, ARN, name, account, region, state, tags, attributes, last_seen."
    )
    next_cursor: str | None = Field(default=None, description="Pass as cursor for more.")
    truncated: str | None = Field(default=None, description="Why this page is shorter.")
    failed: list[dict[str, str]] = Field(
        default_factory=list,
        description="Targets whose last refresh failed to read this type, and why.",
    )

    def shrunk(self) -> FleetSearchOutput | None:
        """Half the page, continuing after its last resource (the registry's result budget)."""
        if len(self.resources) < 2:
            return None
        keep = len(self.resources) // 2
        smaller = self.model_copy(
            update={
                "count": keep,
                "resources": self.resources[:keep],
                "next_cursor": self._cursors[keep - 1],
                "truncated": "cut to fit the result budget; the cursor continues after the last one",
            }
        )
        smaller._cursors = self._cursors[:keep]
        return smaller


@tool(
    name="fleet_search",
    title="Search the resource registry",
    iam_actions=("dynamodb:Query",),
    read_only=True,
    idempotent=True,
    open_world=False,
    examples=(Example({"type": "ec2:volume", "name": "no-such-volume"}, {"count": 0, "resources": []}),),
)
def fleet_search(fleet_store: InventoryStore | None, args: FleetSearchInput) -> FleetSearchOutput:
    """Find resources across accounts and regions in the resource registry (refreshed hourly): by type,
    tags, account, region, state, name. Fast; no call to the accounts."""
    accounts = [a.strip().lower() for a in args.accounts] if args.accounts else None
    store = _store(fleet_store)
    found = store.search(
        type=args.type,
        accounts=accounts,
        regions=args.regions,
        states=args.states,
        tags=args.tags,
        name=args.name,
        include_gone="gone" in (args.states or ()),
        max_results=args.max_results,
        cursor=args.cursor,
    )
    output = FleetSearchOutput(
        count=len(found.resources),
        resources=found.resources,
        next_cursor=found.next_cursor,
        # Said on the first page; a cursor's pages continue the same answer.
        failed=store.failures(args.type, tags_apart=COLLECTORS[args.type].tagged_as is not None)
        if args.cursor is None
        else [],
    )
    output._cursors = found.cursors
    return output


class FleetSummaryInput(ToolInput):
    by: Literal["type", "account", "region", "state"] = Field(default="account", description="Grouping")


class FleetSummaryOutput(BaseModel):
    counts: dict[str, dict[str, int]] = Field(description="Per group, resources per type:state.")
    refreshed: dict[str, str] = Field(description="Per account#region, its last refresh (UTC).")
    failed: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="Per account#region, types its last refresh failed to read."
    )


@tool(
    name="fleet_summary",
    title="Count the resource registry",
    iam_actions=("dynamodb:Query",),
    read_only=True,
    idempotent=True,
    open_world=False,
    examples=(Example({"by": "state"}, {}),),
)
def fleet_summary(fleet_store: InventoryStore | None, args: FleetSummaryInput) -> FleetSummaryOutput:
    """Count the registry's resources by type, account, region or state, as of each target's last refresh."""
    counts: dict[str, dict[str, int]] = {}
    refreshed: dict[str, str] = {}
    failed: dict[str, dict[str, str]] = {}
    for row in _store(fleet_store).summary():
        refreshed[f"{row['account']}#{row['region']}"] = row["refreshed_at"]
        if row.get("errors"):
            failed[f"{row['account']}#{row['region']}"] = dict(row["errors"])
        for kind, states in row["counts"].items():
            for state, number in states.items():
                group = {"type": kind, "account": row["account"], "region": row["region"], "state": state}[
                    args.by
                ]
                bucket = counts.setdefault(group, {})
                key = f"{kind}:{state}" if args.by != "type" else state
                bucket[key] = bucket.get(key, 0) + int(number)
        if row.get("gone"):
            group = {"type": "-", "account": row["account"], "region": row["region"], "state": "gone"}[
                args.by
            ]
            counts.setdefault(group, {})["gone"] = counts.get(group, {}).get("gone", 0) + int(row["gone"])
    return FleetSummaryOutput(counts=counts, refreshed=refreshed, failed=failed)


class RefreshInput(ToolInput):
    accounts: list[_Short] | None = Field(
        default=None, max_length=50, description="Aliases or ids; default: every registered"
    )
    regions: list[Annotated[str, Field(max_length=32), AfterValidator(region_or_all)]] | None = Field(
        default=None, max_length=40, description="Default: each account's own"
    )


class RefreshOutput(BaseModel):
    run_id: str
    queued: int = Field(description="Accounts x regions queued.")
    units: int | None = Field(default=None, description="Done already (no worker function here).")
    failed: int | None = Field(default=None, description="Failed (retried on the next refresh).")


@tool(
    name="fleet_refresh",
    title="Refresh the resource registry",
    iam_actions=("sqs:SendMessage",),
    read_only=True,
    idempotent=True,
    open_world=False,
    examples=(Example({"regions": ["us-east-1"]}, {}),),
)
def fleet_refresh(
    fleet_refresher: Refresher | None, fleet_scope: FleetScope, args: RefreshInput
) -> RefreshOutput:
    """Refresh the resource registry now (it refreshes hourly) for some or all accounts and regions,
    e.g. after changes. Queued; fleet_summary's refreshed times show each target done."""
    if fleet_refresher is None:
        raise ToolInputError("The resource registry is not set up here (no fleet table and queue).")
    return RefreshOutput(**fleet_refresher.start(fleet_scope.targets(args.accounts, args.regions)))


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: str = Field(max_length=32)
    region: str = Field(max_length=32)
    id: str = Field(max_length=256, description="Instance id, group name, or cluster/service")


class PlanInput(MutatingInput):
    action: Literal["stop", "start", "tag", "untag", "set_capacity", "set_count"] = Field(
        description="The change"
    )
    type: RegistryType = Field(default="ec2:instance", description="Selector: registry type")
    targets: list[Target] | None = Field(default=None, max_length=200, description="Or: explicit targets")
    accounts: list[_Short] | None = Field(
        default=None, max_length=50, description="Selector: account aliases"
    )
    regions: list[_Short] | None = Field(default=None, max_length=40, description="Selector: regions")
    states: list[_Short] | None = Field(default=None, max_length=10, description="Selector: states")
    tags: dict[_Short, _Short] | None = Field(default=None, max_length=10, description="Selector: tags")
    set_tags: dict[_Short, _Short] | None = Field(default=None, max_length=10, description="For tag")
    tag_keys: list[_Short] | None = Field(default=None, max_length=10, description="For untag")
    value: int | None = Field(default=None, ge=0, le=10000, description="For set_capacity, set_count")


class PlanOutput(MutatingOutput):
    plan_id: str = Field(description="Pass to fleet_execute_plan.")
    action: str
    change: dict[str, Any]
    targets: list[dict[str, str]]
    target_hash: str
    expires_at: str


def _change(args: PlanInput) -> dict[str, Any]:
    needs = {
        "tag": ("set_tags", "tags"),
        "untag": ("tag_keys", "tag_keys"),
        "set_capacity": ("value", "value"),
        "set_count": ("value", "value"),
    }
    if args.action not in needs:
        return {}
    field, name = needs[args.action]
    given = getattr(args, field)
    if given is None:
        raise ToolInputError(f"{args.action} needs {field}.")
    return {name: given}


def _selected(store: InventoryStore | None, selector: dict[str, Any]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    cursor = None
    chosen = dict(selector)
    kind = chosen.pop("type", "ec2:instance")
    for _ in range(10):
        page = _store(store).search(type=kind, max_results=200, cursor=cursor, **chosen)
        found += [
            {"account": r["account"], "region": r["region"], "id": r["id"], "type": kind, "arn": r["arn"]}
            for r in page.resources
        ]
        cursor = page.next_cursor
        if cursor is None:
            return found
    raise ToolInputError(f"The selector matches more than 2,000 of {kind}: narrow it.")


def _type(args: PlanInput) -> str:
    """The selector's type: as given, else the one the action changes (instances for stop and start)."""
    kinds = TYPES.get(args.action)
    kind: str = args.type if "type" in args.model_fields_set or not kinds else kinds[0]
    if kinds and kind not in kinds:
        raise ToolInputError(f"{args.action} applies to {', '.join(kinds)}, not {kind}.")
    return kind


@tool(
    name="fleet_plan_change",
    title="Plan a bulk change",
    iam_actions=(),
    read_only=False,
    open_world=False,
    examples=(Example({"action": "stop", "tags": {"team": "nobody"}}, None, error_contains=("No target",)),),
)
def plan_change(
    bulk: Bulk | None, fleet_store: InventoryStore | None, caller: str, args: PlanInput
) -> PlanOutput:
    """Plan a change to resources chosen by a registry selector or targets: tag/untag any type;
    stop/start instances or RDS; set_capacity (Auto Scaling); set_count (ECS services). Changes nothing."""
    if bulk is None:
        raise ToolInputError("Bulk changes need the resource registry (a fleet table), not set up here.")
    change = _change(args)
    selector: dict[str, Any] = {
        k: v
        for k, v in {
            "accounts": args.accounts,
            "regions": args.regions,
            "states": args.states,
            "tags": args.tags,
        }.items()
        if v
    }
    if args.targets:
        if selector or "type" in args.model_fields_set:
            raise ToolInputError("Give targets or a selector, not both.")
        targets = [t.model_dump() for t in args.targets]
        chosen = None
    elif not selector and "type" not in args.model_fields_set:
        raise ToolInputError("Give a selector (type, accounts, regions, states, tags) or targets.")
    else:
        selector["type"] = _type(args)
        targets, chosen = _selected(fleet_store, selector), selector
    plan = bulk.plan(caller, args.action, change, targets, chosen)
    return PlanOutput(
        plan_id=plan.plan_id,
        action=plan.action,
        change=plan.change,
        targets=plan.targets,
        target_hash=plan.target_hash,
        expires_at=plan.expires_at.isoformat(timespec="seconds"),
    )


class ExecuteInput(MutatingInput):
    plan_id: str = Field(max_length=64, description="From fleet_plan_change")


class ExecuteOutput(MutatingOutput):
    plan_id: str
    counts: dict[str, int] = Field(description="Targets per status: done, failed, not_reached.")
    results: list[dict[str, str]] = Field(description="Per target: status and detail.")


@tool(
    name="fleet_execute_plan",
    title="Execute a bulk change",
    iam_actions=(),
    read_only=False,
    destructive=True,
    open_world=False,
    examples=(Example({"plan_id": "0" * 32}, None, error_contains=("No plan",)),),
)
def execute_plan(
    bulk: Bulk | None, fleet_store: InventoryStore | None, caller: str, args: ExecuteInput
) -> ExecuteOutput:
    """Execute a plan by id: each target changed once, audited, at a bounded rate. Refused if expired,
    another caller's, or its targets changed. Failed or unreached targets: execute again."""
    if bulk is None:
        raise ToolInputError("Bulk changes need the resource registry (a fleet table), not set up here.")
    plan = bulk.load(args.plan_id, caller)
    now = _selected(fleet_store, plan.selector) if plan.selector else None
    record = AuditRecord(tool="fleet_execute_plan", caller=caller, arguments={}, started_at=audit_now())
    done = bulk.execute(plan, now, record)
    return ExecuteOutput(plan_id=done["plan_id"], counts=done["counts"], results=done["results"])


TOOLSET = "fleet"
TOOLS = (fleet_list, fleet_search, fleet_summary, fleet_refresh, plan_change, execute_plan)
