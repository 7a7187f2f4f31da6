"""Calling a tool as an agent does, through the registry: what every service's tests share."""

from __future__ import annotations

import re
from typing import Any, Final

from aws_mcp.context import CallContext
from aws_mcp.tools.contract import ToolOutcome
from aws_mcp.tools.registry import ToolRegistry

__all__ = ["FakeClock", "answers_as_declared", "assert_within", "call", "confirmed", "refused", "walk"]

# The token a destructive change's plan asks to be passed back (tools/guards.py, Confirm).
PLAN_TOKEN: Final = re.compile(r'plus "confirmation": "([A-Za-z0-9_.-]+)"')


def confirmed(
    registry: ToolRegistry, tool: str, arguments: dict[str, Any], context: CallContext | None = None
) -> ToolOutcome:
    """The call as an agent makes it once the user agreed: a destructive change's plan is answered
    by calling again with its confirmation token."""
    context = context or CallContext()
    outcome = registry.call(tool, arguments, context)
    if outcome.is_error and (token := PLAN_TOKEN.search(outcome.text)):
        outcome = registry.call(tool, {**arguments, "confirmation": token[1]}, context)
    return outcome


def call(registry: ToolRegistry, tool: str, /, **arguments: Any) -> dict[str, Any]:
    """The tool's structured result (confirmed, if it asks); the test fails on an error result, saying it."""
    outcome = confirmed(registry, tool, arguments)
    assert not outcome.is_error, outcome.text
    assert outcome.structured is not None
    return outcome.structured


def refused(registry: ToolRegistry, tool: str, /, **arguments: Any) -> str:
    """The text of the tool's error result (confirmed, if it asks); the test fails if the tool answered."""
    outcome = confirmed(registry, tool, arguments)
    assert outcome.is_error, outcome.structured
    return outcome.text


def walk(registry: ToolRegistry, tool: str, items: str, /, **arguments: Any) -> list[dict[str, Any]]:
    """Every item of every page of ``tool``'s list ``items``, following next_cursor."""
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(50):
        page = call(registry, tool, **arguments, cursor=cursor)
        seen += page[items]
        cursor = page.get("next_cursor")
        if cursor is None:
            return seen
    raise AssertionError("the pages never ended")


def assert_within(expected: Any, actual: Any, where: str) -> None:
    """Every key of an expected object matches in ``actual`` (None: absent); lists and scalars are equal."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            if value is None:
                assert actual.get(key) is None, f"{where}.{key}"
                continue
            assert key in actual, f"{where}.{key}"
            assert_within(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for n, (want, got) in enumerate(zip(expected, actual, strict=True)):
            assert_within(want, got, f"{where}[{n}]")
    else:
        assert expected == actual, f"{where}: {expected!r} != {actual!r}"


def answers_as_declared(registry: ToolRegistry, prefix: str, /, *, skip: tuple[str, ...] = ()) -> None:
    """Every example of the tools named ``prefix...`` (but ``skip``) answers as it declares."""
    from aws_mcp.tools import CATALOG

    specs = [s for s in CATALOG if s.name.startswith(prefix) and s.name not in skip]
    assert specs, prefix
    for spec in specs:
        for example in spec.examples:
            outcome = confirmed(registry, spec.name, example.arguments)
            if example.answer is None:
                assert outcome.is_error and all(f in outcome.text for f in example.error_contains), (
                    outcome.text
                )
            else:
                assert not outcome.is_error, outcome.text
                assert_within(example.answer, outcome.structured, spec.name)


class FakeClock:
    """A clock that moves only when slept on: waits cost no real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
