"""Tool calls as X-Ray subsegments, as an X-Ray daemon on 127.0.0.1 receives them."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Tracer
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.context import Context
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import ProtocolError
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp.tracing import Tracing


@pytest.fixture
def daemon() -> Iterator[socket.socket]:
    """A UDP socket standing where the X-Ray daemon listens; what the SDK sends lands here."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(2.0)
        yield sock


@pytest.fixture(autouse=True)
def _fresh_tracer_config() -> Iterator[None]:
    # Powertools keeps Tracer settings on the class: one disabled Tracer disables every later one.
    Tracer._reset_config()  # type: ignore[no-untyped-call]
    yield
    Tracer._reset_config()  # type: ignore[no-untyped-call]


@pytest.fixture
def tracer(daemon: socket.socket) -> Iterator[Tracer]:
    """Powertools' Tracer on the real X-Ray recorder, sending to ``daemon``; the recorder is restored."""
    saved = (xray_recorder.context, xray_recorder.emitter, global_sdk_config.sdk_enabled())
    host, port = daemon.getsockname()
    global_sdk_config.set_sdk_enabled(True)
    xray_recorder.configure(context=Context(), sampling=False, context_missing="LOG_ERROR")
    xray_recorder.emitter = UDPEmitter(f"{host}:{port}")
    try:
        # auto_patch off: patching botocore would outlive this test (Tracing.for_lambda patches it).
        yield Tracer(service="aws-mcp", disabled=False, auto_patch=False)
    finally:
        xray_recorder.context, xray_recorder.emitter = saved[0], saved[1]
        global_sdk_config.set_sdk_enabled(saved[2])


def received(daemon: socket.socket) -> list[dict[str, Any]]:
    """Every entity the daemon got until the root segment arrived, subsegments flattened out."""
    entities: list[dict[str, Any]] = []

    def flatten(entity: dict[str, Any]) -> None:
        entities.append(entity)
        for child in entity.get("subsegments", []):
            flatten(child)

    while True:
        header, _, body = daemon.recv(65536).decode().partition("\n")
        assert json.loads(header) == {"format": "json", "version": 1}
        entity = json.loads(body)
        flatten(entity)
        if entity.get("type") != "subsegment":
            return entities


def traced_registry(settings: Settings, clients: ClientFactory, tracer: Tracer) -> ToolRegistry:
    return build_server(settings, clients, tracing=Tracing(tracer)).registry


def call_in_segment(registry: ToolRegistry, tool: str) -> None:
    xray_recorder.begin_segment("aws-mcp-invocation")
    try:
        registry.call(tool, {}, CallContext(caller="tester"))
    except ProtocolError:
        pass
    finally:
        xray_recorder.end_segment()


def subsegment(entities: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [e for e in entities if e.get("name") == name]
    return found


def test_a_tool_call_is_one_subsegment_annotated_with_tool_service_region_and_outcome(
    settings: Settings, clients: ClientFactory, fleet: Any, daemon: socket.socket, tracer: Tracer
) -> None:
    call_in_segment(traced_registry(settings, clients, tracer), "aws_whoami")

    traced = subsegment(received(daemon), "## aws_whoami")
    assert traced["annotations"] == {
        "tool": "aws_whoami",
        "service": "sts",
        "region": "us-east-1",
        "outcome": "success",
    }
    assert traced["end_time"] >= traced["start_time"]


def test_a_refused_call_is_traced_with_its_outcome_and_no_service(
    settings: Settings, clients: ClientFactory, daemon: socket.socket, tracer: Tracer
) -> None:
    call_in_segment(traced_registry(settings, clients, tracer), "no_such_tool")

    traced = subsegment(received(daemon), "## no_such_tool")
    assert traced["annotations"] == {"tool": "no_such_tool", "outcome": "protocol_error"}


def test_without_a_tracer_nothing_is_traced(settings: Settings, clients: ClientFactory, fleet: Any) -> None:
    tracing = Tracing()
    assert not tracing.enabled
    with tracing.tool_call("aws_whoami") as annotate:
        annotate(region="us-east-1")  # accepted and dropped
    outcome = build_server(settings, clients, tracing=tracing).registry.call("aws_whoami", {}, CallContext())
    assert not outcome.is_error


def test_a_disabled_powertools_tracer_traces_nothing() -> None:
    assert not Tracing(Tracer(service="aws-mcp", disabled=True, auto_patch=False)).enabled
