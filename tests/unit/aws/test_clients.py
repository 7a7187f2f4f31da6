"""The client factory builds each client once, with the configured retries and timeouts."""

from __future__ import annotations

import threading

import boto3

from aws_mcp.aws.clients import ClientFactory
from aws_mcp.config import Settings


def test_a_client_is_built_once_per_service_and_region() -> None:
    factory = ClientFactory(Settings(), session=boto3.Session())
    first = factory.client("ec2", "us-east-1")
    assert factory.client("ec2", "us-east-1") is first
    assert factory.client("ec2", "eu-west-1") is not first
    assert factory.client("ec2", "eu-west-1").meta.region_name == "eu-west-1"


def test_clients_use_adaptive_retries_and_the_configured_timeouts() -> None:
    settings = Settings(aws_connect_timeout=1.25, aws_read_timeout=3.5, aws_max_attempts=4)
    config = ClientFactory(settings, session=boto3.Session()).client("sts", "us-east-1").meta.config
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 4}
    assert (config.connect_timeout, config.read_timeout) == (1.25, 3.5)


def test_an_injected_endpoint_is_used_by_every_client() -> None:
    factory = ClientFactory(Settings(), session=boto3.Session(), endpoint_url="http://127.0.0.1:5999")
    assert factory.client("ec2", "us-east-1").meta.endpoint_url == "http://127.0.0.1:5999"


def test_concurrent_first_use_builds_a_single_client() -> None:
    factory = ClientFactory(Settings(), session=boto3.Session())
    seen = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        seen.append(factory.client("sts", "us-east-1"))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in seen}) == 1


def test_the_cache_keeps_the_most_recently_used_clients_within_its_bound() -> None:
    factory = ClientFactory(Settings(), session=boto3.Session(), max_clients=3)
    kept = factory.client("sts", "us-east-1")
    for region in ("eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1"):
        factory.client("sts", region)
        assert factory.client("sts", "us-east-1") is kept  # used again: stays
    assert len(factory._clients) == 3


def test_only_tool_clients_collect_request_ids_for_the_audit_record() -> None:
    from aws_mcp.aws.request_ids import collect_request_ids

    factory = ClientFactory(Settings(), session=boto3.Session())
    parsed = {"ResponseMetadata": {"RequestId": "r-1"}}
    with collect_request_ids() as ids:
        factory.client("dynamodb", "us-east-1", state=True).meta.events.emit(
            "after-call.dynamodb.PutItem", parsed=parsed, http_response=None, model=None, context={}
        )
        factory.client("ec2", "us-east-1").meta.events.emit(
            "after-call.ec2.StartInstances", parsed=parsed, http_response=None, model=None, context={}
        )
    assert ids == ["r-1"]
