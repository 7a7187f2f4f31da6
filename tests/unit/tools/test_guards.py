"""Each guard does its one thing and hands the call on; the registry runs them in the documented order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from aws_mcp.audit.record import AuditRecord
from aws_mcp.config import AccessMode as Mode
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError, ToolInputError
from aws_mcp.tools.catalog import Catalog
from aws_mcp.tools.contract import MutatingInput, MutatingOutput, RegionalInput, ToolSpec, tool
from aws_mcp.tools.guards import AccessMode, ToolCall, Validate


class Change(MutatingInput):
    count: int = 1


class Changed(MutatingOutput):
    ok: bool = True


class Look(RegionalInput):
    pass


class Seen(BaseModel):
    ok: bool = True


def change(args: Change) -> Changed:
    """Change something."""
    return Changed()


def look(args: Look) -> Seen:
    """Look at something."""
    return Seen()


CHANGE = tool(
    name="test_make_change",
    title="t",
    iam_actions=(),
    read_only=False,
)(change)
LOOK = tool(name="test_take_look", title="t", iam_actions=(), read_only=True)(look)


def a_call(spec: ToolSpec, arguments: dict[str, Any] | None = None) -> ToolCall:
    record = AuditRecord(tool=spec.name, caller="c", arguments={}, started_at=datetime.now(UTC))
    return ToolCall(spec, arguments or {}, CallContext(), record)


def proceeded(call: ToolCall) -> dict[str, Any]:
    return {"reached": call.spec.name}


class TestAccessMode:
    def test_a_hidden_tool_is_refused_before_anything_else_runs(self) -> None:
        settings = Settings(access_mode=Mode.READ_ONLY)
        guard = AccessMode(Catalog([CHANGE, LOOK], allows_writes=False), settings)
        with pytest.raises(ProtocolError, match="AWS_MCP_ACCESS_MODE=ReadWrite"):
            guard(a_call(CHANGE), proceeded)
        assert guard(a_call(LOOK), proceeded) == {"reached": "test_take_look"}


class TestValidate:
    def test_valid_arguments_are_parsed_and_the_region_resolved_onto_the_record(self) -> None:
        call = a_call(CHANGE, {"count": 3, "region": "eu-west-1"})
        Validate("us-east-1")(call, proceeded)
        assert isinstance(call.args, Change) and call.args.count == 3
        assert call.region == call.record.region == "eu-west-1"

    def test_without_a_region_the_default_is_used(self) -> None:
        call = a_call(LOOK)
        Validate("ap-south-1")(call, proceeded)
        assert call.region == "ap-south-1"

    def test_invalid_arguments_stop_the_call_saying_what_to_fix(self) -> None:
        reached: list[ToolCall] = []

        def proceed(call: ToolCall) -> dict[str, Any]:
            reached.append(call)
            return {}

        with pytest.raises(ToolInputError, match="count"):
            Validate("us-east-1")(a_call(CHANGE, {"count": "many"}), proceed)
        assert reached == []
