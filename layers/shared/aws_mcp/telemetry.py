"""Metrics in CloudWatch Embedded Metric Format, through Powertools' EMF provider.

One provider serializes every line from metrics and dimensions passed to it, never
buffered in it (Powertools' ``Metrics`` shares one buffer across instances and threads, and
building a provider and adding metrics one by one, validated each time, was a fifth of a
call's overhead). Each emission is one EMF line per dimension set. The names here are
what template.yaml's alarms and dashboard read:

* ``{service}``: ToolCalls, ToolErrors, Throttles, BreakerOpened, BreakerStoreErrors, AuditWriteErrors
* ``{service, tool}``: ToolCalls, ToolErrors, ToolLatency (ms)
* ``{service, aws_service, to_state}``: BreakerTransitions
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from aws_mcp.jsontext import dumps_text

__all__ = ["Telemetry"]

logger = logging.getLogger(__name__)


class Telemetry:
    """Emits the server's metrics; disabled (a no-op) off Lambda, where nothing collects EMF."""

    def __init__(self, namespace: str, service: str, *, enabled: bool, stream: IO[str] | None = None) -> None:
        self._namespace = namespace
        self._service = service
        self.enabled = enabled
        self._stream = stream
        self._provider = AmazonCloudWatchEMFProvider(namespace=namespace, service=service)

    def tool_call(self, tool: str, *, error: bool, latency_ms: float, throttled: bool) -> None:
        counts = {"ToolCalls": 1, "ToolErrors": int(error)}
        if throttled:
            counts["Throttles"] = 1
        self._emit({"tool": tool}, counts, latency_ms=latency_ms, per_service_too=True)

    def breaker_transition(self, aws_service: str, to_state: str) -> None:
        self._emit({"aws_service": aws_service, "to_state": to_state}, {"BreakerTransitions": 1})
        if to_state == "OPEN":
            self._emit({}, {"BreakerOpened": 1})

    def count(self, name: str) -> None:
        """An aggregate counter: BreakerStoreErrors, AuditWriteErrors."""
        self._emit({}, {name: 1})

    def _emit(
        self,
        dimensions: dict[str, str],
        counts: dict[str, int],
        latency_ms: float | None = None,
        *,
        per_service_too: bool = False,
    ) -> None:
        if not self.enabled:
            return
        try:
            metrics = {name: _metric("Count", count) for name, count in counts.items()}
            if latency_ms is not None:
                metrics["ToolLatency"] = _metric("Milliseconds", latency_ms)
            blob: Any = self._provider.serialize_metric_set(
                metrics=metrics, dimensions={**dimensions, "service": self._service}, metadata={}
            )
            if per_service_too:
                blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"].append(["service"])
            # One write per line: calls on other threads (the deadline's workers) must not split it.
            stream = self._stream or sys.stdout
            stream.write(dumps_text(blob) + "\n")
            stream.flush()
        except Exception:
            # Metrics must never break a tool call.
            logger.warning("metrics not emitted", exc_info=True)


def _metric(unit: str, value: float) -> dict[str, Any]:
    """A metric as Powertools' provider holds one (standard resolution)."""
    return {"Unit": unit, "StorageResolution": 60, "Value": [float(value)]}
