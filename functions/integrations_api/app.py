"""Lambda entry point of the integrations REST API (template.yaml: IntegrationsApiFunction).

FastAPI behind Mangum, built at import (init) by the composition root; the MCP function never
imports FastAPI (docs/ARCHITECTURE.md).
"""

from aws_mcp.server import integrations_lambda_handler

handler = integrations_lambda_handler()
