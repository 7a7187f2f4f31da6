"""`aws-mcp create | get | list | update | delete`: any Cloud Control type, on the resources contract."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from aws_mcp_client import cli
from aws_mcp_client.aws import PROJECT_TAG
from tests.e2e.client.servers import Store, crud_server, http_app, serving

pytestmark = [pytest.mark.slow]
runner = CliRunner()


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def url(store: Store) -> Iterator[str]:
    with serving(http_app(crud_server(store))) as base:
        yield f"{base}/mcp"


def aws_mcp(url: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(
        cli.app, [*args, "--server", url], input=stdin, env={"COLUMNS": "200", "AWS_MCP_MAX_RETRIES": "0"}
    )
    return result.exit_code, result.stdout, result.stderr


def test_create_then_get_list_update_and_delete_a_bucket(url: str, store: Store) -> None:
    code, out, err = aws_mcp(
        url, "create", "S3::Bucket", "--name", "site", "--tag", "team=web", "--project", "shop", "-o", "json"
    )
    assert code == 0, err
    made = json.loads(out)
    assert made["id"] == "S3::Bucket/site" and made["status"] == "ACTIVE"
    assert made["tags"] == {"team": "web", "Name": "site", PROJECT_TAG: "shop"}

    code, out, _ = aws_mcp(url, "get", "AWS::S3::Bucket", "site", "-o", "json")
    assert code == 0 and json.loads(out)["properties"]["BucketName"] == "site"
    code, out, _ = aws_mcp(url, "list", "S3::Bucket", "--project", "shop", "-o", "json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == ["S3::Bucket/site"]
    code, out, _ = aws_mcp(url, "list", "S3::Bucket", "--project", "elsewhere", "-o", "json")
    assert code == 0 and json.loads(out) == []

    versioning = '{"Status": "Enabled"}'
    code, out, err = aws_mcp(
        url, "update", "S3::Bucket", "site", "--property", f"versioningConfiguration={versioning}"
    )
    assert code == 0, err
    assert store.resources[("AWS::S3::Bucket", "site")]["VersioningConfiguration"] == {"Status": "Enabled"}
    patch = '[{"op": "remove", "path": "/VersioningConfiguration"}]'
    assert aws_mcp(url, "update", "S3::Bucket", "site", "--patch", patch)[0] == 0
    assert "VersioningConfiguration" not in store.resources[("AWS::S3::Bucket", "site")]

    code, out, _ = aws_mcp(url, "delete", "S3::Bucket", "site", "--yes", "-o", "json")
    assert code == 0 and json.loads(out) == {"id": "S3::Bucket/site", "deleted": True, "status": "DELETED"}
    code, _, err = aws_mcp(url, "get", "S3::Bucket", "site")
    assert code == 1 and "RESOURCE_NOT_FOUND" in err and "S3::Bucket/site" in err


def test_a_missing_required_property_is_named_when_not_in_a_terminal(url: str, store: Store) -> None:
    code, _, err = aws_mcp(url, "create", "SQS::Queue")
    assert code == 2 and "AWS::SQS::Queue needs QueueName" in err and "--property" in err
    assert store.resources == {}


def test_a_missing_required_property_is_asked_for_in_a_terminal(
    url: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    code, out, err = aws_mcp(url, "create", "SQS::Queue", "-o", "json", stdin="orders\n")
    assert code == 0, err
    shown = out[out.index("{") :]  # after the answer the runner echoes
    assert json.loads(shown)["properties"]["QueueName"] == "orders"


def test_a_property_the_server_fills_is_not_asked_for(url: str, store: Store) -> None:
    code, out, err = aws_mcp(url, "create", "ec2", "--property", "instanceType=t3.micro", "-o", "json")
    assert code == 0, err
    made = json.loads(out)
    assert made["properties"]["ImageId"] == "ami-0demo" and made["project_id"] == "default"


def test_dry_run_shows_the_request_and_creates_nothing(url: str, store: Store) -> None:
    code, out, err = aws_mcp(
        url, "create", "EC2::Instance", "-P", "instanceType=t3.micro", "--dry-run", "-o", "json"
    )
    assert code == 0, err
    shown = json.loads(out)
    assert shown["dry_run"] is True and shown["type"] == "AWS::EC2::Instance"
    assert shown["filled_by_the_server_if_left_out"] == {"ImageId": "ami-0demo"}
    assert store.resources == {}


def test_delete_needs_yes_outside_a_terminal(url: str, store: Store) -> None:
    aws_mcp(url, "create", "S3::Bucket", "--name", "kept")
    code, _, err = aws_mcp(url, "delete", "S3::Bucket", "kept")
    assert code == 2 and "--yes" in err
    assert ("AWS::S3::Bucket", "kept") in store.resources


def test_update_takes_properties_or_a_patch_not_both_nor_neither(url: str) -> None:
    assert aws_mcp(url, "update", "S3::Bucket", "b")[0] == 2
    both = aws_mcp(url, "update", "S3::Bucket", "b", "-P", "a=1", "--patch", "[]")
    assert both[0] == 2
    code, _, err = aws_mcp(url, "update", "S3::Bucket", "b", "--patch", '{"op": "add"}')
    assert code == 2 and "JSON Patch" in err
