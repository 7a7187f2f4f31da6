"""``aws-mcp demo``, the provisioning walkthrough, against ``aws-mcp serve --demo`` as a user runs it."""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any

import pytest

from aws_mcp_client.aws import AWSMCPClient
from aws_mcp_client.config import ClientSettings, MCPServerConfig
from tests.e2e.conftest import aws_mcp_executable, server_env

pytestmark = [pytest.mark.slow]
TIMEOUT_S = 240


def estate(url: str) -> dict[str, Any]:
    """What a run of the walkthrough could leave behind, as the server's own tools list it."""

    async def look() -> dict[str, Any]:
        async with AWSMCPClient(
            config=MCPServerConfig(name="demo", url=url), settings=ClientSettings()
        ) as client:

            async def read(name: str, **arguments: Any) -> dict[str, Any]:
                result = await client.call_tool(name, {"max_results": 50, **arguments})
                assert not result.is_error, result.content
                return dict(result.structured_content or {})

            instances = await read("ec2_list_instances", states=["pending", "running", "stopping", "stopped"])
            return {
                "vpcs": sorted(v["vpc_id"] for v in (await read("vpc_list_vpcs"))["vpcs"]),
                "instances": sorted(i["instance_id"] for i in instances["instances"]),
                "databases": sorted(
                    d["instance_id"] for d in (await read("rds_list_instances"))["instances"]
                ),
                "buckets": sorted(b["name"] for b in (await read("s3_list_buckets"))["buckets"]),
                "functions": sorted(f["name"] for f in (await read("lambda_list_functions"))["functions"]),
            }

    return asyncio.run(look())


def demo(url: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [aws_mcp_executable(), "demo", "--server", url, *options],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=server_env(),
        check=False,
    )


def test_the_walkthrough_builds_every_step_lists_it_and_leaves_the_demo_as_it_found_it(demo_url: str) -> None:
    before = estate(demo_url)
    ran = demo(demo_url, "--yes", "--cleanup")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    for made in ("VPC vpc-", "Instance i-", "Database aws-mcp-demo-", "versioning", "Function aws-mcp-demo-"):
        assert made in ran.stdout, made
    assert "Everything this walkthrough made is gone." in ran.stdout
    assert estate(demo_url) == before


def test_a_dry_run_asks_aws_and_makes_nothing(demo_url: str) -> None:
    before = estate(demo_url)
    ran = demo(demo_url, "--dry-run", "--yes")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "Dry run:" in ran.stdout and "Nothing to clean up." in ran.stdout
    assert estate(demo_url) == before
