"""The guards around every tool call, each one step of one ordered pipeline.

A guard takes the call and the rest of the pipeline (``proceed``), as Powertools'
middlewares do: it may refuse (raise), act before or after, or wrap the rest (a
deadline, a breaker). The registry lists them in order, once
(:meth:`aws_mcp.tools.registry.ToolRegistry.__init__`); adding a guard is one class
here and one entry there.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from aws_mcp.accounts import HOME, Account, Accounts
from aws_mcp.audit.record import AuditRecord, redact
from aws_mcp.config import ENV, Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import (
    INVALID_PARAMS,
    AccessDeniedError,
    ConfirmationRequiredError,
    ProtocolError,
    ToolInputError,
)
from aws_mcp.fleet.fanout import FanOut, FleetScope
from aws_mcp.jsontext import dumps_text
from aws_mcp.tools.contract import CONFIRMATION, FANOUT, MutatingInput, Spread, ToolInput, ToolSpec
from aws_mcp.tools.paging import Paged, cut_to_fit

if TYPE_CHECKING:
    from aws_mcp.audit.trail import AuditTrail
    from aws_mcp.auth.confirmation import Confirmations
    from aws_mcp.auth.roles import Roles
    from aws_mcp.resilience import Breakers, Deadlines, Idempotency
    from aws_mcp.resilience.idempotency import Replay
    from aws_mcp.tools.catalog import Catalog

__all__ = [
    "AccessMode",
    "AuditIntent",
    "Authorize",
    "Breaker",
    "Confirm",
    "Deadline",
    "FanOutReads",
    "Guard",
    "Idempotent",
    "InAccount",
    "Step",
    "ToolCall",
    "Validate",
]


@dataclass(slots=True)
class ToolCall:
    """One call on its way through the guards; each fills in what it learns."""

    spec: ToolSpec
    arguments: dict[str, Any]
    context: CallContext
    # The audit record to complete (its region once known).
    record: AuditRecord
    # The validated arguments and the region the call acts in (Validate).
    args: ToolInput | None = None
    region: str = ""
    # The account the call acts in (InAccount): the server's own unless the call names one.
    account: Account = HOME
    # The token of a destructive change's plan, taken off the arguments (Validate, for Confirm).
    confirmation: Any = None
    # A list tool's fan-out arguments, taken off the arguments (Validate, for FanOutReads).
    spread: Spread | None = None
    # Set when the result repeats an earlier identical call's (Idempotent).
    replay: Replay | None = None
    # The result's JSON text, when the tool ran in this call (the end of the pipeline).
    text: str | None = None


Step = Callable[[ToolCall], dict[str, Any]]


class Guard(Protocol):
    def __call__(self, call: ToolCall, proceed: Step) -> dict[str, Any]: ...


class AccessMode:
    """A tool the access mode hides is refused, saying which setting allows it where the server runs."""

    def __init__(self, catalog: Catalog, settings: Settings) -> None:
        self._catalog = catalog
        self._mode = settings.access_mode
        self._how = (
            "Deploy the stack with its AccessMode parameter set to ReadWrite"
            if settings.on_lambda
            else f"Set {ENV.ACCESS_MODE}=ReadWrite where the server runs and restart it"
        )

    def __call__(self, call: ToolCall, proceed: Step) -> dict[str, Any]:
        if self._catalog.hidden(call.spec.name):
            raise ProtocolError(
                INVALID_PARAMS,
                f"Tool {call.spec.name!r} is disabled: this server runs in {self._mode} mode. "
                f"{self._how} to allow changes.",
            )
        return proceed(call)


class Authorize:
    """A caller calls only what its role allows; a refusal names the role needed (audited ``denied``)."""

    def __init__(self, roles: Roles, catalog: Catalog) -> None:
        self._roles = roles
        self._catalog = catalog

    def __call__(self, call: ToolCall, proceed: Step) -> dict[str, Any]:
        self._roles.check(call.context, call.spec.name, self._catalog.kind(call.spec.name))
        return proceed(call)


class Validate:
    """The arguments against the tool's input model; the region the call acts in."""

    def __init__(self, default_region: str) -> None:
        self._default_region = default_region

    def __call__(self, call: ToolCall, proceed: Step) -> dict[str, Any]:
        spec = call.spec
        arguments = call.arguments
        if CONFIRMATION in arguments:
            arguments = dict(arguments)
            call.confirmation = arguments.pop(CONFIRMATION)
            if not isinstance(call.confirmation, str) or len(call.confirmation) > 2048:
                raise ToolInputError(
                    f"Invalid arguments for {spec.name}: {CONFIRMATION} must be the token a plan gave."
                )
        if spread := {name: arguments[name] for name in spec.spread_over if name in arguments}:
            arguments = {k: v for k, v in arguments.items() if k not in spread}
            call.spread = _validated(Spread, spread, spec.name)
        call.args = _validated(spec.input_model, arguments, spec.name)
        call.region = getattr(call.args, "region", None) or self._default_region
        call.record = dataclasses.replace(call.record, region=call.region)
        return proceed(call)


