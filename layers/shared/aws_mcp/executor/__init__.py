"""The CLI executor: AWS CLI commands, as people write them, run through botocore without a shell.

Two ways in: the tools (``aws_cli_run`` reads, ``aws_cli_change`` changes; :mod:`aws_mcp.tools.services.cli`)
and the Python API the seed describes::

    from aws_mcp.executor import CliExecutor

    executor = CliExecutor(region="us-west-2", profile="prod")
    result = await executor.run("ec2 describe-instances")   # or executor.run_sync(...)

``profile`` is an account alias of the server's registry on Lambda, and an AWS profile of
``~/.aws/config`` elsewhere. Either way the same parsing (:mod:`.command`), the same rules
(:mod:`.policy`: reads only unless ReadWrite, never the deny list) and the same paging within
the result budget (:mod:`.run`) apply. Importing this package imports none of that: the parts
load when a command is first run, so a server that never runs one pays nothing at cold start.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import botocore.session

    from aws_mcp.accounts import Account
    from aws_mcp.config import Settings
    from aws_mcp.executor.command import CliCall
    from aws_mcp.executor.policy import CliPolicy
    from aws_mcp.executor.run import CliAnswer
    from aws_mcp.resilience import Breakers

__all__ = ["CLI_EXECUTOR", "CliExecutor", "Executor"]

# The name tools take the executor by (built in aws_mcp.server).
CLI_EXECUTOR: Final = "cli_executor"


class Executor:
    """Parses, checks and runs executor calls for one server: its rules and result budget."""

    def __init__(
        self, policy: CliPolicy, budget: int, *, breakers: Breakers | None = None, read_timeout: float = 60.0
    ) -> None:
        self.policy = policy
        self._budget = budget
        # The registry's Breaker guard knows one service per tool; the executor's service is the
        # command's, so it runs each call through that service's circuit itself.
        self._breakers = breakers
        self._read_timeout = read_timeout
        self._session: botocore.session.Session | None = None
        self._lock = threading.Lock()

    def parse(
        self,
        command: str | None = None,
        *,
        service: str | None = None,
        operation: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> CliCall:
        """A command line, or service + operation + parameters: validated, not yet allowed or run."""
        from aws_mcp.errors import ToolInputError
        from aws_mcp.executor.command import parse_command, structured_call

        if command is not None:
            if service or operation or parameters:
                raise ToolInputError("Give a command, or service, operation and parameters: not both.")
            call = parse_command(command, self._model)
            extra = {k: v for k, v in options.items() if v is not None}
            return _with(call, extra) if extra else call
        if not (service and operation):
            raise ToolInputError(
                "Give a command (such as `ec2 describe-instances`), or service and operation "
                "(and parameters)."
            )
        return structured_call(
            service,
            operation,
            parameters or {},
            self._model,
            **{k: v for k, v in options.items() if v is not None},
        )

    def run(
        self,
        call: CliCall,
        client: Any,
        *,
        account: Account | None = None,
        region: str | None = None,
        tool: str = "aws_cli_run",
    ) -> CliAnswer:
        """``call`` with ``client`` (of its service and where it acts), if the rules allow it; with
        ``region`` (and ``account``), through the circuit breaker of that service, region and account."""
        from aws_mcp.errors import ToolInputError
        from aws_mcp.executor.run import execute

        self.policy.check(call.service, call.operation)
        if self._model(call.service).operation_model(call.operation).has_streaming_output:
            raise ToolInputError(
                f"{call.command} answers with a file's bytes, which a tool result cannot carry. Use a tool "
                "that reads objects, or the AWS CLI with your own credentials."
            )
        # Room for the answer's other fields and the JSON around it.
        budget = max(self._budget - 600, 400)
        if self._breakers is None or region is None:
            return execute(client, call, self._paginator, budget)
        from aws_mcp.accounts import HOME
        from aws_mcp.aws.errors import translated

        def guarded() -> CliAnswer:
            # Translated here, so throttles and 5xx count toward the breaker as the guard's calls do.
            mutating = tool != "aws_cli_run"
            with translated(tool, call.service, region, mutating=mutating, read_timeout=self._read_timeout):
                return execute(client, call, self._paginator, budget)

        return self._breakers.run(call.service, region, guarded, account=account or HOME)

    def _model(self, service: str) -> Any:
        return self._botocore().get_service_model(service)

    def _paginator(self, service: str, operation: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self._botocore().get_paginator_model(service).get_paginator(operation)
        except Exception:  # botocore: not paginated (ValueError), or no paginators for the service
            return None
        return found

    def _botocore(self) -> botocore.session.Session:
        """A botocore session for models only (it makes no calls), with the fast data loader."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    from aws_mcp.aws.loader import fast_session

                    self._session = fast_session()._session  # boto3 keeps its botocore session so
        return self._session


def _with(call: CliCall, options: dict[str, Any]) -> CliCall:
    from dataclasses import replace

    return replace(call, **options)


class CliExecutor:
    """The seed's API: run AWS CLI commands in a region and account (``profile``).

    ``settings`` default to the environment's (:meth:`Settings.from_env`): the access mode, the
    deny list, the account registry and the result budget are the server's.
    """

    def __init__(
        self, region: str | None = None, profile: str | None = None, *, settings: Settings | None = None
    ) -> None:
        from aws_mcp.config import Settings
        from aws_mcp.executor.policy import CliPolicy

        self._settings = settings or Settings.from_env()
        self.region = region or self._settings.default_region
        self.profile = profile
        policy = CliPolicy(
            allows_writes=self._settings.allows_writes,
            deny=CliPolicy.deny_list(",".join(self._settings.cli_deny or ())),
        )
        self._executor = Executor(policy, self._settings.max_result_chars)
        self._client_for = self._clients()

    async def run(self, command: str) -> dict[str, Any]:
        """The command's answer: ``result`` (after ``--query``), ``pages``, and ``next_token``
        or ``truncated`` when there is more."""
        import asyncio

        return await asyncio.to_thread(self.run_sync, command)

    def run_sync(self, command: str) -> dict[str, Any]:
        from aws_mcp.aws.regions import check_region

        call = self._executor.parse(command)
        region = check_region(call.region or self.region)
        answer = self._executor.run(call, self._client_for(call.service, region))
        found: dict[str, Any] = {"command": call.command, "result": answer.result, "pages": answer.pages}
        if answer.next_token:
            found["next_token"] = answer.next_token
        if answer.truncated:
            found["truncated"] = answer.truncated
        return found

    def _clients(self) -> Any:
        """Clients in the profile's account: on Lambda an alias of the registry, else an AWS profile."""
        import boto3

        from aws_mcp.aws.clients import ClientFactory

        if self._settings.on_lambda or self.profile is None:
            factory = ClientFactory(self._settings)
            account = self._settings.accounts.resolve(self.profile)
            return lambda service, region: factory.client(service, region, account=account)
        factory = ClientFactory(self._settings, session=boto3.Session(profile_name=self.profile))
        return factory.client
