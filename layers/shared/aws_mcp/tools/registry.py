"""The call path around every tool: one audit record, the guards in order, the tool, its result shaped.

::

    access mode → role → argument validation → account → confirmation (destructive)
      → audit intent (mutations) → deadline → idempotency (mutations)
      → fan-out (a list tool's accounts and regions: the rest once per target)
      → circuit breaker (account + service + region) → the tool → AWS error translation
      → result shaping → audit record → metrics

The guards (:mod:`aws_mcp.tools.guards`) are listed once, in that order, in
:meth:`ToolRegistry.__init__`. Result shaping (:func:`~aws_mcp.tools.paging.fit`): fields a
tool leaves unset are left out, a list's items keep only the ``fields`` the call chose, and a
result stays within ``max_result_chars``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel

from aws_mcp.audit.record import AuditRecord, Outcome, redact, redact_values
from aws_mcp.audit.record import now as audit_now
from aws_mcp.aws.errors import THROTTLING, translated
from aws_mcp.aws.request_ids import collect_request_ids
from aws_mcp.config import ENV, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import (
    INVALID_PARAMS,
    AccessDeniedError,
    AwsCallError,
    BreakerOpenError,
    ConfirmationRequiredError,
    DeadlineError,
    InProgressError,
    OutcomeUnknownError,
    ProtocolError,
    ToolError,
    ToolInputError,
)
from aws_mcp.fleet.fanout import FLEET_SCOPE, FleetScope
from aws_mcp.jsontext import dumps_text
from aws_mcp.tools.catalog import Catalog, Entry
from aws_mcp.tools.contract import CALL_CLIENTS, CALLER, READ_TOOL, ToolOutcome, ToolSpec
from aws_mcp.tools.guards import (
    AccessMode,
    AuditIntent,
    Authorize,
    Breaker,
    Confirm,
    Deadline,
    FanOutReads,
    Guard,
    Idempotent,
    InAccount,
    Step,
    ToolCall,
    Validate,
)
from aws_mcp.tools.paging import fit
from aws_mcp.tracing import Tracing

if TYPE_CHECKING:
    from aws_mcp.audit.trail import AuditTrail
    from aws_mcp.auth.confirmation import Confirmations
    from aws_mcp.auth.roles import Roles
    from aws_mcp.aws.clients import ClientFactory
    from aws_mcp.resilience import Resilience
    from aws_mcp.telemetry import Telemetry

__all__ = ["UNKNOWN_TOOL", "ToolRegistry"]

logger = logging.getLogger(__name__)

# The metrics dimension of every tools/call naming no tool of this deployment.
UNKNOWN_TOOL: Final = "(unknown)"


class ToolRegistry:
    """The tools one deployment exposes (its :class:`Catalog`) and the call path around them."""

    def __init__(
        self,
        tools: Iterable[Entry | ToolSpec],
        settings: Settings,
        clients: ClientFactory,
        *,
        audit: AuditTrail | None = None,
        resilience: Resilience | None = None,
        telemetry: Telemetry | None = None,
        tracing: Tracing | None = None,
        services: Mapping[str, Any] | None = None,
        roles: Roles | None = None,
        confirmations: Confirmations | None = None,
        account: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._settings = settings
        self._roles = roles
        self._clients = clients
        self._audit = audit
        self._resilience = resilience
        self._telemetry = telemetry
        self._tracing = tracing or Tracing()
        # Non-boto3 dependencies a tool may name in ``clients`` (the audit store, ...), and the
        # accounts and regions a fan-out reaches (fleet_list's and the FanOutReads guard's).
        self._services = dict(services or {})
        scope = self._services.setdefault(FLEET_SCOPE, FleetScope(settings.accounts, settings.default_region))
        self.catalog = Catalog(
            tools,
            allows_writes=settings.allows_writes,
            toolsets=settings.toolsets,
            services={*self._services, CALL_CLIENTS, READ_TOOL, CALLER},
        )
        # The guards, outermost first: the order every call goes through.
        guards: list[Guard | None] = [
            AccessMode(self.catalog, settings),
            Authorize(roles, self.catalog) if roles else None,
            Validate(settings.default_region),
            InAccount(settings.accounts),
            Confirm(confirmations, self._needs_confirmation, account) if confirmations else None,
            AuditIntent(audit) if audit else None,
            Deadline(resilience.deadlines) if resilience else None,
            Idempotent(resilience.idempotency) if resilience else None,
            FanOutReads(scope, self._read_tool, settings.max_result_chars),
            Breaker(resilience.breakers, self.catalog) if resilience else None,
        ]
        self._pipeline = _chained(guards, self._invoke)
        # A read-only tool run inside another tool's call (fleet fan-out): checked and protected
        # as a call is, audited and timed by the call it is part of.
        self._nested_reads = _chained(
            [
                Validate(settings.default_region),
                InAccount(settings.accounts),
                Breaker(resilience.breakers, self.catalog) if resilience else None,
            ],
            self._invoke,
        )

    def _needs_confirmation(self, spec: ToolSpec) -> bool:
        """Destructive tools, and those the deployment names (``AWS_MCP_CONFIRM_TOOLS`` globs)."""
        return spec.destructive or any(fnmatchcase(spec.name, g) for g in self._settings.confirm_tools)

    @property
    def names(self) -> tuple[str, ...]:
        """The tools served, by name."""
        return self.catalog.names

    def definitions(
        self, *, with_titles_and_output: bool = True, context: CallContext | None = None
    ) -> list[dict[str, Any]]:
        """The served tools' definitions; with a ``context``, only those its caller's role allows."""
        every = self.catalog.definitions(with_titles_and_output=with_titles_and_output)
        if context is None or self._roles is None:
            return every
        visible = self._roles.visible(context, self.catalog.kinds())
        return [d for d in every if d["name"] in visible]

    def iam_actions(self) -> set[str]:
        return self.catalog.iam_actions()

    def prime(self) -> None:
        """Get ready for the first call (Lambda init): the default region's circuit states, read."""
        if self._resilience is not None:
            services = {self.catalog.aws_service(name) for name in self.catalog.names}
            self._resilience.breakers.prime(sorted(s for s in services if s), self._settings.default_region)

    def call(self, name: Any, arguments: Any, context: CallContext) -> ToolOutcome:
        """Run one ``tools/call``; every path, protocol errors included, leaves one audit record.

        Raises ProtocolError for what is not a tool call at all (unknown or disabled tool,
        malformed params); everything else comes back as a ToolOutcome.
        """
        started = time.perf_counter()
        spec = self.catalog.get(name) if isinstance(name, str) else None
        record = _record(name, arguments, context, mutating=spec is not None and spec.mutating)
        refusal: ProtocolError | None = None
        with self._tracing.tool_call(record.tool) as annotate, collect_request_ids() as request_ids:
            try:
                ran = self._run(spec, name, arguments, context, record)
            except ProtocolError as err:
                refusal = err
                hidden = isinstance(name, str) and self.catalog.hidden(name)
                outcome = Outcome.DENIED if hidden else Outcome.PROTOCOL_ERROR
                ran = _Ran(outcome, ToolOutcome(text=err.message, is_error=True), record)
            annotate(
                service=self.catalog.aws_service(record.tool),
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
            error = ran.note or (ran.result.text if ran.result.is_error else None)
            self._audit.finish(
                ran.record.completed(
                    ran.outcome, duration_ms=elapsed_ms, error=error, aws_request_ids=request_ids
                )
            )
        if self._telemetry is not None:
            # A metric per name a caller sends would be unbounded (and billed): unknown names are one.
            known = self.catalog.get(ran.record.tool) is not None
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
        call = ToolCall(spec, arguments, context, record)
        try:
            structured = self._pipeline(call)
        except ProtocolError:
            raise
        except ConfirmationRequiredError as err:
            # Nothing done: the plan (an error result) or, on 2026-07-28, the input-required result.
            result = ToolOutcome(
                text=str(err), is_error=err.input_required is None, input_required=err.input_required
            )
            return _Ran(Outcome.CONFIRMATION_REQUIRED, result, call.record)
        except ToolError as err:
            throttled = isinstance(err, AwsCallError) and err.code in THROTTLING
            return _Ran(_outcome_of(err), ToolOutcome(text=str(err), is_error=True), call.record, throttled)
        except Exception:
            # A bug in a tool, not the caller's fault: keep the details in the log, not on the wire.
            logger.exception("tool %s failed unexpectedly", spec.name)
            request = context.request_id or "-"
            text = f"Internal error in {spec.name}; the server logged it (request {request})."
            return _Ran(Outcome.TOOL_ERROR, ToolOutcome(text=text, is_error=True), call.record)
        if call.replay is not None:
            # Said first, where an agent reads it: nothing was done now.
            structured = {"replayed": call.replay.describe(), **structured}
            text = dumps_text(structured)
            return _Ran(Outcome.REPLAY, ToolOutcome(text=text, structured=structured), call.record)
        # The text fit wrote, unless the tool did not run in this call (replayed by another instance).
        text = call.text if call.text is not None else dumps_text(structured)
        return _Ran(Outcome.SUCCESS, ToolOutcome(text=text, structured=structured), call.record)

    def _invoke(self, call: ToolCall) -> dict[str, Any]:
        """The end of the pipeline: the tool itself, its AWS errors translated, its result shaped."""
        spec = call.spec
        clients = [self._dependency(service, call) for service in spec.clients]
        with translated(
            spec.name,
            spec.clients[0] if spec.clients else "aws",
            call.region,
            mutating=spec.mutating,
            read_timeout=self._settings.aws_read_timeout,
        ):
            output = spec.func(*clients, call.args)
        if spec.secret_fields:
            output = _without_secrets(output, spec.secret_fields)
        # A list tool's fields (paging.Fields): its items cut to them, before the page is measured.
        fields = getattr(call.args, "fields", None)
        structured, call.text = fit(output, self._settings.max_result_chars, fields)
        return structured

    def _not_a_tool(self, name: Any) -> ProtocolError:
        if not isinstance(name, str):
            return ProtocolError(INVALID_PARAMS, "tools/call: params.name must be a string")
        toolset = self.catalog.unserved_toolset(name)
        if toolset is None:
            return ProtocolError(INVALID_PARAMS, f"Unknown tool: {name!r}. Call tools/list to see the tools.")
        how = "the stack's Toolsets parameter" if self._settings.on_lambda else ENV.TOOLSETS
        return ProtocolError(
            INVALID_PARAMS,
            f"Tool {name!r} is not served here: its toolset {toolset!r} is not among those chosen in {how}. "
            "Call tools/list to see the tools served.",
        )

    def _dependency(self, name: str, call: ToolCall) -> Any:
        if name in self._services:
            return self._services[name]
        if name == CALL_CLIENTS:
            return functools.partial(self._call_client, call)
        if name == READ_TOOL:
            return functools.partial(self._read_tool, call.context)
        if name == CALLER:
            return call.context.caller
        return self._clients.client(
            name.replace("_", "-"), call.region, account=call.account, caller=call.context.caller
        )

    def _call_client(self, call: ToolCall, service: str, region: str | None = None) -> Any:
        return self._clients.client(
            service, region or call.region, account=call.account, caller=call.context.caller
        )

    def _read_tool(self, context: CallContext, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The structured result of read-only tool ``name`` (served here) with ``arguments``."""
        spec = self.catalog.get(name)
        if spec is None or spec.mutating or name not in self.catalog.names:
            raise ToolInputError(
                f"{name!r} is not a read-only tool served here. Call tools/list to see them."
            )
        call = ToolCall(spec, arguments, context, _record(name, arguments, context, mutating=False))
        return self._nested_reads(call)


def _chained(guards: list[Guard | None], last: Step) -> Step:
    step = last
    for guard in reversed([g for g in guards if g is not None]):
        step = functools.partial(guard, proceed=step)
    return step


def _without_secrets(output: BaseModel, fields: tuple[str, ...]) -> BaseModel:
    """``output`` with its secret-carrying fields redacted by the audit trail's rules."""
    data = output.model_dump()
    for name in fields:
        data[name] = redact_values(data[name])
    redacted = type(output).model_validate(data)
    # What the output keeps for paging (paging.Paged's resume) goes along.
    if output.__pydantic_private__:
        redacted.__pydantic_private__ = dict(output.__pydantic_private__)
    return redacted


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


@dataclass(frozen=True, slots=True)
class _Ran:
    outcome: Outcome
    result: ToolOutcome
    record: AuditRecord  # with the region, once known
    throttled: bool = False
    # What the audit record says instead of the result's text.
    note: str | None = None


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
