"""In-process moto with the demo's Cloud Control installed, and the clients the tests use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from aws_mcp_local.demo.cloudcontrol import Emulator, installed

REGION = "us-east-1"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """Fresh moto, Cloud Control answering in it; requests finish at once unless a test says."""
    with mock_aws(), installed() as cloudcontrol:
        yield cloudcontrol


@pytest.fixture
def cc(emulator: Emulator) -> Any:
    return boto3.client("cloudcontrol", region_name=REGION)


def client(service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]
