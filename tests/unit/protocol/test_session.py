"""A stdio session runs legacy requests under the revision its initialize negotiated."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import PARSE_ERROR
from aws_mcp.protocol import Dispatcher, StdioSession, parse
from aws_mcp.protocol.versions import LATEST_LEGACY
from aws_mcp.tools import CATALOG, ToolRegistry


@pytest.fixture
def session() -> StdioSession:
    settings = Settings()
    dispatcher = Dispatcher(settings, ToolRegistry(CATALOG, settings, ClientFactory(settings)))
    return StdioSession(dispatcher, CallContext(caller="local"))


def line(method: str, params: dict[str, Any] | None = None, request_id: int = 1) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}})


def test_a_session_starts_at_the_latest_legacy_revision(session: StdioSession) -> None:
    assert session.version == LATEST_LEGACY


def test_initialize_sets_the_revision_later_requests_run_under(session: StdioSession) -> None:
    reply = session.answer(parse(line("initialize", {"protocolVersion": "2025-03-26"})))
    assert reply.body is not None and reply.body["result"]["protocolVersion"] == "2025-03-26"
    assert session.version == "2025-03-26"
    listed = session.answer(parse(line("tools/list", request_id=2)))
    assert listed.body is not None
    # 2025-03-26 had no titles or output schemas.
    assert all("outputSchema" not in t for t in listed.body["result"]["tools"])


def test_a_failed_initialize_keeps_the_revision(session: StdioSession) -> None:
    reply = session.answer(parse(line("initialize", {"protocolVersion": 7})))
    assert reply.body is not None and "error" in reply.body
    assert session.version == LATEST_LEGACY


def test_a_line_that_is_not_json_is_answered_with_the_parse_error(session: StdioSession) -> None:
    reply = session.answer(parse("{"))
    assert reply.status == 400
    assert reply.body is not None and reply.body["error"]["code"] == PARSE_ERROR
    assert session.version == LATEST_LEGACY