M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], arguments: dict[str, Any], tool: str) -> M:
    try:
        return model.model_validate(arguments)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in err.errors()
        )
        raise ToolInputError(f"Invalid arguments for {tool}: {problems}. Fix them and call again.") from None


class InAccount:
    """The account a call names, from the registry; one it does not hold is refused (denied),
    listing those it does. The audit record carries it from here on."""

    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts

    def __call__(self, call: ToolCall, proceed: Step) -> dict[str, Any]:
        name = getattr(call.args, "account", None)
        if name is None:
            return proceed(call)
        call.account = self._accounts.resolve(name)
        call.record = dataclasses.replace(call.record, account=call.account.label)
        return proceed(call)


class Confirm:
    """A destructive change runs only once confirmed, the confirmation bound to the exact change.

    First call: on 2026-07-28 with a client that answers elicitations, an input-required result
    (an elicitation stating the change, and a signed ``requestState``); otherwise a plan and a
    confirmation token (an error result: nothing was done). The retry runs with an accepting
    answer and that state, or with the token; declines, expiries, altered states and
    confirmations of another change or caller are refused (audited ``denied``). A dry run
    changes nothing and needs none. See :mod:`aws_mcp.auth.confirmation`.
    """

    ANSWER: ClassVar[str] = "confirm"

    def __init__(
        self,
        confirmations: Confirmations,
        needs: Callable[[ToolSpec], bool],
        account: Callable[[], str | None],
    ) -> None:
        self._confirmations = confirmations
        self._needs = needs
        self._account = account

    def __call__(self, call: ToolCall, proceed: Step) -> dict[str, Any]:
        from aws_mcp.auth.confirmation import Binding, plan_asks

        if not self._needs(call.spec) or getattr(call.args, "dry_run", False) is True:
            return proceed(call)
        context = call.context
        binding = Binding(context.caller, call.spec.name, _normalized(call))
        if call.confirmation is not None:
            self._confirmations.check(call.confirmation, binding, "token")
            return proceed(call)
        if context.request_state is not None:
            self._confirmations.check(context.request_state, binding, "state")
            responses = context.input_responses if isinstance(context.input_responses, dict) else {}
            found = responses.get(self.ANSWER)
            answer: dict[str, Any] = found if isinstance(found, dict) else {}
            content = answer.get("content")
            content = content if isinstance(content, dict) else {}
            if answer.get("action") == "accept" and content.get(self.ANSWER) is True:
                return proceed(call)
            said = answer.get("action") if answer.get("action") in ("decline", "cancel") else "no answer"
            raise AccessDeniedError(
                f"{call.spec.name} was not confirmed ({said}): nothing was changed. "
                "Do not retry unless the user asks for this change again."
            )
        plan = self._plan(call)
        if context.elicitation:
            schema = {
                "type": "object",
                "properties": {
                    self.ANSWER: {
                        "type": "boolean",
                        "title": "Make this change",
                        "description": "Yes makes the change described; it cannot be undone.",
                        "default": False,
                    }
                },
                "required": [self.ANSWER],
            }
            elicitation = {
                "method": "elicitation/create",
                "params": {"mode": "form", "message": plan, "requestedSchema": schema},
            }
            raise ConfirmationRequiredError(
                f"Waiting for the user to confirm. {plan}",
                plan,
                input_required={
                    "inputRequests": {self.ANSWER: elicitation},
                    "requestState": self._confirmations.mint(binding, "state"),
                },
            )
        token = self._confirmations.mint(binding, "token")
        raise ConfirmationRequiredError(
            f"{plan}\nShow this plan to the user and ask them. Only if they agree, call {call.spec.name} "
            f"again with exactly the same arguments {plan_asks(token)} "
            f"(good for {self._confirmations.ttl_seconds} s, for this change and caller only).",
            plan,
        )

    def _plan(self, call: ToolCall) -> str:
        spec = call.spec
        # The account the call names (InAccount, before this guard), else the server's own.
        account = (
            call.account.label if call.account is not HOME else self._account() or "the server's account"
        )
        targets = {
            k: v for k, v in redact(_normalized(call)).items() if k != "region" and v not in (None, [], {})
        }
        return (
            f"Confirmation required: nothing has been changed yet.\n"
            f"Change: {spec.name} ({spec.title}) in account {account}, region {call.region}.\n"
            f"Targets: {dumps_text(targets)}\n"
            f"What it does, and what is lost: {spec.description}"
        )


