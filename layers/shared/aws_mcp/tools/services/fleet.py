"""Fleet tools: one read across accounts and regions (``fleet_list``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from aws_mcp.accounts import ALL
from aws_mcp.aws.regions import check_region
from aws_mcp.errors import ToolInputError
from aws_mcp.fleet.fanout import FanOut, FleetScope
from aws_mcp.tools.contract import Example, ReadTool, ToolInput, tool

__all__ = ["TOOLS", "TOOLSET"]


def _region_or_all(name: str) -> str:
    return name if name == ALL else check_region(name)


class FleetListInput(ToolInput):
    tool: str = Field(max_length=64, description="A read-only tool, e.g. ec2_list_instances")
    arguments: dict[str, Any] | None = Field(
        default=None, max_length=30, description="Its arguments, less account and region"
    )
    accounts: list[Annotated[str, Field(max_length=32)]] | None = Field(
        default=None, max_length=50, description="Aliases or ids; default: every registered"
    )
    regions: list[Annotated[str, Field(max_length=32), AfterValidator(_region_or_all)]] | None = Field(
        default=None, max_length=40, description="Default: each account's own"
    )


class FleetListOutput(BaseModel):
    targets: int = Field(description="Accounts x regions asked.")
    answered: int = Field(description="Targets that answered.")
    items: list[dict[str, Any]] = Field(description="Every answer's items, each with account and region.")
    errors: list[dict[str, str]] = Field(default_factory=list, description="Targets that failed, and why.")
    not_reached: list[dict[str, str]] = Field(default_factory=list, description="Targets out of time.")
    more: list[dict[str, str]] = Field(default_factory=list, description="Targets with further pages.")
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
            {"tool": "aws_whoami", "regions": ["us-east-1"]},
            {"targets": 3, "answered": 3, "errors": [], "not_reached": []},
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
        answered=len(found.answered),
        items=found.items,
        errors=found.errors,
        not_reached=found.not_reached,
        more=found.more,
    )


TOOLSET = "fleet"
TOOLS = (fleet_list,)
