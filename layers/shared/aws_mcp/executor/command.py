"""An AWS CLI command line, as people write it, turned into one botocore call, validated against the model.

``ec2 describe-instances --filters Name=instance-state-name,Values=running --query 'Reservations[]'``
becomes service ``ec2``, operation ``DescribeInstances``, its parameters, and the CLI's own
options (``--query``, ``--region``, ``--max-items``, ...). The words are split as a POSIX shell
would split them (:mod:`shlex`), and nothing is ever run by a shell.

Options follow the AWS CLI's rules: an operation's parameter ``InstanceIds`` is
``--instance-ids`` (botocore's ``xform_name``), a list takes several values, a boolean is a flag
(``--dry-run`` / ``--no-dry-run``), a structure, map or list of structures is JSON (when it starts
with ``{`` or ``[``) or shorthand (:mod:`.shorthand`), whose strings are then converted to the
model's types as the CLI converts them. The whole request is then checked with botocore's own
parameter validation, so what botocore would refuse is refused here, before any call, with its
report and the fix. Hand-written for the reasons in :mod:`.shorthand`'s docstring.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from botocore import xform_name
from botocore.exceptions import ParamValidationError
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from botocore.validate import validate_parameters

from aws_mcp.errors import ToolInputError
from aws_mcp.executor.shorthand import ShorthandError, parse_shorthand

__all__ = ["CLI_NAMES", "CliCall", "cli_name", "parse_command", "structured_call"]

# The AWS CLI's names for services it renames (awscli's rename_command customizations).
CLI_NAMES: Final = {"s3api": "s3", "configservice": "config", "deploy": "codedeploy"}
_SERVICE_CLI_NAMES: Final = {v: k for k, v in CLI_NAMES.items()}
# The AWS CLI's high-level commands are not API operations.
_NOT_API: Final = {"s3": "s3api (the API commands, such as s3api list-objects-v2)"}
# Global options that change nothing here (output paging, colours).
_IGNORED: Final = {"--no-cli-pager", "--color", "--no-cli-auto-prompt"}
# Global options that would send the call elsewhere or read local files: refused.
_REFUSED: Final = {
    "--endpoint-url": "the server calls AWS's own endpoints only",
    "--no-verify-ssl": "certificates are always checked",
    "--ca-bundle": "the server reads no local files",
    "--debug": "the server's logs are not a result",
    "--no-sign-request": "every call is signed as the server's role",
    "--cli-input-yaml": "give --cli-input-json, or the parameters themselves",
}
_VALUED_GLOBALS: Final = {"--region", "--query", "--output", "--max-items", "--page-size", "--starting-token"}
_VALUED_GLOBALS_ALSO: Final = {"--profile", "--cli-input-json"}


@dataclass(frozen=True, slots=True)
class CliCall:
    """One AWS API call, as the executor runs it."""

    service: str  # botocore's name (``s3``, not ``s3api``)
    operation: str  # the model's name, ``DescribeInstances``
    parameters: dict[str, Any] = field(default_factory=dict)
    query: str | None = None
    region: str | None = None
    profile: str | None = None
    max_items: int | None = None
    page_size: int | None = None
    starting_token: str | None = None
    paginate: bool = True

    @property
    def command(self) -> str:
        """How the AWS CLI names it: ``ec2 describe-instances``."""
        return f"{cli_name(self.service)} {xform_name(self.operation, '-')}"


def cli_name(service: str) -> str:
    return _SERVICE_CLI_NAMES.get(service, service)


ServiceModels = Callable[[str], ServiceModel]
"""``models(service)``: botocore's model of a service; raises ``UnknownServiceError``."""


