"""The tool contract: declarations, the catalog a deployment exposes, and the call path around every tool.

A tool is a plain function ``fn(*clients, args) -> Output`` declared with
:func:`tool`. It receives its boto3 clients (never builds them), and never
reads the environment or writes audit records. Everything that wraps a call
happens once, here, in this order::

    access mode → argument validation → audit intent (mutations) → deadline
      → idempotency (mutations) → circuit breaker (service + region) → the tool
      → AWS error translation → result shaping → audit record → metrics

Result shaping (:func:`~aws_mcp.tools.paging.fit`): fields a tool leaves unset are left
out, and a result stays within ``max_result_chars``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    ReadTimeoutError,
)
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from aws_mcp.audit.record import AuditRecord, Outcome, redact
from aws_mcp.audit.record import now as audit_now
from aws_mcp.aws.regions import check_region
from aws_mcp.aws.request_ids import collect_request_ids
from aws_mcp.config import ENV, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import (
    INVALID_PARAMS,
    AccessDeniedError,
    AwsCallError,
    AwsUnavailableError,
    BreakerOpenError,
    DeadlineError,
    InProgressError,
    OutcomeUnknownError,
    ProtocolError,
    ToolError,
    ToolInputError,
)
from aws_mcp.jsontext import dumps_text
from aws_mcp.tools.paging import fit
from aws_mcp.tools.schema import model_schema
from aws_mcp.tracing import Tracing

if TYPE_CHECKING:
    from aws_mcp.audit.trail import AuditTrail
    from aws_mcp.aws.clients import ClientFactory
    from aws_mcp.resilience import Resilience
    from aws_mcp.resilience.idempotency import Replay
    from aws_mcp.telemetry import Telemetry

__all__ = [
    "MutatingInput",
    "MutatingOutput",
    "RegionalInput",
    "ToolInput",
    "ToolOutcome",
    "ToolRegistry",
    "ToolSpec",
    "tool",
]

logger = logging.getLogger(__name__)

# The metrics dimension of every tools/call naming no tool of this deployment.
UNKNOWN_TOOL: Final = "(unknown)"
_NAME: Final = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
_REGION: Final = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$"


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

    @property
    def mutating(self) -> bool:
        return not self.read_only

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


class ToolRegistry:
    """The tools one deployment exposes, in a deterministic (name) order, and the call path."""

    def __init__(
        self,
        tools: Iterable[ToolSpec],
        settings: Settings,
        clients: ClientFactory,
        *,
        audit: AuditTrail | None = None,
        resilience: Resilience | None = None,
        telemetry: Telemetry | None = None,
        tracing: Tracing | None = None,
        services: Mapping[str, Any] | None = None,
    ) -> None:
        self._settings = settings
        self._clients = clients
        self._audit = audit
        self._resilience = resilience
        self._telemetry = telemetry
        self._tracing = tracing or Tracing()
        # Non-boto3 dependencies a tool may name in ``clients`` (the audit store, ...).
        self._services = dict(services or {})
        enabled: dict[str, ToolSpec] = {}
        disabled: dict[str, ToolSpec] = {}
        for spec in sorted(tools, key=lambda t: t.name):
            if spec.name in enabled or spec.name in disabled:
                raise ValueError(f"tool {spec.name!r} is declared twice")
            (enabled if spec.read_only or settings.allows_writes else disabled)[spec.name] = spec
        self._tools = enabled
        self._disabled = disabled
        # The first AWS service each tool calls: its breaker's, and its traces' (injected services
        # such as the audit store need neither).
        self._aws_service = {
            name: next((s for s in spec.clients if s not in self._services), None)
            for name, spec in enabled.items()
        }
        self._full = [spec.definition() for spec in enabled.values()]
        self._legacy = [_without_newer_fields(d) for d in self._full]

    @property
    def tools(self) -> tuple[ToolSpec, ...]:
        return tuple(self._tools.values())

    def definitions(self, *, with_titles_and_output: bool = True) -> list[dict[str, Any]]:
        return self._full if with_titles_and_output else self._legacy

    def iam_actions(self) -> set[str]:
        return {action for spec in self._tools.values() for action in spec.iam_actions}

    def prime(self) -> None:
        """Get ready for the first call (Lambda init): the default region's circuit states, read."""
        if self._resilience is not None:
            services = {s for s in self._aws_service.values() if s}
            self._resilience.breakers.prime(sorted(services), self._settings.default_region)

    def call(self, name: Any, arguments: Any, context: CallContext) -> ToolOutcome:
        """Run one ``tools/call``; every path, protocol errors included, leaves one audit record.

        Raises ProtocolError for what is not a tool call at all (unknown or disabled tool,
        malformed params); everything else comes back as a ToolOutcome.
        """
        started = time.perf_counter()
        spec = self._tools.get(name) if isinstance(name, str) else None
        record = _record(name, arguments, context, mutating=bool(spec and spec.mutating))
        refusal: ProtocolError | None = None
        with self._tracing.tool_call(record.tool) as annotate, collect_request_ids() as request_ids:
            try:
                ran = self._run(spec, name, arguments, context, record)
            except ProtocolError as err:
                refusal = err
                disabled = isinstance(name, str) and name in self._disabled
                outcome = Outcome.DENIED if disabled else Outcome.PROTOCOL_ERROR
                ran = _Ran(outcome, ToolOutcome(text=err.message, is_error=True), record)
            annotate(
                service=self._aws_service.get(record.tool),
                region=ran.record.region,
                outcome=ran.outcome.value,
            )
        self._finish(ran, (time.perf_counter() - started) * 1000, tuple(request_ids))
        if refusal is not None:
            refusal.audited = True
            raise refusal
        return ran.result

    def refuse(self, name: Any, arguments: Any, context: CallContext, reason: str) -> None:
        """Record a ``tools/call`` the protocol layer refused before it reached :meth:`call`
        (a malformed envelope, id or headers): it leaves its one audit record too."""
        record = _record(name, arguments, context, mutating=False)
        self._finish(_Ran(Outcome.PROTOCOL_ERROR, ToolOutcome(text=reason, is_error=True), record), 0.0, ())

    def _finish(self, ran: _Ran, elapsed_ms: float, request_ids: tuple[str, ...]) -> None:
        if self._audit is not None:
            error = ran.result.text if ran.result.is_error else None
            self._audit.finish(
                ran.record.completed(
                    ran.outcome, duration_ms=elapsed_ms, error=error, aws_request_ids=request_ids
                )
            )
        if self._telemetry is not None:
            # A metric per name a caller sends would be unbounded (and billed): unknown names are one.
            known = ran.record.tool in self._tools or ran.record.tool in self._disabled
            self._telemetry.tool_call(
                ran.record.tool if known else UNKNOWN_TOOL,
                error=ran.result.is_error,
                latency_ms=elapsed_ms,
                throttled=ran.throttled,
            )

    def _run(
        self, spec: ToolSpec | None, name: Any, arguments: Any, context: CallContext, record: AuditRecord
    ) -> _Ran:
        if spec is None:
            raise self._not_a_tool(name)
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise ProtocolError(INVALID_PARAMS, "tools/call: params.arguments must be an object")
        outcome = Outcome.SUCCESS
        try:
            args = _validate(spec, arguments)
            region = getattr(args, "region", None) or self._settings.default_region
            record = dataclasses.replace(record, region=region)
            if spec.mutating and self._audit is not None:
                self._audit.begin(record)
            structured, replay = self._guarded(spec, args, region, context)
            if replay is not None:
                # Said first, where an agent reads it: nothing was done now.
                structured = {"replayed": replay.describe(), **structured}
                outcome = Outcome.REPLAY
        except ToolError as err:
            throttled = isinstance(err, AwsCallError) and err.code in _THROTTLING
            return _Ran(_outcome_of(err), ToolOutcome(text=str(err), is_error=True), record, throttled)
        except Exception:
            # A bug in a tool, not the caller's fault: keep the details in the log, not on the wire.
            logger.exception("tool %s failed unexpectedly", spec.name)
            request = context.request_id or "-"
            text = f"Internal error in {spec.name}; the server logged it (request {request})."
            return _Ran(Outcome.TOOL_ERROR, ToolOutcome(text=text, is_error=True), record)
        text = dumps_text(structured)
        return _Ran(outcome, ToolOutcome(text=text, structured=structured), record)

    def _guarded(
        self, spec: ToolSpec, args: ToolInput, region: str, context: CallContext
    ) -> tuple[dict[str, Any], Replay | None]:
        """deadline( idempotency( breaker( the AWS call ) ) ); returns the result, and the replay if one."""
        clients = [self._dependency(service, region) for service in spec.clients]
        service = self._aws_service[spec.name]
        resilience = self._resilience

        def call() -> BaseModel:
            return _call_aws(spec, clients, args, region, self._settings.aws_read_timeout)

        def aws_call() -> dict[str, Any]:
            if resilience is not None and service is not None:
                output = resilience.breakers.run(service, region, call)
            else:
                output = call()
            return fit(output, self._settings.max_result_chars)

        def once() -> tuple[dict[str, Any], Replay | None]:
            if resilience is None or not spec.mutating:
                return aws_call(), None
            key = args.idempotency_key if isinstance(args, MutatingInput) else None
            normalized = {**args.model_dump(mode="json", exclude={"idempotency_key"}), "region": region}
            return resilience.idempotency.run(
                tool=spec.name,
                caller=context.caller,
                arguments=normalized,
                idempotency_key=key,
                lambda_context=context.lambda_context,
                call=aws_call,
            )

        if resilience is None:
            return once()
        return resilience.deadlines.run(context.lambda_context, once, mutating=spec.mutating)

    def _not_a_tool(self, name: Any) -> ProtocolError:
        if not isinstance(name, str):
            return ProtocolError(INVALID_PARAMS, "tools/call: params.name must be a string")
        if name in self._disabled:
            how = (
                "Deploy the stack with its AccessMode parameter set to ReadWrite"
                if self._settings.on_lambda
                else f"Set {ENV.ACCESS_MODE}=ReadWrite where the server runs and restart it"
            )
            return ProtocolError(
                INVALID_PARAMS,
                f"Tool {name!r} is disabled: this server runs in {self._settings.access_mode} mode. "
                f"{how} to allow changes.",
            )
        return ProtocolError(INVALID_PARAMS, f"Unknown tool: {name!r}. Call tools/list to see the tools.")

    def _dependency(self, name: str, region: str) -> Any:
        if name in self._services:
            return self._services[name]
        return self._clients.client(name, region)


