"""What wraps every AWS call: circuit breakers, idempotency for mutations, and deadlines."""

from __future__ import annotations

from dataclasses import dataclass

from aws_mcp.resilience.breaker import Breakers
from aws_mcp.resilience.deadline import Deadlines
from aws_mcp.resilience.idempotency import Idempotency

__all__ = ["Breakers", "Deadlines", "Idempotency", "Resilience"]


@dataclass(frozen=True, slots=True)
class Resilience:
    breakers: Breakers
    idempotency: Idempotency
    deadlines: Deadlines
