"""Lambda functions: list them, read one's configuration, create, reconfigure and delete one.

Environment variable values are write-only: accepted as input, never returned. The input field
carrying them is named ``secret_environment`` so that audit records redact it whole (the audit
redaction goes by argument name), and an AWS error quoting a value is withheld.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, Self

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, field_validator, model_validator

from aws_mcp.jsontext import dumps_text
from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size
from aws_mcp.tools.tags import Tags, tags_to_set

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

__all__ = ["TOOLS", "TOOLSET"]

FunctionName = Annotated[
    str,
    Field(
        max_length=170,
        pattern=r"^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}$",
        description="A function's name, or its ARN.",
    ),
]
Runtime = Literal[
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "java17",
    "java21",
    "java25",
    "dotnet8",
    "dotnet10",
    "ruby3.3",
    "ruby3.4",
    "provided.al2023",
]
EnvName = Annotated[str, Field(max_length=128, pattern=r"^[a-zA-Z][a-zA-Z0-9_]+$")]
EnvValue = Annotated[str, Field(max_length=4096)]
# Lambda's limit on all of a function's variables together, as it measures them (their JSON).
ENVIRONMENT_MAX_BYTES: Final = 4096
# Inline code is for small functions: larger packages go through S3.
ZIP_BASE64_MAX_CHARS: Final = 512 * 1024
_ENVIRONMENT_FIELD = Field(
    default=None,
    max_length=100,
    description="Environment variables, NAME: value (4 KB in all). Values are write-only: stored in the "
    "function, never shown back, redacted from the audit trail.",
)
# What UpdateFunctionConfiguration changes, argument: its parameter (concurrency has calls of its own).
_CONFIGURATION_FIELDS: Final = {
    "memory_mb": "MemorySize",
    "timeout_s": "Timeout",
    "description": "Description",
    "secret_environment": "Environment",
}


def _check_environment_size(variables: dict[str, str] | None) -> None:
    # Refused here: Lambda's own refusal quotes every variable, values included.
    if variables and len(dumps_text(variables).encode()) > ENVIRONMENT_MAX_BYTES:
        raise ValueError(f"environment variables exceed Lambda's {ENVIRONMENT_MAX_BYTES} bytes in all")


class FunctionSummary(Item):
    item_key = "name"

    name: str
    runtime: str | None = Field(default=None, description="Null for a container image function.")
    memory_mb: int | None = None
    timeout_s: int | None = None
    last_modified: str | None = None
    architectures: list[str] | None = None
    package_type: str | None = Field(default=None, description="Zip or Image.")
    code_size_bytes: int | None = None


class VpcPlacement(BaseModel):
    vpc_id: str | None
    subnet_ids: list[str]
    security_group_ids: list[str]


class FunctionDetail(FunctionSummary):
    arn: str
    description: str | None
    role: str | None = Field(description="ARN of the execution role.")
    handler: str | None
    ephemeral_storage_mb: int | None
    layers: list[str] = Field(description="Layer version ARNs.")
    vpc: VpcPlacement | None = Field(description="Null: not attached to a VPC.")
    environment_variable_names: list[str] = Field(description="Names only: values are never shown.")
    reserved_concurrency: int | None = Field(
        description="Concurrent executions reserved for it (0: it cannot run); null: none reserved, it "
        "shares the account's unreserved pool."
    )
    tracing_mode: str | None = Field(description="X-Ray: Active or PassThrough.")
    state: str | None = Field(description="Pending, Active, Inactive or Failed.")
    state_reason: str | None
    last_update_status: str | None = Field(description="Successful, InProgress or Failed.")
    last_update_status_reason: str | None


class ListFunctionsInput(RegionalInput):
    fields: Fields[FunctionSummary] = None
    max_results: int = page_size(most=50)
    cursor: Cursor = None


class ListFunctionsOutput(Paged):
    items_field = "functions"

    region: str
    functions: list[FunctionSummary]


class GetFunctionInput(RegionalInput):
    function_name: FunctionName


class GetFunctionOutput(BaseModel):
    region: str
    function: FunctionDetail


class CreateFunctionInput(MutatingInput):
    function_name: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The new function's name: letters, digits, hyphens and underscores.",
    )
    runtime: Runtime = Field(description="The language runtime (supported, not deprecated ones only).")
    handler: str = Field(
        min_length=1, max_length=128, pattern=r"^\S+$", description="file.function, such as app.handler."
    )
    role_arn: str = Field(
        max_length=512,
        pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9_+=,.@/-]+$",
        description="The execution role Lambda assumes, arn:aws:iam::<account>:role/<name>.",
    )
    code_zip_base64: str | None = Field(
        default=None,
        max_length=ZIP_BASE64_MAX_CHARS,
        description="The deployment package: a zip, base64-encoded, at most 512 KiB of base64. Larger "
        "packages: upload to S3 and give code_s3_bucket and code_s3_key instead.",
    )
    code_s3_bucket: str | None = Field(
        default=None,
        min_length=3,
        max_length=63,
        pattern=r"^[a-z0-9][a-z0-9.-]+[a-z0-9]$",
        description="Bucket holding the zip (in the function's region).",
    )
    code_s3_key: str | None = Field(
        default=None, min_length=1, max_length=1024, description="Key of the zip."
    )
    description: str = Field(default="", max_length=256, description="What the function is for.")
    memory_mb: int = Field(default=128, ge=128, le=10240, description="Memory in MB; CPU grows with it.")
    timeout_s: int = Field(default=3, ge=1, le=900, description="Seconds an invocation may run.")
    architecture: Literal["x86_64", "arm64"] = Field(
        default="x86_64", description="arm64 (Graviton) costs less per second; the code must support it."
    )
    secret_environment: dict[EnvName, EnvValue] | None = _ENVIRONMENT_FIELD
    tags: Tags = tags_to_set()

    @field_validator("code_zip_base64")
    @classmethod
    def _is_base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("not valid base64") from None
        return value

    @model_validator(mode="after")
    def _one_package(self) -> Self:
        from_s3 = (self.code_s3_bucket, self.code_s3_key)
        if (self.code_zip_base64 is None) == (from_s3 == (None, None)):
            raise ValueError("give the code either as code_zip_base64 or as code_s3_bucket and code_s3_key")
        if self.code_zip_base64 is None and None in from_s3:
            raise ValueError("code_s3_bucket and code_s3_key go together")
        _check_environment_size(self.secret_environment)
        return self


class UpdateFunctionConfigurationInput(MutatingInput):
    function_name: FunctionName
    memory_mb: int | None = Field(default=None, ge=128, le=10240, description="New memory in MB.")
    timeout_s: int | None = Field(default=None, ge=1, le=900, description="New timeout in seconds.")
    description: str | None = Field(default=None, max_length=256, description="New description.")
    secret_environment: dict[EnvName, EnvValue] | None = Field(
        default=None,
        max_length=100,
        description="Replaces ALL environment variables, NAME: value ({} removes them all; 4 KB in all). "
        "Values are write-only: never shown back, redacted from the audit trail.",
    )
    reserved_concurrency: int | None = Field(
        default=None, ge=0, le=100_000, description="Reserve this many concurrent executions (0 stops it)."
    )
    unreserve_concurrency: bool = Field(
        default=False, description="Remove the reservation: it shares the account's unreserved pool again."
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if self.reserved_concurrency is not None and self.unreserve_concurrency:
            raise ValueError("give reserved_concurrency or unreserve_concurrency, not both")
        configures = any(getattr(self, name) is not None for name in _CONFIGURATION_FIELDS)
        if not configures and self.reserved_concurrency is None and not self.unreserve_concurrency:
            raise ValueError("nothing to change: give at least one setting")
        _check_environment_size(self.secret_environment)
        return self


class FunctionConfigured(BaseModel):
    name: str
    arn: str
    runtime: str | None = None
    memory_mb: int | None = None
    timeout_s: int | None = None
    description: str | None = None
    architectures: list[str] | None = None
    environment_variable_names: list[str] = Field(description="Names only: values are never shown.")
    reserved_concurrency: int | None = Field(
        default=None, description="Present when this call changed it; null: none reserved."
    )
    state: str | None = None
    last_update_status: str | None = None


class FunctionChangeOutput(MutatingOutput):
    region: str
    message: str
    function: FunctionConfigured


class DeleteFunctionInput(MutatingInput):
    function_name: FunctionName


class DeleteFunctionOutput(MutatingOutput):
    region: str
    function_name: str
    deleted: bool
    message: str


# A zip holding app.py with handler(event, context): what examples deploy.
SAMPLE_ZIP_BASE64: Final = (
    "UEsDBBQAAAAAAAAAIVysKm9YNQAAADUAAAAGAAAAYXBwLnB5ZGVmIGhhbmRsZXIoZXZlbnQsIGNvbnRleHQpOgogICAgcmV0dXJu"
    "IHsib2siOiBUcnVlfQpQSwECFAMUAAAAAAAAACFcrCpvWDUAAAA1AAAABgAAAAAAAAAAAAAAgAEAAAAAYXBwLnB5UEsFBgAAAAAB"
    "AAEANAAAAFkAAAAAAA=="
)
_DEMO_ROLE: Final = "arn:aws:iam::123456789012:role/demo-lambda-exec"


# -- tools ------------------------------------------------------------------------------------


@tool(
    name="lambda_list_functions",
    title="List Lambda functions",
    iam_actions=("lambda:ListFunctions",),
    read_only=True,
    idempotent=True,
    examples=(
        Example({}, {"region": "us-east-1", "count": 3, "next_cursor": None}),
        Example(
            {"region": "eu-west-1", "fields": ["runtime", "architectures"]},
            {
                "region": "eu-west-1",
                "count": 2,
                "functions": [
                    {"name": "orders-api-eu", "runtime": "python3.13", "architectures": ["arm64"]},
                    {"name": "webhook-relay", "runtime": "nodejs20.x", "architectures": ["arm64"]},
                ],
            },
        ),
    ),
)
def list_functions(lambda_: LambdaClient, args: ListFunctionsInput) -> ListFunctionsOutput:
    """List the Lambda functions of one region with runtime, memory, timeout, architecture, package
    type, code size and when each last changed."""
    region = lambda_.meta.region_name
    pages = TokenPages.resume(args.cursor, {"region": region}, args.max_results)
    response = pages.fetch(lambda_.list_functions, paged_by="Marker", MaxItems=pages.size)
    functions = [FunctionSummary(**_summary_fields(f)) for f in response.get("Functions", [])][pages.offset :]
    page = ListFunctionsOutput(
        region=region,
        count=len(functions),
        functions=functions,
        next_cursor=pages.next_cursor(response.get("NextMarker")),
    )
    return page.resume_with(pages.cursor_at)


@tool(
    name="lambda_get_function",
    title="Show a Lambda function's configuration",
    iam_actions=("lambda:GetFunctionConfiguration", "lambda:GetFunctionConcurrency"),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"function_name": "orders-api"},
            {
                "region": "us-east-1",
                "function": {
                    "name": "orders-api",
                    "runtime": "python3.13",
                    "handler": "app.handler",
                    "memory_mb": 512,
                    "architectures": ["arm64"],
                    "environment_variable_names": ["DB_HOST", "DB_PASSWORD", "PAYMENT_API_KEY"],
                    "reserved_concurrency": None,
                },
            },
        ),
        Example(
            {"function_name": "thumbnailer"},
            {"function": {"name": "thumbnailer", "runtime": "nodejs22.x", "reserved_concurrency": 5}},
        ),
    ),
)
def get_function(lambda_: LambdaClient, args: GetFunctionInput) -> GetFunctionOutput:
    """Show one Lambda function's configuration: role, handler, runtime, memory, timeout, storage,
    layers, VPC placement, environment variable names (never values), reserved concurrency, tracing,
    and its state and last update status (why it failed, when it did)."""
    config = lambda_.get_function_configuration(FunctionName=args.function_name)
    reserved = lambda_.get_function_concurrency(FunctionName=args.function_name)
    return GetFunctionOutput(
        region=lambda_.meta.region_name,
        function=_detail(config, reserved.get("ReservedConcurrentExecutions")),
    )


@tool(
    name="lambda_create_function",
    title="Create a Lambda function",
    # Lambda reads an S3 package with the caller's rights; tags on create need TagResource.
    iam_actions=("lambda:CreateFunction", "lambda:TagResource", "iam:PassRole", "s3:GetObject"),
    read_only=False,
    destructive=False,
    idempotent=False,
    examples=(
        Example(
            {
                "function_name": "orders-api",
                "runtime": "python3.13",
                "handler": "app.handler",
                "role_arn": _DEMO_ROLE,
                "code_zip_base64": SAMPLE_ZIP_BASE64,
            },
            None,
            error_contains=("ResourceConflictException", "orders-api"),
        ),
        Example(
            {
                "function_name": "hello-mcp",
                "runtime": "python3.13",
                "handler": "app.handler",
                "role_arn": _DEMO_ROLE,
                "code_zip_base64": SAMPLE_ZIP_BASE64,
                "architecture": "arm64",
                "secret_environment": {"GREETING": "hello"},
            },
            {"function": {"name": "hello-mcp", "environment_variable_names": ["GREETING"]}},
        ),
    ),
)
def create_function(lambda_: LambdaClient, args: CreateFunctionInput) -> FunctionChangeOutput:
    """Create a Lambda function from a zip: inline (base64, small) or in S3. Give runtime, handler and
    the execution role; memory, timeout, architecture, environment variables (values never shown back)
    and tags are optional. A new function is Pending for a moment: check lambda_get_function."""
    code: dict[str, Any] = (
        {"ZipFile": base64.b64decode(args.code_zip_base64)}
        if args.code_zip_base64 is not None
        else {"S3Bucket": args.code_s3_bucket, "S3Key": args.code_s3_key}
    )
    request: dict[str, Any] = {
        "FunctionName": args.function_name,
        "Runtime": args.runtime,
        "Role": args.role_arn,
        "Handler": args.handler,
        "Code": code,
        "Description": args.description,
        "MemorySize": args.memory_mb,
        "Timeout": args.timeout_s,
        "Architectures": [args.architecture],
        "PackageType": "Zip",
    }
    if args.secret_environment:
        request["Environment"] = {"Variables": args.secret_environment}
    if args.tags:
        request["Tags"] = args.tags
    with _withholding(args.secret_environment):
        created = lambda_.create_function(**request)
    function = _configured(created)
    return FunctionChangeOutput(
        region=lambda_.meta.region_name,
        message=f"Created {function.name} ({function.state or 'state unknown'}). Pending means Lambda is "
        "still preparing it: lambda_get_function says when it is Active.",
        function=function,
    )


@tool(
    name="lambda_update_function_configuration",
    title="Change a Lambda function's configuration",
    iam_actions=(
        "lambda:UpdateFunctionConfiguration",
        "lambda:GetFunctionConfiguration",
        "lambda:PutFunctionConcurrency",
        "lambda:DeleteFunctionConcurrency",
    ),
    read_only=False,
    destructive=False,
    idempotent=True,
    examples=(
        Example(
            {"function_name": "nightly-report", "timeout_s": 300},
            {"function": {"name": "nightly-report", "timeout_s": 300}},
        ),
        Example(
            {"function_name": "thumbnailer", "memory_mb": 2048, "reserved_concurrency": 10},
            {"function": {"name": "thumbnailer", "memory_mb": 2048, "reserved_concurrency": 10}},
        ),
    ),
)
def update_function_configuration(
    lambda_: LambdaClient, args: UpdateFunctionConfigurationInput
) -> FunctionChangeOutput:
    """Change a Lambda function's memory, timeout, description or environment variables (the whole
    set is replaced; values never shown back), or reserve or unreserve its concurrency. Settings not
    given stay as they are."""
    request = _configuration_request(args)
    changed = [name for name in _CONFIGURATION_FIELDS if getattr(args, name) is not None]
    if request:
        with _withholding(args.secret_environment):
            config = lambda_.update_function_configuration(FunctionName=args.function_name, **request)
    else:
        config = lambda_.get_function_configuration(FunctionName=args.function_name)
    function = _configured(config)
    with _after(changed):
        if args.reserved_concurrency is not None:
            lambda_.put_function_concurrency(
                FunctionName=args.function_name, ReservedConcurrentExecutions=args.reserved_concurrency
            )
            function.reserved_concurrency = args.reserved_concurrency
            changed.append("reserved_concurrency")
        elif args.unreserve_concurrency:
            lambda_.delete_function_concurrency(FunctionName=args.function_name)
            function.reserved_concurrency = None
            changed.append("reserved_concurrency (removed)")
    return FunctionChangeOutput(
        region=lambda_.meta.region_name,
        message=f"Updated {function.name}: {', '.join(changed)}."
        + (" The update applies within seconds (last_update_status)." if request else ""),
        function=function,
    )


@tool(
    name="lambda_delete_function",
    title="Delete a Lambda function",
    iam_actions=("lambda:DeleteFunction",),
    read_only=False,
    destructive=True,
    idempotent=True,
    examples=(
        Example(
            {"function_name": "retired-cron"},
            None,
            error_contains=("ResourceNotFoundException", "retired-cron"),
        ),
    ),
)
def delete_function(lambda_: LambdaClient, args: DeleteFunctionInput) -> DeleteFunctionOutput:
    """Delete a Lambda function with all its versions and aliases. Irreversible: its code and
    configuration are gone (its CloudWatch log group stays). Check the name with lambda_get_function
    first."""
    lambda_.delete_function(FunctionName=args.function_name)
    return DeleteFunctionOutput(
        region=lambda_.meta.region_name,
        function_name=args.function_name,
        deleted=True,
        message=f"Deleted {args.function_name}, every version and alias. Its log group was kept.",
    )


TOOLSET = "serverless"
TOOLS = (list_functions, get_function, create_function, update_function_configuration, delete_function)


# -- requests -----------------------------------------------------------------------------------


def _configuration_request(args: UpdateFunctionConfigurationInput) -> dict[str, Any]:
    request = {
        parameter: getattr(args, name)
        for name, parameter in _CONFIGURATION_FIELDS.items()
        if getattr(args, name) is not None
    }
    if "Environment" in request:
        request["Environment"] = {"Variables": request["Environment"]}
    return request


def _message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", ""))


@contextmanager
def _withholding(variables: dict[str, str] | None) -> Iterator[None]:
    """An AWS error message quoting an environment variable's value is replaced."""
    try:
        yield
    except ClientError as err:
        values = [v for v in (variables or {}).values() if len(v) >= 3]
        if any(v in _message(err) for v in values):
            err.response.setdefault("Error", {})["Message"] = (
                "(message withheld: it quoted environment variable values)"
            )
        raise


