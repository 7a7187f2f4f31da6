"""A registry wired as on Lambda (breaker, idempotency, audit on the demo tables), with recorded metrics."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp.server import build_server
from aws_mcp.telemetry import Telemetry
from aws_mcp.tools.registry import ToolRegistry
from aws_mcp_local.demo import table_names


class RecordingTelemetry(Telemetry):
    """Telemetry writing its EMF lines to memory and reading them back, for assertions."""

    def __init__(self) -> None:
        self._lines = io.StringIO()
        super().__init__("AwsMcp", "aws-mcp", enabled=True, stream=self._lines)

    @property
    def emitted(self) -> list[tuple[dict[str, str], dict[str, float]]]:
        """(dimensions other than service, metric values) per EMF line, in order."""
        found = []
        for line in self._lines.getvalue().splitlines():
            blob = json.loads(line)
            (directive,) = blob["_aws"]["CloudWatchMetrics"]
            names = {name for dimensions in directive["Dimensions"] for name in dimensions} - {"service"}
            counts = {m["Name"]: sum(blob[m["Name"]]) for m in directive["Metrics"]}
            found.append(({name: blob[name] for name in names}, counts))
        return found

    def total(self, metric: str, **dimensions: str) -> float:
        return sum(
            c.get(metric, 0) for d, c in self.emitted if all(d.get(k) == v for k, v in dimensions.items())
        )


def lambda_settings(**changes: Any) -> Settings:
    tables = table_names()
    base = Settings(
        access_mode=AccessMode.READ_WRITE,
        default_region="us-east-1",
        breaker_table=tables["breaker"],
        idempotency_table=tables["idempotency"],
        audit_table=tables["audit"],
        breaker_failure_threshold=3,
        breaker_recovery_timeout=30,
        breaker_success_threshold=2,
        local_role="admin",
    )
    return base.with_changes(**changes)


Build = Callable[..., tuple[ToolRegistry, ClientFactory, RecordingTelemetry]]


@pytest.fixture
def build(fleet: dict[str, list[str]]) -> Build:
    """A fresh app instance (its own clients, caches and breaker persistence) on the shared tables."""

    def make(**changes: Any) -> tuple[ToolRegistry, ClientFactory, RecordingTelemetry]:
        settings = lambda_settings(**changes)
        clients = ClientFactory(settings, session=boto3.Session(region_name="us-east-1"))
        telemetry = RecordingTelemetry()
        logger = Logger(service=f"r-{uuid.uuid4().hex}", logger_handler=logging.NullHandler())
        return (
            build_server(settings, clients, logger=logger, telemetry=telemetry).registry,
            clients,
            telemetry,
        )

    return make
