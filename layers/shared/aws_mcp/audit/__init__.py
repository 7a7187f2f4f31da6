"""The audit trail: one record per tools/call, in the structured log and the audit table."""

from aws_mcp.audit.record import BY_CALLER_INDEX, AuditRecord, Outcome, redact
from aws_mcp.audit.trail import AuditTrail

__all__ = ["BY_CALLER_INDEX", "AuditRecord", "AuditTrail", "Outcome", "redact"]