@contextmanager
def _after(done: list[str]) -> Iterator[None]:
    """An AWS error after the configuration changed says what had changed already."""
    try:
        yield
    except ClientError as err:
        if done:
            error = err.response.setdefault("Error", {})
            error["Message"] = (
                f"{', '.join(done)} changed, but changing reserved concurrency failed: {_message(err)}"
            )
        raise


# -- shaping ----------------------------------------------------------------------------------


def _summary_fields(function: Any) -> dict[str, Any]:
    return {
        "name": function["FunctionName"],
        "runtime": function.get("Runtime"),
        "memory_mb": function.get("MemorySize"),
        "timeout_s": function.get("Timeout"),
        "last_modified": function.get("LastModified"),
        "architectures": function.get("Architectures"),
        "package_type": function.get("PackageType"),
        "code_size_bytes": function.get("CodeSize"),
    }


def _variable_names(function: Any) -> list[str]:
    return sorted(function.get("Environment", {}).get("Variables", {}))


def _detail(function: Any, reserved: int | None) -> FunctionDetail:
    vpc = function.get("VpcConfig") or {}
    return FunctionDetail(
        **_summary_fields(function),
        arn=function["FunctionArn"],
        description=function.get("Description") or None,
        role=function.get("Role"),
        handler=function.get("Handler"),
        ephemeral_storage_mb=function.get("EphemeralStorage", {}).get("Size"),
        layers=[layer["Arn"] for layer in function.get("Layers", [])],
        vpc=VpcPlacement(
            vpc_id=vpc.get("VpcId"),
            subnet_ids=vpc.get("SubnetIds", []),
            security_group_ids=vpc.get("SecurityGroupIds", []),
        )
        if vpc.get("VpcId")
        else None,
        environment_variable_names=_variable_names(function),
        reserved_concurrency=reserved,
        tracing_mode=function.get("TracingConfig", {}).get("Mode"),
        state=function.get("State"),
        state_reason=function.get("StateReason"),
        last_update_status=function.get("LastUpdateStatus"),
        last_update_status_reason=function.get("LastUpdateStatusReason"),
    )


def _configured(function: Any) -> FunctionConfigured:
    return FunctionConfigured(
        name=function["FunctionName"],
        arn=function["FunctionArn"],
        runtime=function.get("Runtime"),
        memory_mb=function.get("MemorySize"),
        timeout_s=function.get("Timeout"),
        description=function.get("Description") or None,
        architectures=function.get("Architectures"),
        environment_variable_names=_variable_names(function),
        state=function.get("State"),
        last_update_status=function.get("LastUpdateStatus"),
    )
