"""Integrations: an EventBridge bus, an SQS queue and S3 reports the server reports to (healthy),
and a chat webhook whose endpoint is down (127.0.0.1 port 9: nothing listens), failing its checks.

Each is created through the registry and checked once, as the scheduled checks would: the three
are ACTIVE, the webhook ERROR (its failure threshold is 1), with the history that says why.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Final

from aws_mcp.integrations.integration import PluginContext
from aws_mcp.integrations.model import IntegrationConfig
from aws_mcp.integrations.registry import IntegrationRegistry
from aws_mcp.integrations.secrets import SecretVault
from aws_mcp.integrations.store import IntegrationStore
from aws_mcp_local.demo.estate import DEMO_REGIONS, DemoClients

__all__ = ["BROKEN_WEBHOOK", "DEMO_HOOK_TOKEN", "DEMO_INTEGRATIONS", "TABLE", "seed"]

TABLE: Final = "aws-mcp-demo-integrations"
BROKEN_WEBHOOK: Final = "demo-chat-webhook"
DEMO_HOOK_TOKEN: Final = "T000-demo-hook-token"  # noqa: S105 - the demo's, to show it masked
_ACCOUNT = "123456789012"

DEMO_INTEGRATIONS: Final[tuple[dict[str, Any], ...]] = (
    {
        "name": "demo-ops-bus",
        "description": "Every change and refusal, onto the ops event bus",
        "type": "EVENT_BUS",
        "direction": "OUTBOUND",
        "endpoint": f"arn:aws:events:us-east-1:{_ACCOUNT}:event-bus/ops-events",
        "tags": {"team": "platform"},
    },
    {
        "name": "demo-audit-queue",
        "description": "Mutating tool calls, for the change-review service",
        "type": "MESSAGE_QUEUE",
        "direction": "OUTBOUND",
        "endpoint": f"https://sqs.us-east-1.amazonaws.com/{_ACCOUNT}/mcp-changes",
        "subscription": {"event_types": ["tool_call"]},
        "tags": {"team": "security"},
    },
    {
        "name": "demo-reports",
        "description": "Daily files of every event, for the auditors",
        "type": "FILE",
        "direction": "OUTBOUND",
        "endpoint": "s3://demo-mcp-reports/events",
        "tags": {"team": "security"},
    },
    {
        "name": BROKEN_WEBHOOK,
        "description": "The #ops chat channel (its relay is down)",
        "type": "WEBHOOK",
        "direction": "OUTBOUND",
        # A chat webhook's URL is its credential (the token in the path): kept as a secret, shown
        # as http://127.0.0.1:9/… everywhere.
        "endpoint": f"http://127.0.0.1:9/hooks/ops/{DEMO_HOOK_TOKEN}",
        "endpoint_secret": True,
        "auth": {"type": "BEARER_TOKEN", "token": "demo-chat-token", "signing_secret": "demo-signing-secret"},
        "health_check": {"failure_threshold": 1, "timeout_seconds": 5},
        "subscription": {"event_types": ["denied", "breaker_open"]},
        "tags": {"team": "platform"},
    },
)


def seed(clients: DemoClients) -> None:
    clients("events").create_event_bus(Name="ops-events")
    clients("sqs").create_queue(QueueName="mcp-changes")
    clients("s3").create_bucket(Bucket="demo-mcp-reports")
    registry = IntegrationRegistry(
        IntegrationStore(lambda: clients("dynamodb"), TABLE),
        SecretVault(lambda: clients("secretsmanager"), "aws-mcp-demo/integrations"),
        PluginContext(aws=clients, default_region=DEMO_REGIONS[0]),
        now=lambda: datetime.now(UTC),
    ).register_built_in()

    async def create_and_check() -> None:
        for config in DEMO_INTEGRATIONS:
            integration_id = await registry.register_integration(
                IntegrationConfig.model_validate(config), caller="demo"
            )
            await registry.check(integration_id, trigger="demo seed")

    asyncio.run(create_and_check())
