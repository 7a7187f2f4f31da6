"""Who the server acts as: the caller identity behind every AWS call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from aws_mcp.tools.contract import Example, RegionalInput, tool

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient

__all__ = ["TOOLS", "TOOLSET"]


class WhoamiInput(RegionalInput):
    pass


class WhoamiOutput(BaseModel):
    account: str = Field(description="The 12-digit AWS account id.")
    arn: str = Field(description="ARN of the principal the server's calls run as.")
    user_id: str = Field(description="Unique id of that principal.")
    region: str = Field(description="The region this answer applies to.")


@tool(
    name="aws_whoami",
    title="Who am I on AWS",
    iam_actions=("sts:GetCallerIdentity",),
    read_only=True,
    idempotent=True,
    examples=(Example({}, {"account": "123456789012", "region": "us-east-1"}),),
)
def whoami(sts: STSClient, args: WhoamiInput) -> WhoamiOutput:
    """Return the AWS account, principal ARN and region the server acts as. Call this first to learn
    which account and region other tools will touch."""
    identity = sts.get_caller_identity()
    return WhoamiOutput(
        account=identity["Account"],
        arn=identity["Arn"],
        user_id=identity["UserId"],
        region=sts.meta.region_name,
    )


TOOLSET = "core"
TOOLS = (whoami,)