def _record(name: Any, arguments: Any, context: CallContext, *, mutating: bool) -> AuditRecord:
    return AuditRecord(
        # Whatever a caller sent as the name, kept short: it names log lines and trace segments too.
        tool=(name if isinstance(name, str) else repr(name))[:100],
        caller=context.caller,
        arguments=redact(arguments),
        started_at=audit_now(),
        request_id=context.request_id,
        client_name=context.client_name,
        client_version=context.client_version,
        protocol_version=context.protocol_version,
        mutating=mutating,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Ran:
    outcome: Outcome
    result: ToolOutcome
    record: AuditRecord  # with the region, once known
    throttled: bool = False


def _outcome_of(err: ToolError) -> Outcome:
    for kind, outcome in _OUTCOMES:
        if isinstance(err, kind):
            return outcome
    return Outcome.TOOL_ERROR


_OUTCOMES: Final = (
    (AccessDeniedError, Outcome.DENIED),
    (BreakerOpenError, Outcome.BREAKER_OPEN),
    (DeadlineError, Outcome.TIMEOUT),
    (InProgressError, Outcome.IN_PROGRESS),
    (OutcomeUnknownError, Outcome.OUTCOME_UNKNOWN),
)


def _validate(spec: ToolSpec, arguments: dict[str, Any]) -> ToolInput:
    try:
        return spec.input_model.model_validate(arguments)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in err.errors()
        )
        raise ToolInputError(
            f"Invalid arguments for {spec.name}: {problems}. Fix them and call again."
        ) from None


