"""The integration types this server ships, one plugin class each, registered by ``BUILT_IN``.

GRPC's check (grpc.health.v1) loads grpcio when it runs, never here. DATABASE has no plugin: a
real check needs a driver per engine, which the Lambda layer does not carry; creating one is
refused, naming the types there are.
"""

from __future__ import annotations

from typing import Final

from aws_mcp.integrations.integration import Integration, IntegrationType
from aws_mcp.integrations.plugins.aws import EventBusIntegration, FileIntegration, MessageQueueIntegration
from aws_mcp.integrations.plugins.custom import CustomIntegration
from aws_mcp.integrations.plugins.grpc import GrpcIntegration
from aws_mcp.integrations.plugins.http import GraphQLIntegration, RestApiIntegration, WebhookIntegration

__all__ = ["BUILT_IN"]

BUILT_IN: Final[dict[IntegrationType, type[Integration]]] = {
    IntegrationType.WEBHOOK: WebhookIntegration,
    IntegrationType.REST_API: RestApiIntegration,
    IntegrationType.GRAPHQL: GraphQLIntegration,
    IntegrationType.EVENT_BUS: EventBusIntegration,
    IntegrationType.MESSAGE_QUEUE: MessageQueueIntegration,
    IntegrationType.FILE: FileIntegration,
    IntegrationType.CUSTOM: CustomIntegration,
    IntegrationType.GRPC: GrpcIntegration,
}
