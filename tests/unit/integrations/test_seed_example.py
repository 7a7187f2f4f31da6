"""The seed's integration examples work as written (their text unchanged but for the import line):
adding a type, custom authentication providers, event-driven integrations, bulk registration."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from typing import Any, ClassVar
from unittest.mock import ANY

import orjson

from aws_mcp.integrations.integration import Integration, OutboundRequest
from aws_mcp.integrations.model import (
    AuthConfig,
    AuthType,
    IntegrationConfig,
    IntegrationType,
    IntegrationUpdate,
)
from aws_mcp.integrations.registry import IntegrationRegistry
from aws_mcp.integrations.signing import signature_headers
from tests.unit.integrations.conftest import Receiver

# Verbatim from the seed (README, "Adding a New Integration Type", "Example Implementation"),
# trailing spaces included; a text file so that no formatter touches it.
SEED_EXAMPLE = (Path(__file__).parent / "seed_custom_type.py.txt").read_text()
# The seed's "Custom Authentication Providers", "Event-Driven Integrations" and "Bulk Operations".
HERE = Path(__file__).parent


def load(name: str, tmp_path: Path) -> Any:
    path = tmp_path / f"{name}.py"
    path.write_text((HERE / f"{name}.py.txt").read_text())
    spec = importlib.util.spec_from_file_location(f"seed_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_as_a_module_of_the_package(tmp_path: Path) -> Any:
    path = tmp_path / "custom_type.py"
    path.write_text(SEED_EXAMPLE)
    name = "aws_mcp.integrations.custom_type"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def test_the_seed_example_registers_a_custom_type_whose_plugin_serves_custom_integrations(
    tmp_path: Path, registry: IntegrationRegistry, receiver: Receiver
) -> None:
    example = load_as_a_module_of_the_package(tmp_path)
    asyncio.run(example.register(registry))
    assert registry.plugin_type(IntegrationType.CUSTOM) is example.CustomIntegration
    assert issubclass(example.CustomIntegration, Integration)

    config = IntegrationConfig.model_validate(
        {
            "name": "legacy",
            "type": "CUSTOM",
            "direction": "INBOUND",
            "auth": {"signing_secret": "s"},
            "health_check": {"endpoint": receiver.url},
        }
    )
    integration_id = asyncio.run(registry.register_integration(config))
    outcome = asyncio.run(registry.check(integration_id, trigger="test"))
    assert outcome.result.healthy
    assert [r.method for r in receiver.requests] == ["GET"]
    receiver.statuses = [500]
    assert not asyncio.run(registry.check(integration_id, trigger="test")).result.healthy


def test_a_custom_auth_provider_registered_as_the_seed_does_sees_every_request(
    tmp_path: Path, registry: IntegrationRegistry, receiver: Receiver
) -> None:
    example = load("seed_auth_provider", tmp_path)
    asyncio.run(example.register_auth_provider(registry))
    assert registry.auth_providers[AuthType.CUSTOM] is example.CustomAuthProvider

    class TenantProvider(example.CustomAuthProvider):  # type: ignore[misc, name-defined]
        async def authenticate(self, request: OutboundRequest) -> None:
            assert isinstance(self.config, AuthConfig)
            request.headers["X-Tenant"] = "acme"

    config = IntegrationConfig.model_validate(
        # CUSTOM with a provider registered needs no custom_headers: the provider authenticates.
        {"name": "tenant", "type": "WEBHOOK", "direction": "OUTBOUND", "endpoint": receiver.url}
        | {"auth": {"type": "CUSTOM"}, "health_check": {"endpoint": receiver.url}}
    )
    integration_id = asyncio.run(registry.register_integration(config))
    assert asyncio.run(registry.check(integration_id, trigger="test")).result.healthy  # the seed's: a no-op
    registry.auth_providers[AuthType.CUSTOM] = TenantProvider
    assert asyncio.run(registry.check(integration_id, trigger="test")).result.healthy
    assert [r.headers.get("X-Tenant") for r in receiver.requests] == [None, "acme"]


class Recorded:
    calls: ClassVar[list[tuple[str, Any]]] = []


def test_an_event_driven_integration_listens_while_it_takes_events_and_processes_each(
    tmp_path: Path, registry: IntegrationRegistry, clock: Any
) -> None:
    example = load("seed_event_driven", tmp_path)
    assert issubclass(example.EventDrivenIntegration, Integration)

    class Orders(example.EventDrivenIntegration):  # type: ignore[misc, name-defined]
        async def start_listening(self) -> None:
            Recorded.calls.append(("start", self.config.name))

        async def process_event(self, event: Any) -> dict[str, Any]:
            Recorded.calls.append(("event", event))
            return {"order": event["order"], "accepted": True}

        async def stop_listening(self) -> None:
            Recorded.calls.append(("stop", self.config.name))

    asyncio.run(registry.register_plugin_type(IntegrationType.CUSTOM, example.EventDrivenIntegration))
    config = IntegrationConfig.model_validate(
        {"name": "orders", "type": "CUSTOM", "direction": "INBOUND", "auth": {"signing_secret": "s"}}
    )
    first = asyncio.run(registry.register_integration(config))
    body = orjson.dumps({"order": 7})
    headers = signature_headers("s", int(clock().timestamp()), body)
    # The seed's class as written: its process_event keeps nothing of its own, so the event is kept.
    assert asyncio.run(registry.receive(first, body, headers))["payload"] == {"order": 7}

    Recorded.calls.clear()
    asyncio.run(registry.register_plugin_type(IntegrationType.CUSTOM, Orders))
    second = asyncio.run(registry.register_integration(config.model_copy(update={"name": "orders-2"})))
    entry = asyncio.run(registry.receive(second, body, headers))
    assert entry["order"] == 7 and entry["accepted"] is True
    current = asyncio.run(registry.get(second))
    asyncio.run(
        registry.update(
            second,
            IntegrationUpdate.model_validate(
                {**config.model_dump(mode="json"), "name": "orders-2", "revision": current.revision}
                | {"enabled": False}
            ),
            caller="test",
        )
    )
    asyncio.run(registry.delete(second, None))  # already not listening: no second stop
    assert Recorded.calls == [("start", "orders-2"), ("event", {"order": 7}), ("stop", "orders-2")]


def test_bulk_registration_as_the_seed_writes_it_reports_each_config(
    tmp_path: Path, registry: IntegrationRegistry, receiver: Receiver
) -> None:
    example = load("seed_bulk_registration", tmp_path)
    good = IntegrationConfig.model_validate(
        {"name": "hook", "type": "WEBHOOK", "direction": "OUTBOUND", "endpoint": receiver.url}
    )
    # CUSTOM auth with no headers and no provider: refused, and said so in its result.
    bad = good.model_copy(update={"name": "no-headers", "auth": AuthConfig(type=AuthType.CUSTOM)})
    results = asyncio.run(example.register_bulk(registry, [good, bad]))
    assert results["hook"]["success"] is True
    assert asyncio.run(registry.get(results["hook"]["id"])).name == "hook"
    assert (
        results["no-headers"] == {"success": False, "error": ANY}
        and "CUSTOM" in results["no-headers"]["error"]
    )