def parse_command(command: str, models: ServiceModels) -> CliCall:
    """``command`` (``aws`` optional) as one call; a :class:`ToolInputError` naming the fix otherwise."""
    try:
        words = shlex.split(command, posix=True)
    except ValueError as err:
        raise ToolInputError(f"The command cannot be split into words ({err}): close every quote.") from None
    if words and words[0] == "aws":
        words = words[1:]
    if len(words) < 2 or words[0].startswith("-") or words[1].startswith("-"):
        raise ToolInputError(
            "Give the command as the AWS CLI takes it: a service, an operation, then options, such as "
            "`ec2 describe-instances --filters Name=instance-state-name,Values=running`."
        )
    service_word, operation_word, rest = words[0], words[1], words[2:]
    if service_word in _NOT_API:
        raise ToolInputError(f"`{service_word}` commands are not API calls; use {_NOT_API[service_word]}.")
    service = CLI_NAMES.get(service_word, service_word)
    model = _service(models, service, service_word)
    operation = _operation(model, operation_word)
    options = _options(rest)
    globals_, parameters = _globals(options), _parameters(operation, options)
    if "cli_input_json" in globals_:
        parameters = {**_json(globals_.pop("cli_input_json"), "--cli-input-json"), **parameters}
    return _validated(
        CliCall(service=service, operation=operation.name, parameters=parameters, **globals_), model
    )


def structured_call(
    service: str,
    operation: str,
    parameters: Mapping[str, Any],
    models: ServiceModels,
    **options: Any,
) -> CliCall:
    """The same call given as service (CLI or botocore name), operation (either spelling) and
    parameters (the API's names), validated the same way."""
    name = CLI_NAMES.get(service, service)
    model = _service(models, name, service)
    return _validated(
        CliCall(
            service=name, operation=_operation(model, operation).name, parameters=dict(parameters), **options
        ),
        model,
    )


def _service(models: ServiceModels, service: str, said: str) -> ServiceModel:
    try:
        return models(service)
    except Exception:
        raise ToolInputError(
            f"{said!r} is not an AWS CLI service. Name one such as ec2, s3api, lambda or dynamodb "
            "(as in `aws <service> <operation>`)."
        ) from None


def _operation(model: ServiceModel, said: str) -> OperationModel:
    by_cli = {xform_name(name, "-"): name for name in model.operation_names}
    name = by_cli.get(said) or (said if said in model.operation_names else None)
    if name is None:
        close = difflib.get_close_matches(said, list(by_cli), n=5, cutoff=0.5) or sorted(by_cli)[:5]
        raise ToolInputError(
            f"{cli_name(model.service_name)} has no operation {said!r}. Did you mean: {', '.join(close)}?"
        )
    return model.operation_model(name)


def _options(words: list[str]) -> list[tuple[str, list[str]]]:
    """``--name value...`` pairs, in order; a word before any option is an error."""
    found: list[tuple[str, list[str]]] = []
    for word in words:
        if word.startswith("--") and len(word) > 2:
            name, sep, inline = word.partition("=")
            found.append((name, [inline] if sep else []))
        elif not found:
            raise ToolInputError(f"Unexpected {word!r}: every value follows its --option.")
        else:
            found[-1][1].append(word)
    return found


