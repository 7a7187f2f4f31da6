"""One read across many accounts and regions: every target tried, in parallel, within the call's time.

A target is an (account, region) pair; ``accounts`` and ``regions`` name them, ``"*"`` meaning
every registered account, and each account's own regions (its registry entry's, else the
server's default region). Each target is a read-only tool run as part of this call
(:data:`aws_mcp.tools.contract.READ_TOOL`: validated, in its account, behind its breaker), at
most ``concurrency`` at once. The answer is never a silent partial one: it names each target
that failed and why, and each that was not reached before the call's deadline.
"""

from __future__ import annotations

import contextvars
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Final

from aws_mcp.accounts import ALL, HOME, Account, Accounts
from aws_mcp.errors import ToolError, ToolInputError
from aws_mcp.resilience.deadline import call_deadline
from aws_mcp.tools.contract import ReadTool

__all__ = ["FLEET_SCOPE", "FanOut", "FleetScope", "Target"]

# The name tools take the scope by (built in aws_mcp.server).
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

    def targets(self, accounts: list[str] | None, regions: list[str] | None) -> list[Target]:
        """Every (account, region) named; None or ``["*"]``: every registered account, or each
        account's own regions."""
        if accounts is None or ALL in accounts:
            chosen = list(self.accounts.all()) or [HOME]
        else:
            chosen = list(dict.fromkeys(self.accounts.resolve(name) for name in accounts))
        found: list[Target] = []
        for account in chosen:
            if regions is None or ALL in regions:
                places = list(account.regions) or [self.default_region]
            else:
                places = list(dict.fromkeys(regions))
            found += [Target(account, region) for region in places]
        if len(found) > MAX_TARGETS:
            raise ToolInputError(f"{len(found)} targets: at most {MAX_TARGETS} in one call. Name fewer.")
        return found


@dataclass
class FanOutResult:
    items: list[dict[str, Any]] = field(default_factory=list)
    answered: list[Target] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    not_reached: list[dict[str, str]] = field(default_factory=list)
    more: list[dict[str, str]] = field(default_factory=list)


class FanOut:
    def __init__(self, scope: FleetScope, read_tool: ReadTool) -> None:
        self._scope = scope
        self._read = read_tool

    def run(self, tool: str, arguments: dict[str, Any], targets: list[Target]) -> FanOutResult:
        result = FanOutResult()
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
                    self._collect(result, futures[future], future)
            for future in pending:
                future.cancel()
                result.not_reached.append(futures[future].named())
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return result

    @staticmethod
    def _collect(result: FanOutResult, target: Target, future: Future[dict[str, Any]]) -> None:
        try:
            answer = future.result()
        except ToolError as err:
            result.errors.append({**target.named(), "error": str(err)[:500]})
            return
        except Exception as err:  # a bug in one target's tool must not lose the others' answers
            result.errors.append({**target.named(), "error": f"internal error ({type(err).__name__})"})
            return
        result.answered.append(target)
        # A list tool's items (its one list field), or a single answer as one item.
        lists = [v for v in answer.values() if isinstance(v, list)]
        for item in lists[0] if len(lists) == 1 else [answer]:
            result.items.append({**item, "account": target.account.alias, "region": target.region})
        if answer.get("next_cursor") or answer.get("truncated"):
            result.more.append(target.named())
