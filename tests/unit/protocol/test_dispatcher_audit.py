"""Every tools/call the dispatcher reads leaves exactly one audit record, however malformed it is."""

from __future__ import annotations

import io
import json
import logging
import random
import uuid
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from aws_mcp.audit.record import AuditRecord
from aws_mcp.audit.trail import AuditTrail
from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.protocol import Dispatcher
from tests.unit.protocol.test_dispatcher import MODERN, _echo_tool, modern_headers, modern_params, request


class Recorded(AuditTrail):
    """The trail as the server builds it, logging to memory; ``records`` reads the audit lines back."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        logger = Logger(
            service=f"audit-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(self.stream)
        )
        super().__init__(logger)

    @property
    def records(self) -> list[AuditRecord]:
        lines = [json.loads(line) for line in self.stream.getvalue().splitlines()]
        return [AuditRecord.from_log(line["audit"]) for line in lines if "audit" in line]


@pytest.fixture
def trail() -> Recorded:
    return Recorded()


@pytest.fixture
def dispatcher(trail: Recorded) -> Dispatcher:
    from aws_mcp.tools.registry import ToolRegistry

    settings = Settings()
    registry = ToolRegistry([_echo_tool("test_echo_alpha")], settings, ClientFactory(settings), audit=trail)
    return Dispatcher(settings, registry)


def call_params(name: Any = "test_echo_alpha", arguments: Any = None) -> dict[str, Any]:
    return {"name": name, "arguments": {"message": "hi"} if arguments is None else arguments}


# (message, headers): each holds one tools/call, well-formed or refused somewhere on the way in.
CALLS: list[tuple[Any, Any]] = [
    (request("tools/call", call_params()), {}),
    (request("tools/call", call_params(arguments={"message": 5})), {}),
    (request("tools/call", call_params(name="no_such_tool")), {}),
    (request("tools/call", call_params(name=["a", "list"])), {}),
    ({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": "a string"}, {}),
    (request("tools/call", call_params(), request_id=True), {}),
    (request("tools/call", call_params(), request_id={"an": "object"}), {}),
    ({"jsonrpc": "1.0", "id": 1, "method": "tools/call", "params": call_params()}, {}),
    ({"jsonrpc": "2.0", "method": "tools/call", "params": call_params()}, {}),
    (
        request("tools/call", modern_params(call_params())),
        modern_headers("tools/call", "test_echo_beta"),  # Mcp-Name mismatch
    ),
    (request("tools/call", modern_params(call_params())), modern_headers("tools/list")),  # Mcp-Method
    (request("tools/call", call_params()), modern_headers("tools/call", "test_echo_alpha")),  # no _meta
    (
        request("tools/call", modern_params(call_params(), version="2099-01-01")),
        modern_headers("tools/call", "test_echo_alpha", version="2099-01-01"),
    ),
    (
        request("tools/call", modern_params(call_params())),
        modern_headers("tools/call", "test_echo_alpha", version=MODERN),
    ),
]


@pytest.mark.parametrize(("message", "headers"), CALLS)
def test_each_tools_call_leaves_one_record(
    dispatcher: Dispatcher, trail: Recorded, message: Any, headers: Any
) -> None:
    dispatcher.handle(message, headers, CallContext(caller="fuzzer"))
    (record,) = trail.records
    assert record.caller == "fuzzer" and record.status == "complete"


def test_a_mixed_run_leaves_exactly_one_record_per_request(dispatcher: Dispatcher, trail: Recorded) -> None:
    run = [CALLS[random.Random(7).randrange(len(CALLS))] for _ in range(200)]
    for message, headers in run:
        dispatcher.handle(message, headers, CallContext())
    assert len(trail.records) == 200
    assert len({r.call_id for r in trail.records}) == 200


def test_refusals_before_the_registry_are_protocol_errors_saying_why(
    dispatcher: Dispatcher, trail: Recorded
) -> None:
    dispatcher.handle(
        request("tools/call", modern_params(call_params())),
        modern_headers("tools/call", "test_echo_beta"),
        CallContext(),
    )
    (record,) = trail.records
    assert record.outcome is not None and record.outcome.value == "protocol_error"
    assert record.tool == "test_echo_alpha" and "Mcp-Name" in (record.error or "")
    assert record.client_name == "pytest"


def test_a_batch_records_each_tools_call_it_held(dispatcher: Dispatcher, trail: Recorded) -> None:
    dispatcher.handle(
        [request("tools/call", call_params()), request("ping"), request("tools/call", call_params())],
        {},
        CallContext(),
    )
    assert [r.outcome.value for r in trail.records if r.outcome] == ["protocol_error"] * 2


def test_other_methods_leave_no_record(dispatcher: Dispatcher, trail: Recorded) -> None:
    for message in (request("ping"), request("tools/list"), {"jsonrpc": "2.0", "id": 1}):
        dispatcher.handle(message, {}, CallContext())
    assert trail.records == []
