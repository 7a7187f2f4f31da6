"""X-Ray tracing through Powertools' Tracer: one subsegment per tool call.

Each ``## <tool>`` subsegment carries the annotations ``tool``, ``service`` (the AWS service
the tool calls), ``region`` and ``outcome``, so traces can be searched by any of them
(``annotation.service = "ec2" AND annotation.outcome = "tool_error"``). The Tracer patches
botocore only: every AWS call shows up as its own subsegment; patching everything the X-Ray
SDK knows would import modules we never use and cost cold start.

Off Lambda there is no X-Ray daemon to send to, so local serving never imports the SDK.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Annotate", "Tracing"]

# Sets annotations on the current tool call's subsegment: annotate(region="eu-west-1", ...).
Annotate = Callable[..., None]


def _ignore(**_: Any) -> None:
    return None


class Tracing:
    """Subsegments for tool calls; with no tracer (off Lambda, or disabled) it does nothing."""

    def __init__(self, tracer: Any = None) -> None:
        self._tracer = tracer

    @classmethod
    def for_lambda(cls, service: str) -> Tracing:
        """A Powertools Tracer that patches botocore (it disables itself off Lambda and under SAM local)."""
        from aws_lambda_powertools import Tracer

        # Calls made during init (the circuit-state reads) have no trace to join yet; the SDK
        # drops their subsegments, as it should, but warns about each one on every cold start.
        logging.getLogger("aws_xray_sdk.core.lambda_launcher").setLevel(logging.ERROR)
        return cls(Tracer(service=service, patch_modules=["botocore"]))

    @property
    def enabled(self) -> bool:
        return self._tracer is not None and not self._tracer.disabled

    @contextmanager
    def tool_call(self, tool: str) -> Iterator[Annotate]:
        if not self.enabled:
            yield _ignore
            return
        with self._tracer.provider.in_subsegment(name=f"## {tool}") as subsegment:

            def annotate(**values: Any) -> None:
                for key, value in values.items():
                    if value is not None:
                        subsegment.put_annotation(key, value)

            annotate(tool=tool)
            yield annotate
