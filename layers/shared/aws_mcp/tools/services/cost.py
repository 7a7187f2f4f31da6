"""Cost Explorer: what the account spent, grouped, and what it will spend.

Cost Explorer bills every request (USD 0.01), so answers are kept in the cost cache
(:mod:`aws_mcp.tools.answer_cache`), keyed by the exact Cost Explorer request, its default
period resolved to dates. Each result says when AWS answered (``fetched_at``) and whether it came
from the cache. How long an answer is kept follows how the data moves: Cost Explorer refreshes
an open period's figures a few times a day, and a day's or a month's figures settle a few days
after it closes (see :func:`_ttl_seconds`).

Cost Explorer is global (its one endpoint is in us-east-1): ``region`` does not narrow it, group
by REGION for that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal, Self

from pydantic import BaseModel, Field, PrivateAttr, field_validator

from aws_mcp.errors import ToolError, ToolInputError
from aws_mcp.tools.answer_cache import AnswerCache, Cached
from aws_mcp.tools.contract import Example, RegionalInput, tool

if TYPE_CHECKING:
    from mypy_boto3_ce import CostExplorerClient

__all__ = ["TOOLS", "TOOLSET"]

# Cost Explorer pages a grouped answer; each page is a billed request: a question needing more
# than this many is refused (ask for a shorter period or MONTHLY).
_MAX_REQUESTS: Final = 5
# The longest periods asked: 3 months of days, 14 months (what Cost Explorer keeps, and then some).
_MAX_DAYS: Final = {"DAILY": 93, "MONTHLY": 427}
# An answer about a period still open (or closed under SETTLING days ago) moves: kept OPEN_TTL
# for its granularity; a settled period's figures no longer change: kept a day.
_SETTLING: Final = timedelta(days=3)
_OPEN_TTL: Final = {"DAILY": 4 * 3600, "MONTHLY": 8 * 3600}
_SETTLED_TTL: Final = 24 * 3600
_LEFT_OUT: Final = "Shortened to fit the result size limit (AWS_MCP_MAX_RESULT_CHARS): ask for less."

Granularity = Literal["DAILY", "MONTHLY"]
_DIMENSIONS: Final = ("SERVICE", "LINKED_ACCOUNT", "REGION")
# Cost Explorer names a tag group "<key>$<value>": a key cannot hold "$".
_TAG: Final = re.compile(r"tag:[^$]{1,128}")


class _Period(RegionalInput):
    granularity: Granularity = Field(default="MONTHLY", description="Per day or month.")
    end: date | None = Field(default=None, description="Exclusive.")


class CostGroup(BaseModel):
    key: str
    amount: float


class PeriodAmount(BaseModel):
    start: str
    amount: float
    estimated: bool | None = None


class GetCostsInput(_Period):
    start: date | None = Field(default=None, description="Default: 3 months or 14 days back.")
    group_by: str = Field(
        default="SERVICE", max_length=132, description="SERVICE, LINKED_ACCOUNT, REGION or tag:KEY."
    )
    top: int = Field(default=10, ge=1, le=50, description="Groups shown before others.")

    @field_validator("group_by")
    @classmethod
    def _grouping(cls, value: str) -> str:
        if value not in _DIMENSIONS and not _TAG.fullmatch(value):
            raise ValueError("group_by is SERVICE, LINKED_ACCOUNT, REGION or tag:<tag key>")
        return value


class GetCostsOutput(BaseModel):
    start: str
    end: str
    unit: str | None = None
    total: float
    groups: list[CostGroup] = Field(description="Largest first; then others.")
    periods: list[PeriodAmount] | None = None
    fetched_at: str
    cached: bool
    note: str | None = None
    _others: int = PrivateAttr(default=0)

    def shrunk(self) -> Self | None:
        """Smaller, to fit the result size limit: without the periods, then with half the groups
        summed into others (None: nothing is left to fold)."""
        if self.periods:
            return self.model_copy(update={"periods": None, "note": _LEFT_OUT})
        named = [g for g in self.groups if not g.key.startswith("others (")]
        if len(named) < 2:
            return None
        kept, folded = named[: len(named) // 2], named[len(named) // 2 :]
        others = self._others + len(folded)
        amount = sum(g.amount for g in self.groups) - sum(g.amount for g in kept)
        smaller = self.model_copy(
            update={
                "groups": [*kept, CostGroup(key=f"others ({others})", amount=round(amount, 2))],
                "note": _LEFT_OUT,
            }
        )
        smaller._others = others
        return smaller


@tool(
    name="cost_get_costs",
    title="Costs",
    iam_actions=("ce:GetCostAndUsage",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"start": "2026-09-01", "end": "2026-11-01"},
            {"start": "2026-09-01", "end": "2026-11-01", "unit": "USD", "total": 1234.5},
        ),
    ),
)
def get_costs(ce: CostExplorerClient, cost_cache: AnswerCache | None, args: GetCostsInput) -> GetCostsOutput:
    """Unblended cost over a period: largest groups first, and per day or month. Each Cost Explorer
    request is billed: answers are cached for hours."""
    today = _today()
    end = args.end or today + timedelta(days=1)
    start = args.start or _default_start(args.granularity, today)
    _check_span(start, end, args.granularity)
    request: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": args.granularity,
        "Metrics": ["UnblendedCost"],
        "GroupBy": [_group(args.group_by)],
    }
    ttl = _ttl_seconds(end, args.granularity, today)
    found = _cached(cost_cache, "GetCostAndUsage", request, ttl, lambda: _costs(ce, request))
    groups = sorted(found.answer["groups"].items(), key=lambda kv: (-kv[1], kv[0]))
    shown = [CostGroup(key=key, amount=round(amount, 2)) for key, amount in groups[: args.top]]
    rest = groups[args.top :]
    if rest:
        others = sum(amount for _, amount in rest)
        shown.append(CostGroup(key=f"others ({len(rest)})", amount=round(others, 2)))
    output = GetCostsOutput(
        start=start.isoformat(),
        end=end.isoformat(),
        unit=found.answer.get("unit"),
        total=round(sum(amount for _, amount in groups), 2),
        groups=shown,
        periods=[PeriodAmount.model_validate(p) for p in found.answer["periods"]],
        fetched_at=found.fetched_at,
        cached=found.answer.get("_cached", False),
    )
    output._others = len(rest)
    return output


def _group(group_by: str) -> dict[str, str]:
    if group_by.startswith("tag:"):
        return {"Type": "TAG", "Key": group_by.removeprefix("tag:")}
    return {"Type": "DIMENSION", "Key": group_by}


def _costs(ce: CostExplorerClient, request: dict[str, Any]) -> dict[str, Any]:
    """Every page of the answer, summed per group and per period (amounts unrounded)."""
    groups: dict[str, float] = {}
    periods: dict[str, dict[str, Any]] = {}
    unit = None
    token = None
    for _ in range(_MAX_REQUESTS):
        paged: dict[str, Any] = {**request, **({"NextPageToken": token} if token else {})}
        response = ce.get_cost_and_usage(**paged)
        for result in response.get("ResultsByTime", []):
            begins = result.get("TimePeriod", {}).get("Start", "")
            period = periods.setdefault(begins, {"start": begins, "amount": 0.0})
            if result.get("Estimated"):
                period["estimated"] = True
            for group in result.get("Groups", []):
                metric = group.get("Metrics", {}).get("UnblendedCost", {})
                amount = float(metric.get("Amount", 0))
                unit = unit or metric.get("Unit")
                key = _key(group.get("Keys", [""])[0])
                groups[key] = groups.get(key, 0.0) + amount
                period["amount"] += amount
        token = response.get("NextPageToken")
        if not token:
            break
    else:
        raise ToolError(
            f"Cost Explorer needs more than {_MAX_REQUESTS} requests (each billed) for this: ask for a "
            "shorter period, MONTHLY, or a grouping with fewer values."
        )
    for period in periods.values():
        period["amount"] = round(period["amount"], 2)
    return {"unit": unit, "groups": groups, "periods": sorted(periods.values(), key=lambda p: p["start"])}


def _key(key: str) -> str:
    # A tag group is named "<tag key>$<value>"; resources without the tag have an empty value.
    if "$" in key:
        value = key.split("$", 1)[1]
        return value or "(untagged)"
    return key


# -- forecast ---------------------------------------------------------------------------------


class ForecastInput(_Period):
    end: date | None = Field(default=None, description="Exclusive; default: next month.")


class ForecastOutput(BaseModel):
    unit: str | None = None
    total: float
    low: float | None = Field(default=None, description="80% prediction interval.")
    high: float | None = None
    periods: list[PeriodAmount] | None = None
    fetched_at: str
    cached: bool
    note: str | None = None

    def shrunk(self) -> Self | None:
        """Without the periods, when they do not fit the result size limit."""
        return self.model_copy(update={"periods": None, "note": _LEFT_OUT}) if self.periods else None


@tool(
    name="cost_forecast",
    title="Cost forecast",
    iam_actions=("ce:GetCostForecast",),
    read_only=True,
    idempotent=True,
    # The demo's AWS (moto) has no forecasts.
    examples=(Example({}, None, error_contains=("cost_forecast",)),),
)
def forecast(ce: CostExplorerClient, cost_cache: AnswerCache | None, args: ForecastInput) -> ForecastOutput:
    """Forecast unblended cost from today to end, with an 80% interval. Cached like cost_get_costs."""
    today = _today()
    start = today
    end = args.end or _next_month(today)
    _check_span(start, end, args.granularity)
    request: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": args.granularity,
        "Metric": "UNBLENDED_COST",
        "PredictionIntervalLevel": 80,
    }
    ttl = _ttl_seconds(end, args.granularity, today)
    found = _cached(cost_cache, "GetCostForecast", request, ttl, lambda: _forecast(ce, request))
    answer = found.answer
    return ForecastOutput(
        unit=answer.get("unit"),
        total=answer["total"],
        low=answer.get("low"),
        high=answer.get("high"),
        periods=[PeriodAmount.model_validate(p) for p in answer["periods"]],
        fetched_at=found.fetched_at,
        cached=answer.get("_cached", False),
    )


def _forecast(ce: CostExplorerClient, request: dict[str, Any]) -> dict[str, Any]:
    response = ce.get_cost_forecast(**request)
    total = response.get("Total", {})
    periods = response.get("ForecastResultsByTime", [])
    lows = [float(p["PredictionIntervalLowerBound"]) for p in periods if "PredictionIntervalLowerBound" in p]
    highs = [float(p["PredictionIntervalUpperBound"]) for p in periods if "PredictionIntervalUpperBound" in p]
    complete = len(lows) == len(highs) == len(periods) > 0
    return {
        "unit": total.get("Unit"),
        "total": round(float(total.get("Amount", 0)), 2),
        # The interval of the whole is not given: the sum of the periods' bounds, when all have one.
        "low": round(sum(lows), 2) if complete else None,
        "high": round(sum(highs), 2) if complete else None,
        "periods": [
            {
                "start": p.get("TimePeriod", {}).get("Start", ""),
                "amount": round(float(p.get("MeanValue", 0)), 2),
            }
            for p in periods
        ],
    }


# -- shared -----------------------------------------------------------------------------------


def _cached(
    cache: AnswerCache | None, api: str, request: dict[str, Any], ttl: int, ask: Callable[[], dict[str, Any]]
) -> Cached:
    """The cache's answer to ``api(**request)`` (marked ``_cached``), else AWS's, kept ``ttl`` seconds."""
    key = {"api": api, **request}
    if cache is not None and (hit := cache.get(key)) is not None:
        return Cached({**hit.answer, "_cached": True}, hit.fetched_at)
    fresh = Cached(ask(), datetime.now(UTC).isoformat(timespec="seconds"))
    if cache is not None:
        cache.put(key, fresh, ttl_seconds=ttl)
    return fresh


def _ttl_seconds(end: date, granularity: str, today: date) -> int:
    """How long an answer about a period ending ``end`` (exclusive) stays true enough."""
    if end + _SETTLING <= today:
        return _SETTLED_TTL
    return _OPEN_TTL[granularity]


def _check_span(start: date, end: date, granularity: str) -> None:
    if start >= end:
        raise ToolInputError(f"start ({start}) must be before end ({end}).")
    if (end - start).days > _MAX_DAYS[granularity]:
        raise ToolInputError(
            f"A {granularity} period can be at most {_MAX_DAYS[granularity]} days: ask for less."
        )


def _default_start(granularity: str, today: date) -> date:
    if granularity == "DAILY":
        return today - timedelta(days=13)
    month = today.replace(day=1)
    for _ in range(2):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def _next_month(today: date) -> date:
    return (today.replace(day=28) + timedelta(days=4)).replace(day=1)


def _today() -> date:
    return datetime.now(UTC).date()


TOOLSET = "cost"
TOOLS = (get_costs, forecast)
