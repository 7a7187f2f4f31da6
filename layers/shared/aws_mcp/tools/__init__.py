"""The tool catalog: every tool module's declarations, and the registry one deployment builds from them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_mcp.audit.query import AuditStore
from aws_mcp.audit.trail import AuditTrail
from aws_mcp.config import Settings
from aws_mcp.resilience import Breakers, Deadlines, Idempotency, Resilience
from aws_mcp.telemetry import Telemetry
from aws_mcp.tools import audit, ec2, identity
from aws_mcp.tools.registry import ToolOutcome, ToolRegistry, ToolSpec
from aws_mcp.tracing import Tracing

if TYPE_CHECKING:
    from aws_mcp.aws.clients import ClientFactory

__all__ = ["CATALOG", "ToolOutcome", "ToolRegistry", "ToolSpec", "build_registry"]

CATALOG: tuple[ToolSpec, ...] = identity.TOOLS + ec2.TOOLS + audit.TOOLS


def build_registry(
    settings: Settings,
    clients: ClientFactory,
    *,
    logger: Any = None,
    telemetry: Telemetry | None = None,
    tracing: Tracing | None = None,
) -> ToolRegistry:
    """The tools this deployment exposes (mutating ones only when writes are allowed), audited.

    ``logger`` receives the audit lines (a Powertools Logger on stdout by default; stdio
    serving passes one on stderr, since stdout is its protocol channel).
    """
    if logger is None:
        from aws_lambda_powertools import Logger

        logger = Logger(service=settings.server_name)
    if telemetry is None:
        telemetry = Telemetry(
            settings.metrics_namespace, settings.server_name, enabled=settings.metrics_enabled
        )
    if tracing is None:
        tracing = Tracing.for_lambda(settings.server_name) if settings.tracing_enabled else Tracing()
    table = settings.audit_table

    def state_tables() -> Any:
        return clients.client("dynamodb", settings.tables_region, state=True)

    def query_client() -> Any:
        return clients.client("dynamodb", settings.tables_region)

    trail = AuditTrail(
        logger,
        dynamodb=state_tables if table else None,
        table=table,
        retention_days=settings.audit_retention_days,
        write_reads=settings.audit_table_writes == "all",
        telemetry=telemetry,
    )
    resilience = Resilience(
        breakers=Breakers(settings, state_tables, telemetry),
        idempotency=Idempotency(settings, state_tables),
        deadlines=Deadlines(settings.deadline_margin_ms),
    )
    store = AuditStore(query_client, table) if table else None
    return ToolRegistry(
        CATALOG,
        settings,
        clients,
        audit=trail,
        resilience=resilience,
        telemetry=telemetry,
        tracing=tracing,
        services={audit.AUDIT_STORE: store},
    )
