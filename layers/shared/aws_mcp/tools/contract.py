"""The tool contract: what a tool declares, the base models of its arguments and results, its answer.

A tool is a plain function ``fn(*clients, args) -> Output`` declared with :func:`tool`. It
receives its boto3 clients (never builds them), and never reads the environment or writes
audit records: the registry (:mod:`aws_mcp.tools.registry`) does all that around every call.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Protocol, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from aws_mcp.accounts import ALL
from aws_mcp.aws.regions import check_region
from aws_mcp.tools.paging import Paged
from aws_mcp.tools.schema import model_schema

__all__ = [
    "CALLER",
    "CALL_CLIENTS",
    "CONFIRMATION",
    "FANOUT",
    "READ_TOOL",
    "SAMPLE_INSTANCE_ID",
    "CallClients",
    "Example",
    "MutatingInput",
    "MutatingOutput",
    "ReadTool",
    "RegionalInput",
    "Replayed",
    "Spread",
    "ToolInput",
    "ToolOutcome",
    "ToolSpec",
    "region_or_all",
    "tool",
]

# The parameter name under which the registry gives a tool clients of any service, bound to the
# call's account, region and caller (tools whose services are chosen at call time: the executor).
CALL_CLIENTS: Final = "aws"


class CallClients(Protocol):
    def __call__(self, service: str, region: str | None = None) -> Any: ...


# The parameter name under which the registry gives a tool a way to run another read-only tool
# as part of its own call (the fan-out): argument validation, account, breaker and the tool, no
# audit record of its own (the calling tool's record covers it).
READ_TOOL: Final = "read_tool"


# The parameter name under which the registry gives a tool who is calling (plans are bound to it).
CALLER: Final = "caller"


class ReadTool(Protocol):
    def __call__(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]: ...


_NAME: Final = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
M = TypeVar("M", bound=BaseModel)


class ToolInput(BaseModel):
    """Base of every tool's arguments: unknown arguments are refused."""

    # defer_build: a model's validator is built on first use, not when its module is imported
    # (a server imports a service module when one of its tools is called; derive.py, all of them).
    model_config = ConfigDict(extra="forbid", defer_build=True)


class RegionalInput(ToolInput):
    """Base of the arguments of every tool that calls AWS in a region: adds ``region`` and ``account``."""

    # Neither pattern nor description: check_region knows every real region, the name says the
    # rest (default: the server's), and across 80 tools the tokens add up.
    region: Annotated[str, AfterValidator(check_region)] | None = Field(default=None, max_length=32)
    # Undescribed like region: an alias or id of the server's account registry (aws_mcp.accounts),
    # checked by the Account guard; default: the server's own account.
    account: str | None = Field(default=None, max_length=32)


def region_or_all(name: str) -> str:
    return name if name == ALL else check_region(name)


