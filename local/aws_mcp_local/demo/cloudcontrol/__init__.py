"""The AWS Cloud Control API for the demo's moto, which has none.

Cloud Control's own wire protocol (JSON 1.0, ``CloudApiService.<Operation>``), so the server's
Cloud Control code is the same against the demo as against AWS: create, read, list, update (an
RFC 6902 patch of the current state), delete, and the requests' status, list and cancel, for
the types in ``SUPPORTED_TYPES``. Resources are moto's own (created through moto's
CloudFormation models): what Cloud Control makes, EC2 or S3 describe, and what the demo estate
made through the native APIs, Cloud Control lists. CloudFormation's ``ListTypes`` and
``DescribeType`` describe the same types.

Two ways in, one core (``service.Emulator``): ``installed()`` inside ``mock_aws``, and
``DemoMotoServer`` (what ``running_demo`` starts). A request stays IN_PROGRESS for the
emulator's ``delay`` (``AWS_MCP_DEMO_CLOUDCONTROL_DELAY`` seconds in the demo, default
``DEFAULT_DELAY``), then reports SUCCESS or FAILED.

Layout: ``service`` (the operations, as a moto response class), ``requests`` (their lives),
``validation`` (a desired state against its schema), ``types/`` (one adapter a type, over
moto), ``schemas/`` (each type's resource-provider schema), ``registry`` (ListTypes,
DescribeType), ``inprocess`` and ``server`` (the two ways in).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from aws_mcp_local.demo.cloudcontrol.inprocess import installed
from aws_mcp_local.demo.cloudcontrol.server import DemoMotoServer
from aws_mcp_local.demo.cloudcontrol.service import DEFAULT_DELAY, Emulator
from aws_mcp_local.demo.cloudcontrol.types import TYPES

__all__ = [
    "DEFAULT_DELAY",
    "DELAY_ENV",
    "SUPPORTED_TYPES",
    "DemoMotoServer",
    "Emulator",
    "delay_from",
    "installed",
]

DELAY_ENV = "AWS_MCP_DEMO_CLOUDCONTROL_DELAY"

SUPPORTED_TYPES: tuple[str, ...] = tuple(TYPES)


def delay_from(environ: Mapping[str, str] | None = None) -> float:
    """The demo's request delay: ``AWS_MCP_DEMO_CLOUDCONTROL_DELAY`` seconds, if a number of them."""
    text = (os.environ if environ is None else environ).get(DELAY_ENV, "").strip()
    try:
        delay = float(text) if text else DEFAULT_DELAY
    except ValueError as err:
        raise ValueError(f"{DELAY_ENV} must be a number of seconds, not {text!r}") from err
    if not 0 <= delay < float("inf"):
        raise ValueError(f"{DELAY_ENV} must be zero or more seconds, not {text!r}")
    return delay
