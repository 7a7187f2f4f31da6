"""The seed's "Adding a New Integration Type" example works as written (its text, unchanged)."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from typing import Any

from aws_mcp.integrations.integration import Integration
from aws_mcp.integrations.model import IntegrationConfig, IntegrationType
from aws_mcp.integrations.registry import IntegrationRegistry
from tests.unit.integrations.conftest import Receiver

# Verbatim from the seed (README, "Adding a New Integration Type", "Example Implementation"),
# trailing spaces included; a text file so that no formatter touches it.
SEED_EXAMPLE = (Path(__file__).parent / "seed_custom_type.py.txt").read_text()


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
