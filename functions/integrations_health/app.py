"""Lambda entry point of the integrations' health checks (template.yaml: IntegrationsHealthFunction).

EventBridge Scheduler invokes it every minute to run the checks that are due; the MCP tool
integrations_test invokes it with {"integration_id": ...} to run one now.
"""

from aws_mcp.server import integrations_health_handler

handler = integrations_health_handler()
