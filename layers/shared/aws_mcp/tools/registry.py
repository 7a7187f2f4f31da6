"""The tool contract: declarations, the catalog a deployment exposes, and the call path around every tool.

A tool is a plain function ``fn(*clients, args) -> Output`` declared with
:func:`tool`. It receives its boto3 clients (never builds them), and never
reads the environment or writes audit records: everything that wraps a call
(authorization by access mode, argument validation, AWS error translation,
result shaping) happens once, here.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    ReadTimeoutError,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aws_mcp.config import Settings
from aws_mcp.context import CallContext
from aws_mcp.errors import INVALID_PARAMS, AwsCallError, ProtocolError, ToolError, ToolInputError
from aws_mcp.tools.schema import model_schema

if TYPE_CHECKING:
    from aws_mcp.aws.clients import ClientFactory

__all__ = ["ToolInput", "ToolOutcome", "ToolRegistry", "ToolSpec", "tool"]

logger = logging.getLogger(__name__)

_NAME: Final = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
_REGION: Final = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$"


class ToolInput(BaseModel):
    """Base of every tool's arguments: unknown arguments are refused, ``region`` is always accepted."""

    model_config = ConfigDict(extra="forbid")

    region: str | None = Field(
        default=None,
        pattern=_REGION,
        description="AWS region to act in, such as us-east-1. Omit it to use the server's default region.",
    )


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """A tool's answer, transport-neutral: the protocol layer renders it per revision."""

    text: str
    structured: dict[str, Any] | None = None
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    title: str
    description: str
    input_model: type[ToolInput]
    output_model: type[BaseModel]
    func: Callable[..., BaseModel]
    # boto3 service names, passed to ``func`` as clients in this order.
    clients: tuple[str, ...]
    # IAM actions the tool needs; the template's policies are checked against these.
    iam_actions: tuple[str, ...]
    read_only: bool
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = True
    _definition: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def mutating(self) -> bool:
        return not self.read_only

    def definition(self) -> dict[str, Any]:
        """The ``tools/list`` entry (latest shape), computed once."""
        if not self._definition:
            self._definition.update(
                name=self.name,
                title=self.title,
                description=self.description,
                inputSchema=model_schema(self.input_model, "validation"),
                outputSchema=model_schema(self.output_model, "serialization"),
                annotations={
                    "title": self.title,
                    "readOnlyHint": self.read_only,
                    "destructiveHint": self.destructive,
                    "idempotentHint": self.idempotent,
                    "openWorldHint": self.open_world,
                },
            )
        return self._definition


def tool(
    *,
    name: str,
    title: str,
    input: type[ToolInput],
    output: type[BaseModel],
    clients: tuple[str, ...],
    iam_actions: tuple[str, ...],
    read_only: bool,
    destructive: bool = False,
    idempotent: bool = False,
    open_world: bool = True,
) -> Callable[[Callable[..., BaseModel]], ToolSpec]:
    """Declare a tool; the decorated function's docstring is its description for the model."""
    if not _NAME.match(name) or len(name) > 64:
        raise ValueError(f"tool name {name!r} must be service_verb_noun snake_case, at most 64 characters")
    if read_only and destructive:
        raise ValueError(f"tool {name!r} cannot be both read-only and destructive")

    def declare(func: Callable[..., BaseModel]) -> ToolSpec:
        description = " ".join((func.__doc__ or "").split())
        if not description:
            raise ValueError(f"tool {name!r} needs a docstring: it is the description the model reads")
        return ToolSpec(
            name=name,
            title=title,
            description=description,
            input_model=input,
            output_model=output,
            func=func,
            clients=clients,
            iam_actions=iam_actions,
            read_only=read_only,
            destructive=destructive,
            idempotent=idempotent,
            open_world=open_world,
        )

    return declare


