"""Fixtures shared by every test: fake AWS credentials, in-process moto, settings and the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import AccessMode, Settings
from aws_mcp_local.demo import DEMO_IMAGE, seed


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach real AWS: fake credentials, a fixed region, no profile."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def settings() -> Settings:
    # The local caller as an admin: tests of the tools call every kind of them.
    return Settings(access_mode=AccessMode.READ_WRITE, default_region="us-east-1", local_role="admin")


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    """moto, in process, for one test module: every boto3 client built meanwhile talks to it.

    Module scope because seeding costs about a second; tests that change state work on
    instances of their own (see ``launch``), so the seeded fleet stays as seeded. The demo's
    Cloud Control answers in it too, as it does on the demo's server.
    """
    from aws_mcp_local.demo.cloudcontrol import installed

    with mock_aws(), installed():
        yield


@pytest.fixture(scope="module")
def fleet(aws: None) -> dict[str, list[str]]:
    """The demo fleet (and the server's tables), seeded into in-process moto; instance ids by region."""
    return seed(endpoint_url=None, parts=("ec2",))


SCRATCH_REGION = "ap-southeast-2"


@pytest.fixture
def launch(aws: None) -> Callable[[str], str]:
    """Launch an instance in a scratch region, running or stopped; return its id."""

    def launch_one(state: str) -> str:
        ec2: Any = boto3.client("ec2", region_name=SCRATCH_REGION)
        instance_id: str = ec2.run_instances(ImageId=DEMO_IMAGE, MinCount=1, MaxCount=1)["Instances"][0][
            "InstanceId"
        ]
        if state == "stopped":
            ec2.stop_instances(InstanceIds=[instance_id])
        return instance_id

    return launch_one


@pytest.fixture
def clients(settings: Settings, aws: None) -> ClientFactory:
    return ClientFactory(settings, session=boto3.Session(region_name="us-east-1"))
