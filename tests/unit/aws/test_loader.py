"""The fast loader answers as botocore's own does, without walking every service to find one."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from aws_mcp.aws.loader import FastLoader, fast_session


def test_a_service_model_is_the_same_data_botocore_loads() -> None:
    ours, theirs = FastLoader(), Loader()
    for service, kind in (("dynamodb", "service-2"), ("sts", "endpoint-rule-set-1"), ("ec2", "paginators-1")):
        assert ours.load_service_model(service, kind) == theirs.load_service_model(service, kind)


def test_finding_a_known_service_does_not_walk_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    walked: list[str] = []
    original = Loader.list_available_services

    def counting(self: Loader, type_name: str) -> Any:
        walked.append(type_name)
        return original(self, type_name)

    monkeypatch.setattr(Loader, "list_available_services", counting)
    fast_session().client("dynamodb", region_name="us-east-1")
    assert walked == []


def test_an_unknown_service_is_botocores_error_naming_the_known_ones() -> None:
    with pytest.raises(UnknownServiceError) as raised:
        FastLoader().load_service_model("no-such-service", "service-2")
    assert "dynamodb" in str(raised.value) and "no-such-service" in str(raised.value)


def test_the_list_of_services_is_botocores_whole_list() -> None:
    services = FastLoader().list_available_services("service-2")
    assert list(services) == Loader().list_available_services("service-2")
    assert "sts" in services and "no-such-service" not in services and 1 not in services  # type: ignore[comparison-overlap]
    assert services[0] == next(iter(services)) and len(services) > 300


def test_a_client_from_the_fast_session_works_like_any_other() -> None:
    client = fast_session().client("sts", region_name="eu-west-1")
    assert client.meta.region_name == "eu-west-1" and client.meta.service_model.service_name == "sts"