def _globals(options: list[tuple[str, list[str]]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, values in options:
        if name in _REFUSED:
            raise ToolInputError(f"{name} is not taken here: {_REFUSED[name]}. Leave it out.")
        if name in _IGNORED:
            continue
        if name == "--no-paginate":
            found["paginate"] = False
        elif name in _VALUED_GLOBALS | _VALUED_GLOBALS_ALSO:
            if len(values) != 1:
                raise ToolInputError(f"{name} takes one value.")
            found[name[2:].replace("-", "_")] = values[0]
    if found.get("output", "json") != "json":
        raise ToolInputError("The answer is always JSON: leave out --output (use --query to shape it).")
    found.pop("output", None)
    for name in ("max_items", "page_size"):
        if name in found:
            try:
                found[name] = int(found[name])
            except ValueError:
                raise ToolInputError(f"--{name.replace('_', '-')} takes a whole number.") from None
            if found[name] < 1:
                raise ToolInputError(f"--{name.replace('_', '-')} must be at least 1.")
    return found


def _parameters(operation: OperationModel, options: list[tuple[str, list[str]]]) -> dict[str, Any]:
    shape = operation.input_shape
    members: dict[str, Shape] = dict(shape.members) if isinstance(shape, StructureShape) else {}
    by_cli = {xform_name(name, "-"): name for name in members}
    known_globals = _VALUED_GLOBALS | _VALUED_GLOBALS_ALSO | _IGNORED | {"--no-paginate"}
    parameters: dict[str, Any] = {}
    for option, values in options:
        if option in known_globals:
            continue
        said = option[2:]
        negated = said.startswith("no-") and by_cli.get(said[3:]) is not None
        name = by_cli.get(said[3:] if negated else said)
        if name is None:
            close = [f"--{c}" for c in difflib.get_close_matches(said, list(by_cli), n=6, cutoff=0.5)] or [
                f"--{c}" for c in sorted(by_cli)[:6]
            ]
            raise ToolInputError(
                f"{operation.name} has no option {option}. Its options include: {', '.join(close) or 'none'}."
            )
        member = members[name]
        if member.type_name == "boolean":
            parameters[name] = _flag(option, values, negated)
        else:
            parameters[name] = _value(option, member, values)
    return parameters


def _flag(option: str, values: list[str], negated: bool) -> bool:
    if not values:
        return not negated
    if len(values) == 1 and values[0].lower() in ("true", "false") and not negated:
        return values[0].lower() == "true"
    raise ToolInputError(f"{option} is a flag: give it alone (or --no-{option[2:]}).")


def _value(option: str, shape: Shape, values: list[str]) -> Any:
    if not values:
        raise ToolInputError(f"{option} needs a value.")
    if any(v.startswith(("file://", "fileb://")) for v in values):
        raise ToolInputError(f"{option}: the server reads no local files; give the value itself (or JSON).")
    if isinstance(shape, ListShape):
        if len(values) == 1 and values[0].lstrip().startswith("["):
            return _json(values[0], option)
        member = shape.member
        if isinstance(member, StructureShape | MapShape):
            return [_complex(option, member, v) for v in values]
        return [_scalar(option, member, v) for v in values]
    if len(values) != 1:
        raise ToolInputError(f"{option} takes one value; quote a value that holds spaces.")
    if isinstance(shape, StructureShape | MapShape):
        return _complex(option, shape, values[0])
    return _scalar(option, shape, values[0])


def _complex(option: str, shape: Shape, value: str) -> Any:
    if value.lstrip().startswith(("{", "[")):
        return _json(value, option)
    try:
        return _typed(shape, parse_shorthand(value))
    except ShorthandError as err:
        raise ToolInputError(
            f"{option}: not shorthand ({err}). Write Key=value,Key=value (a list as a,b or [a,b], an "
            "object as {Key=value}), or give JSON."
        ) from None


def _json(value: str, option: str) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as err:
        raise ToolInputError(f"{option}: not valid JSON ({err}). Quote the JSON as one word.") from None


def _scalar(option: str, shape: Shape, value: str) -> Any:
    try:
        return _typed(shape, value)
    except ValueError:
        raise ToolInputError(f"{option}: {value!r} is not a {shape.type_name}.") from None


def _typed(shape: Shape, value: Any) -> Any:
    """A parsed shorthand value in the model's types, as the AWS CLI converts it: a lone value
    where a list is expected becomes a list, numbers and booleans are read from their text."""
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return value
        return {k: _typed(shape.members[k], v) if k in shape.members else v for k, v in value.items()}
    if isinstance(shape, MapShape):
        return {k: _typed(shape.value, v) for k, v in value.items()} if isinstance(value, dict) else value
    if isinstance(shape, ListShape):
        items = value if isinstance(value, list) else [value]
        return [_typed(shape.member, v) for v in items]
    if not isinstance(value, str):
        return value
    kind = shape.type_name
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("float", "double"):
        return float(value)
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise ValueError(value)
        return value.lower() == "true"
    return value


def _validated(call: CliCall, model: ServiceModel) -> CliCall:
    operation = model.operation_model(call.operation)
    if operation.input_shape is None:
        if call.parameters:
            raise ToolInputError(f"{call.command} takes no parameters; leave them out.")
        return call
    try:
        validate_parameters(call.parameters, operation.input_shape)
    except ParamValidationError as err:
        report = str(err.kwargs.get("report", err)).strip().replace("\n", "; ")
        raise ToolInputError(f"{call.command}: {report}. Fix the parameters and call again.") from None
    return call
