"""The registry a service's tests call, over the demo part the module seeds (``estate``)."""

from __future__ import annotations

import pytest

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings
from aws_mcp.server import build_server
from aws_mcp.tools.registry import ToolRegistry


@pytest.fixture(scope="module")
def estate(fleet: dict[str, list[str]]) -> None:
    """The demo part a test module reads: the fleet, unless the module seeds its own."""


@pytest.fixture
def registry(settings: Settings, clients: ClientFactory, estate: None) -> ToolRegistry:
    return build_server(settings, clients).registry
