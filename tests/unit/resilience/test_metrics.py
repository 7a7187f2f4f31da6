"""Tool-call metrics name only this deployment's tools: a caller cannot mint new metrics."""

from __future__ import annotations

from typing import Any

import pytest

from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.tools.registry import UNKNOWN_TOOL
from tests.unit.resilience.conftest import Build


@pytest.mark.parametrize("name", ["", "made_up_tool", "ec2_list_instances\ud800", ["ec2_list_instances"]])
def test_a_call_naming_no_tool_is_counted_under_one_dimension(build: Build, name: Any) -> None:
    registry, _, telemetry = build()
    with pytest.raises(ProtocolError):
        registry.call(name, {}, CallContext())
    assert telemetry.total("ToolCalls", tool=UNKNOWN_TOOL) == 1
    assert {d.get("tool") for d, _ in telemetry.emitted} <= {UNKNOWN_TOOL, None}


def test_a_tool_is_counted_under_its_own_name(build: Build) -> None:
    registry, _, telemetry = build()
    registry.call("aws_whoami", {}, CallContext())
    assert telemetry.total("ToolCalls", tool="aws_whoami") == 1
