"""What derives from the tool catalogue is current: README's tools table and template.yaml's tool actions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from aws_mcp.tools.contract import RegionalInput, tool

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import derive


class Volumes(RegionalInput):
    pass


class Listed(BaseModel):
    count: int = 0


def list_volumes(ec2: object, args: Volumes) -> Listed:
    """List the EBS volumes. More words follow."""
    return Listed()


NEW_TOOL = tool(name="ec2_list_volumes", title="t", iam_actions=("ec2:DescribeVolumes",), read_only=True)(
    list_volumes
)


def test_readme_and_template_are_written_from_the_catalogue() -> None:
    stale: list[str] = []
    assert derive.main(["--check"], out=stale.append) == 0, stale


def test_a_new_read_tool_reaches_the_tools_table_and_the_read_actions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(derive, "CATALOG", (*derive.CATALOG, NEW_TOOL))
    readme = derive.readme(derive.README.read_text())
    template = derive.template(derive.TEMPLATE.read_text())
    assert "| core | `ec2_list_volumes` | List the EBS volumes. | read |" in readme
    assert "- ec2:DescribeVolumes\n" in template and '"ec2:DescribeVolumes"' not in template
