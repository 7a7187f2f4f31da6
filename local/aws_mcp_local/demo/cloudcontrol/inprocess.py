"""Cloud Control inside ``mock_aws``: moto's botocore stubber learns to answer it.

moto has no Cloud Control; under ``mock_aws`` its stubber answers any request to an
``amazonaws.com`` host it does not know with a 404 ("Not yet implemented"), so nothing reaches
the network with or without this. ``installed`` puts the emulator in front of the stubber's
dispatch for requests whose target is Cloud Control's, and takes it away again on exit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber
from moto.core.request import normalize_request

from aws_mcp_local.demo.cloudcontrol import registry
from aws_mcp_local.demo.cloudcontrol.service import Emulator, is_cloud_control

__all__ = ["installed"]


@contextmanager
def installed(delay: float = 0.0) -> Iterator[Emulator]:
    """Within this, boto3's ``cloudcontrol`` under ``mock_aws`` reaches the emulator (requests
    finishing ``delay`` seconds after they are made: at once by default), and CloudFormation's
    ``ListTypes`` and ``DescribeType`` describe its types. Yields the emulator."""
    registry.install()
    emulator = Emulator(delay=delay)
    before = BotocoreStubber.process_request

    def process_request(stubber: BotocoreStubber, request: Any) -> Any:
        if is_cloud_control(request.headers):
            return emulator.answer(normalize_request(request))
        return before(stubber, request)

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign,assignment]
    try:
        yield emulator
    finally:
        BotocoreStubber.process_request = before  # type: ignore[method-assign]