def _call_aws(
    spec: ToolSpec, clients: list[Any], args: ToolInput, region: str, read_timeout: float
) -> BaseModel:
    service = spec.clients[0] if spec.clients else "aws"
    try:
        return spec.func(*clients, args)
    except ClientError as err:
        error = err.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", err))
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _ACCESS_DENIED:
            raise AccessDeniedError(
                f"AWS {service} denied {spec.name}: {code}: {message}. The server's role lacks this "
                "permission for these resources; a retry will not help."
            ) from None
        if status >= 500 or code in _THROTTLING:
            raise AwsUnavailableError(
                f"AWS {service} could not serve {spec.name}: {code}: {message}. This is transient: "
                "try again shortly.",
                service=service,
                code=code,
            ) from None
        raise AwsCallError(
            f"AWS {service} refused {spec.name}: {code}: {message}.", service=service, code=code
        ) from None
    except (ReadTimeoutError, ConnectionClosedError) as err:
        # The request went out: a change may have happened although no answer came.
        said = f"AWS {service} in {region} did not answer {spec.name} ({type(err).__name__}"
        if spec.mutating:
            raise OutcomeUnknownError(
                f"{said}), so whether the change happened is unknown. Check the resource's state with a "
                "read-only tool before calling again; a retry with the same idempotency_key is not sent "
                "again.",
                service=service,
                code=type(err).__name__,
            ) from None
        raise AwsUnavailableError(
            f"{said} within {read_timeout:g} s). Ask for less in one call: a narrower filter or a smaller "
            "max_results.",
            service=service,
            code=type(err).__name__,
        ) from None
    except (ConnectTimeoutError, EndpointConnectionError, ConnectionError) as err:
        raise AwsUnavailableError(
            f"Could not reach AWS {service} in {region} for {spec.name} ({type(err).__name__}); nothing "
            "was sent. Try again shortly; if it persists, the server's network or endpoint is at fault.",
            service=service,
            code=type(err).__name__,
        ) from None
    except (NoCredentialsError, NoRegionError) as err:
        raise AwsCallError(
            f"The server has no usable AWS configuration: {err}. Whoever runs it must give it credentials "
            "(AWS_PROFILE, `aws sso login`, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and restart "
            "it; a retry will not help.",
            service=service,
            code=type(err).__name__,
        ) from None
    except ParamValidationError as err:
        raise ToolInputError(f"Invalid arguments for {spec.name}: {err}") from None
    except BotoCoreError as err:
        raise AwsCallError(
            f"AWS {service} call failed for {spec.name}: {err}", service=service, code=type(err).__name__
        ) from None


_ACCESS_DENIED: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"}
)
_THROTTLING: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)


def _without_newer_fields(definition: dict[str, Any]) -> dict[str, Any]:
    """A tool as 2025-03-26 knows it: no ``title``, no ``outputSchema``."""
    return {k: v for k, v in definition.items() if k not in ("title", "outputSchema")}
