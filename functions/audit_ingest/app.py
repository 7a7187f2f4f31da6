"""Lambda entry point of the audit log subscription (template.yaml: AuditIngestFunction).

CloudWatch Logs invokes it with the McpFunction log lines the subscription filter passes
(audit records of read-only calls); aws_mcp.audit.ingest stores them in the audit table.
Settings, the logger and the DynamoDB client are made once, at import (init).
"""

from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from aws_mcp.audit.ingest import AuditIngest, AuditTableWriter
from aws_mcp.config import ENV, Settings
from aws_mcp.errors import ConfigurationError

settings = Settings.from_env()
if not settings.audit_table:
    raise ConfigurationError(f"{ENV.AUDIT_TABLE} is not set: the audit ingest has nowhere to write")
logger = Logger(service=settings.server_name)
# Off the request path: more patience than the server's own state tables get. Throttling is
# retried here; items DynamoDB leaves unprocessed are retried by the writer.
dynamodb = boto3.client(
    "dynamodb",
    config=Config(retries={"mode": "standard", "total_max_attempts": 5}, connect_timeout=2, read_timeout=5),
)
ingest = AuditIngest(
    AuditTableWriter(dynamodb, settings.audit_table),
    retention_days=settings.audit_retention_days,
    logger=logger,
)


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return ingest.handle(event)
