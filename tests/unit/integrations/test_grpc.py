"""GRPC: the standard health check against a grpcio health server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from aws_mcp.errors import InvalidIntegrationError
from aws_mcp.integrations.model import IntegrationConfig
from aws_mcp.integrations.registry import IntegrationRegistry


@dataclass
class HealthServer:
    endpoint: str
    servicer: health.HealthServicer
    metadata: list[dict[str, str]] = field(default_factory=list)


class _Recorder(grpc.ServerInterceptor):  # type: ignore[misc]
    def __init__(self, seen: list[dict[str, str]]) -> None:
        self.seen = seen

    def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        self.seen.append(dict(handler_call_details.invocation_metadata))
        return continuation(handler_call_details)


@pytest.fixture
def grpc_health_server() -> Iterator[HealthServer]:
    seen: list[dict[str, str]] = []
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), interceptors=[_Recorder(seen)])
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    servicer.set("ops.Events", health_pb2.HealthCheckResponse.NOT_SERVING)
    try:
        yield HealthServer(f"grpc://127.0.0.1:{port}", servicer, seen)
    finally:
        server.stop(grace=None)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def grpc_config(endpoint: str, **changes: Any) -> IntegrationConfig:
    base = {"name": "g", "type": "GRPC", "direction": "OUTBOUND", "endpoint": endpoint}
    return IntegrationConfig.model_validate(base | changes)


def test_a_serving_server_is_healthy_and_a_named_service_not_serving_is_not(
    registry: IntegrationRegistry, grpc_health_server: HealthServer
) -> None:
    healthy = run(registry.create(grpc_config(grpc_health_server.endpoint), caller="me"))
    outcome = run(registry.check(healthy.id, trigger="test"))
    assert outcome.result.healthy, outcome.result.error
    sick = run(
        registry.create(
            grpc_config(grpc_health_server.endpoint, metadata={"grpc_service": "ops.Events"}), caller="me"
        )
    )
    outcome = run(registry.check(sick.id, trigger="test"))
    assert (outcome.result.healthy, outcome.result.error) == (
        False,
        "the health service answered NOT_SERVING",
    )


def test_a_bearer_token_goes_as_call_metadata(
    registry: IntegrationRegistry, grpc_health_server: HealthServer
) -> None:
    made = run(
        registry.create(
            grpc_config(grpc_health_server.endpoint, auth={"type": "BEARER_TOKEN", "token": "g-tok"}),
            caller="me",
        )
    )
    assert run(registry.check(made.id, trigger="test")).result.healthy
    assert grpc_health_server.metadata[-1]["authorization"] == "Bearer g-tok"


def test_an_unreachable_server_is_unhealthy_within_the_timeout(registry: IntegrationRegistry) -> None:
    made = run(
        registry.create(grpc_config("grpc://127.0.0.1:9", health_check={"timeout_seconds": 2}), caller="me")
    )
    outcome = run(registry.check(made.id, trigger="test"))
    assert not outcome.result.healthy and "UNAVAILABLE" in (outcome.result.error or "")


@pytest.mark.parametrize(
    "changes",
    [
        {"endpoint": "http://127.0.0.1:50051"},
        {"endpoint": "grpc://127.0.0.1"},
        {"direction": "INBOUND"},
        {"auth": {"type": "BASIC", "username": "u", "password": "p"}},
    ],
)
def test_what_a_grpc_integration_cannot_be_is_refused(
    registry: IntegrationRegistry, changes: dict[str, Any]
) -> None:
    with pytest.raises(InvalidIntegrationError):
        run(registry.create(grpc_config(**({"endpoint": "grpc://127.0.0.1:50051"} | changes)), caller="me"))


def test_grpcio_is_loaded_only_when_a_grpc_check_runs() -> None:
    code = (
        "import sys; import aws_mcp.integrations.plugins, aws_mcp.integrations.registry; "
        "print(sorted(m for m in sys.modules if m == 'grpc' or m.startswith(('grpc.', 'grpc_health'))))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
