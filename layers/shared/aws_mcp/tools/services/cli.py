"""The CLI executor's tools: an AWS CLI command (or service, operation, parameters) in an account and region.

``aws_cli_run`` runs reads in any access mode; ``aws_cli_change`` runs changes, so it is a
mutating tool like any other (served in ReadWrite only, audited before it acts, idempotent per
key). Neither runs what the deny list names (:mod:`aws_mcp.executor.policy`). What AWS lets them
do is the deployment's choice: the template's ``CliExecutorAccess`` parameter (README, "Fleet").
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from aws_mcp.errors import AccessDeniedError, ToolInputError
from aws_mcp.executor import Executor
from aws_mcp.executor.command import CliCall
from aws_mcp.executor.policy import reads
from aws_mcp.fleet.fanout import FleetScope
from aws_mcp.tools.contract import (
    CallClients,
    Example,
    MutatingInput,
    MutatingOutput,
    RegionalInput,
    tool,
)

__all__ = ["TOOLS", "TOOLSET"]


class CliRunInput(RegionalInput):
    command: str | None = Field(
        default=None, max_length=4000, description="AWS CLI command, e.g. ec2 describe-instances"
    )
    service: str | None = Field(default=None, max_length=64, description="Or: the service, e.g. ec2")
    operation: str | None = Field(
        default=None, max_length=128, description="With service: operation, e.g. DescribeInstances"
    )
    parameters: dict[str, Any] | None = Field(
        default=None, max_length=100, description="With service: API parameters"
    )
    query: str | None = Field(default=None, max_length=2000, description="JMESPath, as --query")
    cursor: str | None = Field(default=None, max_length=4096)


class CliChangeInput(MutatingInput):
    command: str = Field(max_length=4000, description="AWS CLI command, e.g. ec2 create-tags ...")


class CliOutput(BaseModel):
    command: str = Field(description="The call as the AWS CLI names it.")
    result: Any = Field(default=None, description="AWS's answer, after the query.")
    pages: int = Field(description="Pages read.")
    next_cursor: str | None = Field(default=None, description="Pass as cursor for the rest.")
    truncated: str | None = Field(default=None, description="What was left out, and how to ask for less.")


class CliChangeOutput(MutatingOutput, CliOutput):
    pass


def _call(executor: Executor, args: CliRunInput | CliChangeInput, region: str | None) -> CliCall:
    if isinstance(args, CliChangeInput):
        call = executor.parse(args.command)
    else:
        call = executor.parse(
            args.command,
            service=args.service,
            operation=args.operation,
            parameters=args.parameters,
            query=args.query,
            starting_token=args.cursor,
        )
    if call.profile is not None:
        raise ToolInputError("--profile is not taken here: name the account with the account argument.")
    if call.region and region and call.region != region:
        raise ToolInputError(f"--region {call.region} and region {region} disagree: give one.")
    return call


def _answer(
    executor: Executor, aws: CallClients, scope: FleetScope, call: CliCall, args: CliRunInput | CliChangeInput
) -> dict[str, Any]:
    if call.region is not None:
        from aws_mcp.aws.regions import check_region

        try:
            check_region(call.region)
        except ValueError as err:
            raise ToolInputError(f"--region: {err}") from None
    # The breaker's circuit: the command's service, where it runs, in the call's account.
    answer = executor.run(
        call,
        aws(call.service, call.region),
        account=scope.accounts.resolve(args.account),
        region=call.region or args.region or scope.default_region,
        tool="aws_cli_change" if isinstance(args, CliChangeInput) else "aws_cli_run",
    )
    return {
        "command": call.command,
        "result": answer.result,
        "pages": answer.pages,
        "next_cursor": answer.next_token,
        "truncated": answer.truncated,
    }


@tool(
    name="aws_cli_run",
    title="Run an AWS CLI read",
    iam_actions=(),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {
                "command": "ec2 describe-instances --filters Name=tag:Name,Values=bastion "
                "--query Reservations[].Instances[].InstanceType"
            },
            {"command": "ec2 describe-instances", "result": ["t3.micro"], "pages": 1},
        ),
    ),
)
def run_cli(
    aws: CallClients, cli_executor: Executor, fleet_scope: FleetScope, args: CliRunInput
) -> CliOutput:
    """Run a read-only AWS CLI command (shorthand, JSON, --query; pages followed) via botocore, or
    service, operation and parameters. For what no other tool covers."""
    call = _call(cli_executor, args, args.region)
    cli_executor.policy.refuse_denied(call.service, call.operation)
    if not reads(call.operation):
        raise AccessDeniedError(
            f"{call.command} changes something: aws_cli_run only reads. "
            "Use aws_cli_change (ReadWrite servers)."
        )
    return CliOutput.model_validate(_answer(cli_executor, aws, fleet_scope, call, args))


@tool(
    name="aws_cli_change",
    title="Run an AWS CLI change",
    iam_actions=(),
    read_only=False,
    examples=(
        Example(
            {"command": "secretsmanager get-secret-value --secret-id prod/db"},
            None,
            error_contains=("deny list", "No call was made"),
        ),
    ),
)
def change_cli(
    aws: CallClients, cli_executor: Executor, fleet_scope: FleetScope, args: CliChangeInput
) -> CliChangeOutput:
    """Run an AWS CLI command that changes something. Never what reads secrets or changes access."""
    call = _call(cli_executor, args, args.region)
    return CliChangeOutput.model_validate(_answer(cli_executor, aws, fleet_scope, call, args))


TOOLSET = "fleet"
TOOLS = (run_cli, change_cli)
