"""Lambda entry point of outbound delivery (template.yaml: IntegrationsDeliveryFunction).

The audit table's DynamoDB stream invokes it with batches of new records; the server's events among
them go to the integrations that subscribe (aws_mcp.integrations.delivery), what still fails to
the dead-letter queue.
"""

from aws_mcp.server import integrations_delivery_handler

handler = integrations_delivery_handler()
