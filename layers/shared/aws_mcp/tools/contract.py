"""The tool contract: what a tool declares, the base models of its arguments and results, its answer.

A tool is a plain function ``fn(*clients, args) -> Output`` declared with :func:`tool`. It
receives its boto3 clients (never builds them), and never reads the environment or writes
audit records: the registry (:mod:`aws_mcp.tools.registry`) does all that around every call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from aws_mcp.aws.regions import check_region
from aws_mcp.tools.schema import model_schema

__all__ = [
    "MutatingInput",
    "MutatingOutput",
    "RegionalInput",
    "Replayed",
    "ToolInput",
    "ToolOutcome",
    "ToolSpec",
    "tool",
]

_NAME: Final = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
_REGION: Final = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$"
# What 2025-03-26 does not know of a tool.
_NEWER_FIELDS: Final = ("title", "outputSchema")


class ToolInput(BaseModel):
    """Base of every tool's arguments: unknown arguments are refused."""

    model_config = ConfigDict(extra="forbid")


class RegionalInput(ToolInput):
    """Base of the arguments of every tool that calls AWS in a region: adds ``region``."""

    region: Annotated[str, AfterValidator(check_region)] | None = Field(
        default=None,
        max_length=32,
        pattern=_REGION,
        description="AWS region to act in, such as us-east-1. Omit it to use the server's default region.",
    )


class MutatingInput(RegionalInput):
    """Base of every mutating tool's arguments: adds the client's optional idempotency key."""

    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Any string unique to this intended change. Calls repeating the key replay the first "
        "call's result instead of acting again. Without it, identical arguments from the same caller "
        "count as one change only within a few seconds (a retry); later they act again.",
    )


class Replayed(BaseModel):
    original_call_at: str = Field(description="When the call whose result this repeats was made (UTC).")
    idempotency_key: str | None = Field(description="The key both calls carried; null: none.")
    note: str = Field(description="What happened, and how to make the change again.")


class MutatingOutput(BaseModel):
    """Base of every mutating tool's output: says when a result repeats an earlier call's."""

    replayed: Replayed | None = Field(
        default=None,
        description="Present when nothing was done now: this result repeats an identical earlier call's.",
    )


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """A tool's answer, transport-neutral: the protocol layer renders it per revision."""

    text: str
    structured: dict[str, Any] | None = None
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    title: str
    description: str
    input_model: type[ToolInput]
    output_model: type[BaseModel]
    func: Callable[..., BaseModel]
    # boto3 service names, passed to ``func`` as clients in this order.
    clients: tuple[str, ...]
    # IAM actions the tool needs; the template's policies are checked against these.
    iam_actions: tuple[str, ...]
    read_only: bool
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = True
    _definition: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _legacy: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def mutating(self) -> bool:
        return not self.read_only

    def legacy_definition(self) -> dict[str, Any]:
        """The ``tools/list`` entry as 2025-03-26 knows it: no ``title``, no ``outputSchema``."""
        if not self._legacy:
            self._legacy.update({k: v for k, v in self.definition().items() if k not in _NEWER_FIELDS})
        return self._legacy

    def definition(self) -> dict[str, Any]:
        """The ``tools/list`` entry (latest shape), computed once."""
        if not self._definition:
            self._definition.update(
                name=self.name,
                title=self.title,
                description=self.description,
                inputSchema=model_schema(self.input_model, "validation"),
                outputSchema=model_schema(self.output_model, "serialization"),
                annotations={
                    "title": self.title,
                    "readOnlyHint": self.read_only,
                    "destructiveHint": self.destructive,
                    "idempotentHint": self.idempotent,
                    "openWorldHint": self.open_world,
                },
            )
        return self._definition


def tool(
    *,
    name: str,
    title: str,
    input: type[ToolInput],
    output: type[BaseModel],
    clients: tuple[str, ...],
    iam_actions: tuple[str, ...],
    read_only: bool,
    destructive: bool = False,
    idempotent: bool = False,
    open_world: bool = True,
) -> Callable[[Callable[..., BaseModel]], ToolSpec]:
    """Declare a tool; the decorated function's docstring is its description for the model."""
    if not _NAME.match(name) or len(name) > 64:
        raise ValueError(f"tool name {name!r} must be service_verb_noun snake_case, at most 64 characters")
    if read_only and destructive:
        raise ValueError(f"tool {name!r} cannot be both read-only and destructive")
    if not read_only and not issubclass(input, MutatingInput):
        raise ValueError(f"mutating tool {name!r} must take a MutatingInput (for its idempotency_key)")
    if not read_only and not issubclass(output, MutatingOutput):
        raise ValueError(f"mutating tool {name!r} must return a MutatingOutput (it may be a replay)")

    def declare(func: Callable[..., BaseModel]) -> ToolSpec:
        description = " ".join((func.__doc__ or "").split())
        if not description:
            raise ValueError(f"tool {name!r} needs a docstring: it is the description the model reads")
        return ToolSpec(
            name=name,
            title=title,
            description=description,
            input_model=input,
            output_model=output,
            func=func,
            clients=clients,
            iam_actions=iam_actions,
            read_only=read_only,
            destructive=destructive,
            idempotent=idempotent,
            open_world=open_world,
        )

    return declare