class ToolRegistry:
    """The tools one deployment exposes, in a deterministic (name) order, and the call path."""

    def __init__(self, tools: Iterable[ToolSpec], settings: Settings, clients: ClientFactory) -> None:
        self._settings = settings
        self._clients = clients
        enabled: dict[str, ToolSpec] = {}
        disabled: dict[str, ToolSpec] = {}
        for spec in sorted(tools, key=lambda t: t.name):
            if spec.name in enabled or spec.name in disabled:
                raise ValueError(f"tool {spec.name!r} is declared twice")
            (enabled if spec.read_only or settings.allows_writes else disabled)[spec.name] = spec
        self._tools = enabled
        self._disabled = disabled
        self._full = [spec.definition() for spec in enabled.values()]
        self._legacy = [_without_newer_fields(d) for d in self._full]

    @property
    def tools(self) -> tuple[ToolSpec, ...]:
        return tuple(self._tools.values())

    def definitions(self, *, with_titles_and_output: bool = True) -> list[dict[str, Any]]:
        return self._full if with_titles_and_output else self._legacy

    def iam_actions(self) -> set[str]:
        return {action for spec in self._tools.values() for action in spec.iam_actions}

    def call(self, name: str, arguments: dict[str, Any], context: CallContext) -> ToolOutcome:
        spec = self._tools.get(name)
        if spec is None:
            if name in self._disabled:
                raise ProtocolError(
                    INVALID_PARAMS,
                    f"Tool {name!r} is disabled: this server runs in {self._settings.access_mode} mode. "
                    "Deploy with AccessMode=ReadWrite to allow changes.",
                )
            raise ProtocolError(INVALID_PARAMS, f"Unknown tool: {name!r}. Call tools/list to see the tools.")
        try:
            args = _validate(spec, arguments)
            region = args.region or self._settings.default_region
            clients = [self._clients.client(service, region) for service in spec.clients]
            output = _call_aws(spec, clients, args)
        except ToolError as err:
            return ToolOutcome(text=str(err), is_error=True)
        except Exception:
            # A bug in a tool, not the caller's fault: keep the details in the log, not on the wire.
            logger.exception("tool %s failed unexpectedly", name)
            return ToolOutcome(
                text=f"Internal error in {name}; the server logged it (request {context.request_id or '-'}).",
                is_error=True,
            )
        structured = output.model_dump(mode="json")
        return ToolOutcome(text=json.dumps(structured, separators=(",", ":")), structured=structured)


def _validate(spec: ToolSpec, arguments: dict[str, Any]) -> ToolInput:
    try:
        return spec.input_model.model_validate(arguments)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in err.errors()
        )
        raise ToolInputError(
            f"Invalid arguments for {spec.name}: {problems}. Fix them and call again."
        ) from None


def _call_aws(spec: ToolSpec, clients: list[Any], args: ToolInput) -> BaseModel:
    service = spec.clients[0] if spec.clients else "aws"
    try:
        return spec.func(*clients, args)
    except ClientError as err:
        error = err.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", err))
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        retryable = status >= 500 or code in _THROTTLING
        hint = " This is transient: try again shortly." if retryable else ""
        raise AwsCallError(
            f"AWS {service} refused {spec.name}: {code}: {message}.{hint}",
            service=service,
            code=code,
            retryable=retryable,
        ) from None
    except (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError, ConnectionError) as err:
        raise AwsCallError(
            f"AWS {service} did not answer in time for {spec.name} ({type(err).__name__}). Try again soon.",
            service=service,
            code=type(err).__name__,
            retryable=True,
        ) from None
    except (NoCredentialsError, NoRegionError) as err:
        raise AwsCallError(
            f"The server has no usable AWS configuration: {err}", service=service, code=type(err).__name__
        ) from None
    except ParamValidationError as err:
        raise ToolInputError(f"Invalid arguments for {spec.name}: {err}") from None
    except BotoCoreError as err:
        raise AwsCallError(
            f"AWS {service} call failed for {spec.name}: {err}", service=service, code=type(err).__name__
        ) from None


_THROTTLING: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)


def _without_newer_fields(definition: dict[str, Any]) -> dict[str, Any]:
    """A tool as 2025-03-26 knows it: no ``title``, no ``outputSchema``."""
    return {k: v for k, v in definition.items() if k not in ("title", "outputSchema")}
