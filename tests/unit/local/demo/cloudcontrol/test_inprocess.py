"""Under mock_aws, Cloud Control reaches the emulator only while it is installed, and never the
network: without it moto answers 404, with or after it nothing leaves the process."""

from __future__ import annotations

import json
import socket
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from aws_mcp_local.demo.cloudcontrol import installed


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def _get(cc: Any) -> Any:
    return cc.get_resource(TypeName="AWS::Logs::LogGroup", Identifier="/x")


def test_without_the_emulator_moto_answers_not_implemented_locally(no_network: None) -> None:
    with mock_aws():
        cc = boto3.client("cloudcontrol", region_name="us-east-1")
        with pytest.raises(ClientError) as absent:
            _get(cc)
    assert absent.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_the_emulator_answers_only_while_installed(no_network: None) -> None:
    with mock_aws():
        cc = boto3.client("cloudcontrol", region_name="us-east-1")
        with installed():
            cc.create_resource(
                TypeName="AWS::Logs::LogGroup", DesiredState=json.dumps({"LogGroupName": "/x"})
            )
            assert _get(cc)["ResourceDescription"]["Identifier"] == "/x"
        with pytest.raises(ClientError) as after:
            _get(cc)
    assert after.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_requests_are_forgotten_with_the_rest_of_moto(no_network: None) -> None:
    with mock_aws(), installed():
        cc = boto3.client("cloudcontrol", region_name="us-east-1")
        token = cc.create_resource(
            TypeName="AWS::Logs::LogGroup", DesiredState=json.dumps({"LogGroupName": "/x"})
        )["ProgressEvent"]["RequestToken"]
    with mock_aws(), installed():
        cc = boto3.client("cloudcontrol", region_name="us-east-1")
        with pytest.raises(ClientError) as forgotten:
            cc.get_resource_request_status(RequestToken=token)
    assert forgotten.value.response["Error"]["Code"] == "RequestTokenNotFoundException"


def test_the_demo_s_delay_is_read_from_its_setting() -> None:
    from aws_mcp_local.demo.cloudcontrol import DEFAULT_DELAY, DELAY_ENV, delay_from

    assert delay_from({}) == DEFAULT_DELAY
    assert delay_from({DELAY_ENV: "0"}) == 0.0
    assert delay_from({DELAY_ENV: " 30.5 "}) == 30.5
    for wrong in ("soon", "-1", "inf", "nan"):
        with pytest.raises(ValueError, match=DELAY_ENV):
            delay_from({DELAY_ENV: wrong})
