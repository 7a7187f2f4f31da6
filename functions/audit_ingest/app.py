"""Lambda entry point of the audit log subscription (template.yaml: AuditIngestFunction).

CloudWatch Logs invokes it with the McpFunction log lines the subscription filter passes
(audit records of read-only calls); aws_mcp.audit.ingest stores them in the audit table,
and sends a record the table cannot take to the dead-letter queue named by
AWS_MCP_AUDIT_DEAD_LETTER_QUEUE. Settings, the logger and the clients are made once, at
import (init).
"""

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from aws_mcp.audit.ingest import (
    DEAD_LETTER_QUEUE_VARIABLE,
    WORKERS,
    AuditIngest,
    AuditTableWriter,
    DeadLetterQueue,
)
from aws_mcp.config import ENV, Settings
from aws_mcp.errors import ConfigurationError

settings = Settings.from_env()
if not settings.audit_table:
    raise ConfigurationError(f"{ENV.AUDIT_TABLE} is not set: the audit ingest has nowhere to write")
logger = Logger(service=settings.server_name)
# Off the request path: more patience than the server's own state tables get; throttling is
# retried here. One connection per writer thread.
config = Config(
    retries={"mode": "standard", "total_max_attempts": 5},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=WORKERS,
)
dynamodb = boto3.client("dynamodb", config=config)
dead_letter_queue = os.environ.get(DEAD_LETTER_QUEUE_VARIABLE)
ingest = AuditIngest(
    AuditTableWriter(dynamodb, settings.audit_table, workers=WORKERS),
    retention_days=settings.audit_retention_days,
    logger=logger,
    dead_letters=DeadLetterQueue(boto3.client("sqs", config=config), dead_letter_queue)
    if dead_letter_queue
    else None,
)


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return ingest.handle(event)
