"""One read across many accounts and regions: every target tried, in parallel, within the call's time.

Two ways in: ``fleet_list`` runs any read-only tool so, and every list tool that needs no
particular resource takes ``accounts`` and ``regions`` itself (:class:`Spread`, applied by the
registry's fan-out guard). A target is an (account, region) pair; ``accounts`` and ``regions``
name them, ``"*"`` meaning every registered account, and each account's own regions (its
registry entry's, else the server's default region). A list whose answer names no region
(IAM's, S3's buckets, Route 53's) is account-wide: one target per account. Each target is a
read-only tool run as part of this call
(:data:`aws_mcp.tools.contract.READ_TOOL`: validated, in its account, behind its breaker), at
most ``concurrency`` at once. The answer is never a silent partial one: it names each target
that failed and why, and each that was not reached before the call's deadline.
"""

from __future__ import annotations

import contextvars
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from aws_mcp.accounts import ALL, HOME, Account, Accounts
from aws_mcp.errors import ToolError, ToolInputError
from aws_mcp.resilience.deadline import call_deadline

if TYPE_CHECKING:  # at run time, aws_mcp.tools (whose registry imports this module) is not needed
    from aws_mcp.tools.contract import ReadTool

__all__ = ["FLEET_SCOPE", "FanOut", "FanOutResult", "FleetScope", "Target"]

# The name tools take the scope by (the registry builds it).
FLEET_SCOPE: Final = "fleet_scope"
# Targets at most in one call (accounts x regions).
MAX_TARGETS: Final = 200
# Time kept back from the deadline to assemble and return the answer.
_MARGIN_S: Final = 1.0
# Off Lambda (no deadline), the longest a fan-out waits.
_LOCAL_WAIT_S: Final = 120.0


@dataclass(frozen=True, slots=True)
class Target:
    account: Account
    region: str

    def named(self) -> dict[str, str]:
        return {"account": self.account.alias, "region": self.region}


@dataclass(frozen=True, slots=True)
class FleetScope:
    """The accounts a server knows and where a fan-out goes by default."""

    accounts: Accounts
    default_region: str
    concurrency: int = 8

    def chosen(self, accounts: list[str] | None) -> list[Account]:
        """The accounts named; None or ``["*"]``: every registered one (none: the server's own)."""
        if accounts is None or ALL in accounts:
            return list(self.accounts.all()) or [HOME]
        return list(dict.fromkeys(self.accounts.resolve(name) for name in accounts))

    def targets(
        self, accounts: list[str] | None, regions: list[str] | None, *, account_wide: bool = False
    ) -> list[Target]:
        """Every (account, region) named (:meth:`chosen`; regions None or ``["*"]``: each account's own)."""
        return self.targets_in(self.chosen(accounts), regions, account_wide=account_wide)

    def targets_in(
        self, accounts: list[Account], regions: list[str] | None, *, account_wide: bool = False
    ) -> list[Target]:
        """Each account in each region; ``account_wide``: each account once, in its first region."""
        found: list[Target] = []
        for account in accounts:
            if regions is None or ALL in regions:
                places = list(account.regions) or [self.default_region]
            else:
                places = list(dict.fromkeys(regions))
            if account_wide:
                places = places[:1]
            found += [Target(account, region) for region in places]
        if len(found) > MAX_TARGETS:
            raise ToolInputError(f"{len(found)} targets: at most {MAX_TARGETS} in one call. Name fewer.")
        return found


@dataclass
class FanOutResult:
    targets: list[Target]
    # Per target that answered, in the order the targets were named: its items.
    answers: dict[Target, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    not_reached: list[dict[str, str]] = field(default_factory=list)
    # Targets with further pages, each with the cursor that continues it.
    more: list[dict[str, str]] = field(default_factory=list)

    @property
    def items(self) -> list[dict[str, Any]]:
        return [item for target in self.targets for item in self.answers.get(target, ())]

    def summary(self) -> dict[str, Any]:
        """How the fan-out went: targets asked and answered, and each that failed, ran out of time
        or has more."""
        return {
            "targets": len(self.targets),
            "answered": len(self.answers),
            "errors": self.errors,
            "not_reached": self.not_reached,
            "more": self.more,
        }


class FanOut:
    def __init__(self, scope: FleetScope, read_tool: ReadTool) -> None:
        self._scope = scope
        self._read = read_tool

    def run(
        self, tool: str, arguments: dict[str, Any], targets: list[Target], items_field: str | None = None
    ) -> FanOutResult:
        """``tool`` with ``arguments`` at every target; ``items_field``: where its answer's items are
        (else its one list field, or the answer as one item)."""
        result = FanOutResult(targets)
        deadline = call_deadline()
        until = (deadline - _MARGIN_S) if deadline is not None else time.monotonic() + _LOCAL_WAIT_S
        pool = ThreadPoolExecutor(max_workers=max(1, min(self._scope.concurrency, len(targets))))
        futures: dict[Future[dict[str, Any]], Target] = {}
        try:
            for target in targets:
                request = {**arguments, "account": target.account.alias, "region": target.region}
                if target.account is HOME:
                    request.pop("account")
                # Each target's thread sees this call's context (its deadline, its request ids).
                context = contextvars.copy_context()
                futures[pool.submit(context.run, self._read, tool, request)] = target
            pending = set(futures)
            while pending:
                left = until - time.monotonic()
                if left <= 0:
                    break
                done, pending = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
                for future in done:
                    self._collect(result, futures[future], future, items_field)
            for future in pending:
                future.cancel()
                result.not_reached.append(futures[future].named())
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return result

    @staticmethod
    def _collect(
        result: FanOutResult, target: Target, future: Future[dict[str, Any]], items_field: str | None
    ) -> None:
        try:
            answer = future.result()
        except ToolError as err:
            result.errors.append({**target.named(), "error": str(err)[:500]})
            return
        except Exception as err:  # a bug in one target's tool must not lose the others' answers
            result.errors.append({**target.named(), "error": f"internal error ({type(err).__name__})"})
            return
        if items_field is None:
            lists = [v for v in answer.values() if isinstance(v, list)]
            items = lists[0] if len(lists) == 1 else [answer]
        else:
            items = answer.get(items_field, [])
        result.answers[target] = [{**item, **target.named()} for item in items]
        if cursor := answer.get("next_cursor"):
            result.more.append({**target.named(), "next_cursor": cursor})