class Spread(BaseModel):
    """The arguments by which a list tool fans out across accounts and regions (aws_mcp.fleet.fanout):
    not in its input model; the Validate guard takes them off its arguments."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    accounts: list[Annotated[str, Field(max_length=32)]] | None = Field(
        default=None, max_length=50, description='["*"]: all'
    )
    # Undescribed as region is; the server's instructions say what ["*"] means.
    regions: list[Annotated[str, Field(max_length=32), AfterValidator(region_or_all)]] | None = Field(
        default=None, max_length=40
    )


class MutatingInput(RegionalInput):
    """Base of every mutating tool's arguments: adds the client's optional idempotency key."""

    # No description: the name is the term of art, and docs/ARCHITECTURE.md says how a repeat replays.
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=128)

    def client_token(self, region: str, *also: str) -> str:
        """The client token of an AWS API that acts once per token (EC2's RunInstances, Cloud
        Control) and answers a repeat with the first request.

        botocore would send a fresh token per call, which guards only its own retries of that call.
        A token derived from the call also lets AWS recognise the same intended change reaching it
        again (a client retrying after the registry's idempotency record expired, or where the
        server keeps none): from the caller's idempotency_key when given (with the arguments named
        in ``also``), else from a digest of all the arguments, so identical calls act once.
        """
        basis = (
            {"idempotency_key": self.idempotency_key, **{name: getattr(self, name) for name in also}}
            if self.idempotency_key
            else self.model_dump(mode="json")
        )
        text = json.dumps({**basis, "region": region}, sort_keys=True, separators=(",", ":"), default=str)
        # 56 characters of [a-z0-9-]: within every such API's limit (EC2 takes at most 64).
        return "aws-mcp-" + hashlib.sha256(text.encode()).hexdigest()[:48]


class Replayed(BaseModel):
    model_config = ConfigDict(defer_build=True)

    original_call_at: str = Field(description="When the call whose result this repeats was made (UTC).")
    idempotency_key: str | None = Field(description="The key both calls carried; null: none.")
    note: str = Field(description="What happened, and how to make the change again.")


class MutatingOutput(BaseModel):
    """Base of every mutating tool's output: says when a result repeats an earlier call's."""

    model_config = ConfigDict(defer_build=True)

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
    # 2026-07-28: the input-required result (inputRequests, requestState) to answer with instead.
    input_required: dict[str, Any] | None = None


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
    # Calls as an agent makes them, with what the demo answers (events/ is generated from them).
    examples: tuple[Example, ...] = ()
    # Output fields that can carry secrets (outputs, parameters, log lines): the registry redacts
    # them by the audit trail's rules before the result leaves (audit.record.redact_values).
    secret_fields: tuple[str, ...] = ()
    _definition: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def mutating(self) -> bool:
        return not self.read_only

    @property
    def spread_over(self) -> tuple[str, ...]:
        """The :class:`Spread` arguments this tool takes: a read-only list that needs no particular
        resource fans out over accounts, and over regions unless its answer names none (IAM's,
        S3's buckets: account-wide)."""
        if not (
            self.read_only
            and issubclass(self.output_model, Paged)
            and issubclass(self.input_model, RegionalInput)
            and not any(f.is_required() for f in self.input_model.model_fields.values())
        ):
            return ()
        return ("accounts", "regions") if "region" in self.output_model.model_fields else ("accounts",)

    def annotations(self) -> dict[str, bool]:
        """The hints. Whether a tool reads or destroys is always said (a client that reads
        ``destructiveHint`` alone must not take a read for a deletion); the others are said
        only where they differ from the spec's cautious defaults (not idempotent, open world)."""
        hints = {"readOnlyHint": self.read_only, "destructiveHint": self.destructive}
        if self.idempotent and not self.read_only:
            hints["idempotentHint"] = True
        if not self.open_world:
            hints["openWorldHint"] = False
        return hints

    def definition(self) -> dict[str, Any]:
        """The ``tools/list`` entry (latest shape), computed once."""
        if not self._definition:
            schema = model_schema(self.input_model, "validation")
            if self.destructive:
                schema = _with_confirmation(schema)
            if self.spread_over:
                schema = _with_spread(schema, self.spread_over)
            self._definition.update(
                name=self.name,
                title=self.title,
                description=self.description,
                inputSchema=schema,
                outputSchema=_with_fanout(model_schema(self.output_model, "serialization"))
                if self.spread_over
                else model_schema(self.output_model, "serialization"),
                annotations=self.annotations(),
            )
        return self._definition


# The argument a destructive tool takes the token of its plan back in (aws_mcp/auth/confirmation.py).
# Not in the input model: the Validate guard takes it off the arguments, so it never reaches the
# tool or its idempotency key; undescribed, since the plan says how to use it.
CONFIRMATION: Final = "confirmation"


def _with_confirmation(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        **schema,
        "properties": {**schema.get("properties", {}), CONFIRMATION: {"type": "string", "maxLength": 2048}},
    }


def _with_spread(schema: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    spread = model_schema(Spread, "validation")["properties"]
    return {**schema, "properties": {**schema.get("properties", {}), **{n: spread[n] for n in names}}}


# Where a fanned-out list says how its fan-out went (aws_mcp.fleet.fanout.FanOutResult.summary).
FANOUT: Final = "fanout"


def _with_fanout(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "properties": {**schema["properties"], FANOUT: {"type": "object"}}}


@dataclass(frozen=True, slots=True)
class Example:
    """A call as an agent makes it, and what the demo AWS (``aws-mcp serve --demo``) answers.

    ``answer`` is the part of ``structuredContent`` to expect, or None when the call answers
    an error whose text holds every one of ``error_contains``. The events in ``events/`` and
    their expectations are generated from each tool's first example. ``demo_machine``: the
    call again with that demo instance's id in place of :data:`SAMPLE_INSTANCE_ID`, answering
    ``demo_answer`` (the demo mints instance ids at random, so an example cannot name one).
    """

    arguments: dict[str, Any]
    answer: dict[str, Any] | None
    error_contains: tuple[str, ...] = ()
    demo_machine: str | None = None
    demo_answer: dict[str, Any] | None = None


# An instance id in examples: no demo machine has it.
SAMPLE_INSTANCE_ID: Final = "i-0123456789abcdef0"


def tool(
    *,
    name: str,
    title: str,
    iam_actions: tuple[str, ...],
    read_only: bool,
    destructive: bool = False,
    idempotent: bool = False,
    open_world: bool = True,
    examples: tuple[Example, ...] = (),
    secret_fields: tuple[str, ...] = (),
) -> Callable[[Callable[..., BaseModel]], ToolSpec]:
    """Declare a tool ``fn(*clients, args: Input) -> Output``.

    Everything else comes from the function: its docstring is the description the model
    reads, its last parameter's annotation the input model, its return annotation the output
    model, and the names of the parameters before it the clients it takes, in order (boto3
    service names, ``_`` for ``-``, a trailing ``_`` for a keyword such as ``lambda_``, or a service
    the registry injects, such as ``audit_store``).
    """
    if not _NAME.match(name) or len(name) > 64:
        raise ValueError(f"tool name {name!r} must be service_verb_noun snake_case, at most 64 characters")
    if read_only and destructive:
        raise ValueError(f"tool {name!r} cannot be both read-only and destructive")

    def declare(func: Callable[..., BaseModel]) -> ToolSpec:
        description = " ".join((func.__doc__ or "").split())
        if not description:
            raise ValueError(f"tool {name!r} needs a docstring: it is the description the model reads")
        *clients, args = inspect.signature(func).parameters.values()
        input_model = _model(func, name, args.annotation, ToolInput)
        output_model = _model(func, name, inspect.signature(func).return_annotation, BaseModel)
        if not read_only and not issubclass(input_model, MutatingInput):
            raise ValueError(f"mutating tool {name!r} must take a MutatingInput (for its idempotency_key)")
        if not read_only and not issubclass(output_model, MutatingOutput):
            raise ValueError(f"mutating tool {name!r} must return a MutatingOutput (it may be a replay)")
        for example in examples:
            input_model.model_validate(example.arguments)  # an example that cannot run is a bug here
        if missing := set(secret_fields) - set(output_model.model_fields):
            raise ValueError(f"tool {name!r}: secret_fields {sorted(missing)} are not fields of its output")
        return ToolSpec(
            name=name,
            title=title,
            description=description,
            input_model=input_model,
            output_model=output_model,
            func=func,
            clients=tuple(c.name.rstrip("_") for c in clients),
            iam_actions=iam_actions,
            read_only=read_only,
            destructive=destructive,
            idempotent=idempotent,
            open_world=open_world,
            examples=examples,
            secret_fields=secret_fields,
        )

    return declare


def _model(func: Callable[..., Any], tool: str, annotation: Any, base: type[M]) -> type[M]:
    """The class an annotation names: itself, or (postponed annotations) its module's name for it."""
    found = func.__globals__.get(annotation) if isinstance(annotation, str) else annotation
    if not (isinstance(found, type) and issubclass(found, base)):
        raise ValueError(
            f"tool {tool!r}: annotate the arguments with a {base.__name__} subclass and the return with a "
            f"BaseModel subclass, each by a name defined in its module (got {annotation!r})"
        )
    return found