def _normalized(call: ToolCall) -> dict[str, Any]:
    """The arguments that make the change, as a confirmation binds them (and the idempotency key)."""
    assert call.args is not None
    return {**call.args.model_dump(mode="json", exclude={"idempotency_key"}), "region": call.region}


class AuditIntent:
    """A change is recorded before it is made; if it cannot be, it is refused (the trail says why)."""

    def __init__(self, trail: AuditTrail) -> None:
        self._trail = trail

    def __call__(self, call: ToolCall, proceed: Step) -> dict[str, Any]:
        if call.spec.mutating:
            self._trail.begin(call.record)
        return proceed(call)


class Deadline:
    """On Lambda, an answer before the invocation's deadline: a timeout result, not a killed function."""

    def __init__(self, deadlines: Deadlines) -> None:
        self._deadlines = deadlines

    def __call__(self, call: ToolCall, proceed: Step) -> dict[str, Any]:
        return self._deadlines.run(
            call.context.lambda_context, lambda: proceed(call), mutating=call.spec.mutating
        )


class Idempotent:
    """A change happens once per idempotency key (or retry window); repeats get its result back."""

    def __init__(self, idempotency: Idempotency) -> None:
        self._idempotency = idempotency

    def __call__(self, call: ToolCall, proceed: Step) -> dict[str, Any]:
        args = call.args
        if not call.spec.mutating or not isinstance(args, MutatingInput):
            return proceed(call)
        normalized = _normalized(call)
        result, call.replay = self._idempotency.run(
            tool=call.spec.name,
            caller=call.context.caller,
            arguments=normalized,
            idempotency_key=args.idempotency_key,
            lambda_context=call.context.lambda_context,
            call=lambda: proceed(call),
        )
        return result


class FanOutReads:
    """A list tool called with ``accounts`` or ``regions`` (:class:`Spread`) runs once per account and
    region (:mod:`aws_mcp.fleet.fanout`): in parallel within this call's deadline, each target through
    its own breaker, all under this call's one audit record. Its items come back together, each
    with its account and region, and ``fanout`` names the targets that failed, ran out of time or
    have more pages (with the cursor that continues each)."""

    def __init__(
        self,
        scope: FleetScope,
        read: Callable[[CallContext, str, dict[str, Any]], dict[str, Any]],
        budget: int,
    ) -> None:
        self._scope = scope
        self._read = read
        self._budget = budget

    def __call__(self, call: ToolCall, proceed: Step) -> dict[str, Any]:
        spread, args, spec = call.spread, call.args, call.spec
        if spread is None:
            return proceed(call)
        for one, many in (("account", spread.accounts), ("region", spread.regions)):
            if many == []:
                raise ToolInputError(f'{spec.name}: {one}s names none: name some, or ["*"] for all.')
            if many and getattr(args, one, None) is not None:
                raise ToolInputError(f"{spec.name}: give {one} or {one}s, not both.")
        if getattr(args, "cursor", None) is not None:
            raise ToolInputError(
                f"{spec.name}: a fan-out reads each target's first page. To continue one, call again with "
                "its account, region and the cursor fanout.more gives it."
            )
        accounts = self._scope.chosen(spread.accounts) if spread.accounts else [call.account]
        regions = spread.regions or ([call.region] if getattr(args, "region", None) else None)
        targets = self._scope.targets_in(accounts, regions, account_wide="regions" not in spec.spread_over)
        arguments = {
            k: v for k, v in call.arguments.items() if k not in ("account", "region", *spec.spread_over)
        }
        assert issubclass(spec.output_model, Paged)  # what spread_over requires
        field = spec.output_model.items_field
        found = FanOut(self._scope, functools.partial(self._read, call.context)).run(
            spec.name, arguments, targets, field
        )
        call.record = dataclasses.replace(
            call.record,
            account=",".join(dict.fromkeys(t.account.label for t in targets))[:200],
            region=",".join(dict.fromkeys(t.region for t in targets))[:200],
        )
        answer = {field: found.items, "count": len(found.items), FANOUT: found.summary()}
        structured, call.text = cut_to_fit(
            answer,
            field,
            self._budget,
            "Ask fewer accounts or regions, fewer fields or a smaller max_results.",
        )
        return structured


class Breaker:
    """Calls to an AWS service in a region (and account) that keeps failing are paused, for every instance."""

    def __init__(self, breakers: Breakers, catalog: Catalog) -> None:
        self._breakers = breakers
        self._catalog = catalog

    def __call__(self, call: ToolCall, proceed: Step) -> dict[str, Any]:
        service = self._catalog.aws_service(call.spec.name)
        if service is None:
            return proceed(call)
        return self._breakers.run(service, call.region, lambda: proceed(call), account=call.account)
