"""Cloud Control: any AWS resource type by its CloudFormation name — find, read, create, update, delete.

A type's schema (CloudFormation ``DescribeType``) is the contract: a desired state is checked
against it before anything is asked of AWS, so an unknown property, a read-only one or a missing
required one is named in the error, with the type's own names. Where a required value has a safe,
well-known default (:data:`DEFAULTS`: an instance's image, the latest Amazon Linux from the public
SSM parameter), it is filled and the answer says so.

Cloud Control is asynchronous: a change answers at once with a request token and finishes in
AWS. The mutating tools and ``cloudcontrol_request_status`` poll while the call's wait budget lasts
(``resilience/waiting.py``) and answer with the final state, or with the token to pick up later,
so a request never outlives the call unseen. Cloud Control's ``ClientToken`` comes from the
caller's ``idempotency_key`` (else from the arguments), so a repeat reaching AWS again returns
the first request instead of making a second change.

Resource properties are shown with secret-looking values redacted by the audit trail's rules.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal
from weakref import WeakKeyDictionary

from botocore.exceptions import ClientError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from aws_mcp.audit.record import redact
from aws_mcp.errors import ToolError, ToolInputError
from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, bind, malformed_cursor, page_size, resume

if TYPE_CHECKING:
    from mypy_boto3_cloudcontrol import CloudControlApiClient
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_ssm import SSMClient

    from aws_mcp.resilience.waiting import WaitBudget

__all__ = ["DEFAULTS", "TOOLS", "TOOLSET", "TYPE_PERMISSIONS"]

TOOLSET: Final = "resources"

_TYPE_NAME: Final = re.compile(r"^[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$")


def _type_name(value: str) -> str:
    # Checked here, not as a schema pattern: six tools would carry it in every tools/list.
    if not _TYPE_NAME.match(value):
        raise ValueError("a type name is Organization::Service::Resource, e.g. AWS::EC2::Instance")
    return value


TypeName = Annotated[
    str, AfterValidator(_type_name), Field(max_length=196, description="e.g. AWS::EC2::Instance.")
]
Identifier = Annotated[str, Field(max_length=1024, description="The resource's primary identifier.")]
# Cloud Control takes at most 16,384 characters of desired state or patch.
_MAX_DOCUMENT: Final = 16_384
_RUNNING: Final = frozenset({"PENDING", "IN_PROGRESS", "CANCEL_IN_PROGRESS"})
_FIRST_POLL_S: Final = 0.5
_POLL_S: Final = 2.0
# AWS calls one page of a list filtered here may make (ListTypes or ListResources, and
# GetResource for each resource listed without its tags).
_CALLS: Final = 30
_SCHEMAS_KEPT: Final = 64


def _bounded_document(value: Any) -> Any:
    if len(json.dumps(value, separators=(",", ":"))) > _MAX_DOCUMENT:
        raise ValueError(f"at most {_MAX_DOCUMENT} characters of JSON")
    return value


Document = Annotated[dict[str, Any], AfterValidator(_bounded_document)]


# -- a type's schema --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Schema:
    """What the tools need of a resource provider schema, property names without ``/properties/``."""

    type_name: str
    description: str | None
    properties: Mapping[str, Any]
    definitions: Mapping[str, Any]
    required: tuple[str, ...]
    read_only: frozenset[str]
    create_only: frozenset[str]
    write_only: frozenset[str]
    primary_identifier: tuple[str, ...]

    @classmethod
    def parse(cls, type_name: str, document: Mapping[str, Any]) -> Schema:
        def top(pointers: Any) -> list[str]:
            # "/properties/Tags/0/Key" names the top-level property Tags.
            return [
                p.split("/")[2] for p in pointers or () if isinstance(p, str) and p.startswith("/properties/")
            ]

        return cls(
            type_name=type_name,
            description=document.get("description"),
            properties=document.get("properties") or {},
            definitions=document.get("definitions") or {},
            required=tuple(document.get("required") or ()),
            read_only=frozenset(top(document.get("readOnlyProperties"))),
            create_only=frozenset(top(document.get("createOnlyProperties"))),
            write_only=frozenset(top(document.get("writeOnlyProperties"))),
            primary_identifier=tuple(top(document.get("primaryIdentifier"))),
        )

    @property
    def writable(self) -> list[str]:
        return [name for name in self.properties if name not in self.read_only]

    def property_schema(self, name: str) -> dict[str, Any]:
        """One property's JSON Schema with its ``$ref``s to the type's definitions resolved."""
        resolved: dict[str, Any] = _resolve(self.properties[name], self.definitions, depth=0)
        return resolved

    def canonical(self, name: str) -> str | None:
        """The schema's spelling of a property name given in any case (``instanceType``)."""
        if name in self.properties:
            return name
        folded = {p.lower(): p for p in self.properties}
        return folded.get(name.lower())

    def unknown(self, names: Any) -> ToolInputError:
        names = sorted(names)
        hints = [
            f"{n} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(n, self.properties, 1)) else n
            for n in names
        ]
        return ToolInputError(
            f"{self.type_name} has no property {', '.join(hints)}. "
            "See its properties with cloudcontrol_describe_type."
        )


def _resolve(node: Any, definitions: Mapping[str, Any], *, depth: int) -> Any:
    if depth > 8:  # a recursive definition: leave the reference
        return node
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/") and ref[14:] in definitions:
            return _resolve(definitions[ref[14:]], definitions, depth=depth + 1)
        return {k: _resolve(v, definitions, depth=depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, definitions, depth=depth + 1) for v in node]
    return node


# Parsed schemas per CloudFormation client (one per region and instance), the most recently used
# kept: a type's schema changes with its provider's releases, not between one instance's calls.
_SCHEMAS: Final[WeakKeyDictionary[Any, OrderedDict[str, Schema]]] = WeakKeyDictionary()


def _schema(cloudformation: CloudFormationClient, type_name: str) -> Schema:
    kept = _SCHEMAS.setdefault(cloudformation, OrderedDict())
    found = kept.get(type_name)
    if found is None:
        found = kept[type_name] = _describe(cloudformation, type_name)
        if len(kept) > _SCHEMAS_KEPT:
            kept.popitem(last=False)
    kept.move_to_end(type_name)
    return found


def _describe(cloudformation: CloudFormationClient, type_name: str) -> Schema:
    try:
        response = cloudformation.describe_type(Type="RESOURCE", TypeName=type_name)
    except ClientError as err:
        error = err.response.get("Error", {})
        if error.get("Code") in ("TypeNotFoundException", "CFNRegistryException"):
            raise ToolError(
                f"No resource type {type_name} in {cloudformation.meta.region_name}: "
                f"{error.get('Message', '')} Find types with cloudcontrol_list_types."
            ) from None
        raise
    return Schema.parse(type_name, json.loads(response.get("Schema") or "{}"))


# -- defaults ---------------------------------------------------------------------------------

# Graviton families (t4g, m7g, c7gn, x2gd, ...) run arm64 images.
_ARM_FAMILY: Final = re.compile(r"^[a-z]+\d+g")
_AMAZON_LINUX: Final = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"


def _latest_amazon_linux(ssm: SSMClient, state: Mapping[str, Any]) -> str:
    instance_type = str(state.get("InstanceType") or "")
    arch = "arm64" if _ARM_FAMILY.match(instance_type) else "x86_64"
    return ssm.get_parameter(Name=_AMAZON_LINUX.format(arch=arch))["Parameter"]["Value"]


@dataclass(frozen=True, slots=True)
class Default:
    says: str
    value: Callable[[SSMClient, Mapping[str, Any]], str]


# Values filled in when a create leaves them out: only where the choice is safe and well known.
DEFAULTS: Final[Mapping[str, Mapping[str, Default]]] = {
    "AWS::EC2::Instance": {
        "ImageId": Default(
            "latest Amazon Linux 2023 for the instance type's architecture", _latest_amazon_linux
        ),
    },
}


# -- the permissions Cloud Control's handlers use, per type -----------------------------------

_EC2_TAGS: Final = ("ec2:CreateTags", "ec2:DeleteTags")


@dataclass(frozen=True, slots=True)
class Permissions:
    read: tuple[str, ...]
    write: tuple[str, ...]


# Cloud Control calls the type's service with the caller's own credentials, so the server's role
# needs these too (the types' schemas list them per handler). These types are granted by the
# template; others need a policy of their own (README, "Any resource type"). AWS::IAM::Role is read
# only here: creating roles is a way to more access than the server has.
TYPE_PERMISSIONS: Final[Mapping[str, Permissions]] = {
    "AWS::EC2::Instance": Permissions(
        read=("ec2:DescribeInstances",),
        write=(
            "ec2:RunInstances",
            "ec2:ModifyInstanceAttribute",
            "ec2:StartInstances",
            "ec2:StopInstances",
            "ec2:TerminateInstances",
            "ec2:DescribeInstanceAttribute",
            "ssm:GetParameters",
            *_EC2_TAGS,
        ),
    ),
    "AWS::EC2::VPC": Permissions(
        read=("ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"),
        write=("ec2:CreateVpc", "ec2:ModifyVpcAttribute", "ec2:DeleteVpc", *_EC2_TAGS),
    ),
    "AWS::EC2::Subnet": Permissions(
        read=("ec2:DescribeSubnets",),
        write=("ec2:CreateSubnet", "ec2:ModifySubnetAttribute", "ec2:DeleteSubnet", *_EC2_TAGS),
    ),
    "AWS::EC2::SecurityGroup": Permissions(
        read=("ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"),
        write=(
            "ec2:CreateSecurityGroup",
            "ec2:DeleteSecurityGroup",
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
            *_EC2_TAGS,
        ),
    ),
    "AWS::S3::Bucket": Permissions(
        read=("s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetBucketTagging", "s3:GetBucketVersioning"),
        write=("s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging", "s3:PutBucketVersioning"),
    ),
    "AWS::DynamoDB::Table": Permissions(
        read=("dynamodb:ListTables", "dynamodb:DescribeTable", "dynamodb:ListTagsOfResource"),
        write=(
            "dynamodb:CreateTable",
            "dynamodb:UpdateTable",
            "dynamodb:DeleteTable",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
        ),
    ),
    "AWS::SQS::Queue": Permissions(
        read=("sqs:ListQueues", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ListQueueTags"),
        write=(
            "sqs:CreateQueue",
            "sqs:SetQueueAttributes",
            "sqs:DeleteQueue",
            "sqs:TagQueue",
            "sqs:UntagQueue",
        ),
    ),
    "AWS::SNS::Topic": Permissions(
        read=("sns:ListTopics", "sns:GetTopicAttributes", "sns:ListTagsForResource"),
        write=(
            "sns:CreateTopic",
            "sns:SetTopicAttributes",
            "sns:DeleteTopic",
            "sns:TagResource",
            "sns:UntagResource",
        ),
    ),
    "AWS::IAM::Role": Permissions(
        read=("iam:ListRoles", "iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"),
        write=(),
    ),
    "AWS::Logs::LogGroup": Permissions(
        read=("logs:DescribeLogGroups", "logs:ListTagsForResource"),
        write=(
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:TagResource",
            "logs:UntagResource",
        ),
    ),
    "AWS::Lambda::Function": Permissions(
        read=("lambda:ListFunctions", "lambda:GetFunction", "lambda:ListTags"),
        write=(
            "lambda:CreateFunction",
            "lambda:UpdateFunctionConfiguration",
            "lambda:UpdateFunctionCode",
            "lambda:DeleteFunction",
            "lambda:TagResource",
            "lambda:UntagResource",
            "iam:PassRole",
        ),
    ),
    "AWS::ECS::Cluster": Permissions(
        read=("ecs:ListClusters", "ecs:DescribeClusters"),
        write=(
            "ecs:CreateCluster",
            "ecs:UpdateCluster",
            "ecs:DeleteCluster",
            "ecs:TagResource",
            "ecs:UntagResource",
        ),
    ),
}
_READS: Final = tuple(sorted({a for p in TYPE_PERMISSIONS.values() for a in p.read}))
_WRITES: Final = tuple(sorted({a for p in TYPE_PERMISSIONS.values() for a in (*p.read, *p.write)}))


# -- lists filtered here -----------------------------------------------------------------------


@dataclass(slots=True)
class _Scan:
    """A list filtered here, over AWS pages (of one or more consecutive AWS lists, its phases):
    reads pages until a page of matches is full or its AWS calls are spent, and resumes at the
    item after the last one kept. The cursor holds the AWS token of the page it stopped in, the
    position in that page, and the phase."""

    question: Mapping[str, Any]
    size: int
    token: str | None = None
    offset: int = 0
    phase: int = 0
    calls_left: int = _CALLS
    _stops: list[tuple[str | None, int, int]] = field(default_factory=list)

    @classmethod
    def resume(cls, cursor: str | None, question: Mapping[str, Any], size: int) -> _Scan:
        position = resume(cursor, question)
        if position is None:
            return cls(question, size)
        token, offset, phase = position.get("t"), position.get("o", 0), position.get("s", 0)
        if not (
            (token is None or (isinstance(token, str) and token))
            and isinstance(offset, int)
            and 0 <= offset <= 10_000
            and phase in (0, 1)
        ):
            raise malformed_cursor()
        return cls(question, size, token, offset, phase)

    def spend(self) -> bool:
        """Whether one more AWS call may be made for this page (counting it)."""
        self.calls_left -= 1
        return self.calls_left >= 0

    def run(
        self,
        page: Callable[[str | None, int], tuple[list[Any], str | None]],
        keep: Callable[[Any, int], bool | None],
        *,
        phases: int,
    ) -> str | None:
        """Read on; the cursor after the page (None: nothing more). ``keep`` says whether an
        item is kept, or None when it cannot tell without more calls than are left."""
        token, offset, phase = self.token, self.offset, self.phase
        while self.spend():
            items, next_token = page(token, phase)
            for index in range(offset, len(items)):
                kept = keep(items[index], phase)
                if kept is None:
                    return self._cursor(token, index, phase)
                if kept:
                    self._stops.append((token, index + 1, phase))
                    if len(self._stops) == self.size:
                        more = index + 1 < len(items) or next_token or phase + 1 < phases
                        return self._cursor(token, index + 1, phase) if more else None
            offset = 0
            if next_token:
                token = next_token
            elif phase + 1 < phases:
                token, phase = None, phase + 1
            else:
                return None
        return self._cursor(token, offset, phase)

    def cursor_at(self, kept: int) -> str:
        token, offset, phase = self._stops[kept - 1]
        return self._cursor(token, offset, phase)

    def _cursor(self, token: str | None, offset: int, phase: int) -> str:
        return bind({"t": token, "o": offset, "s": phase}, self.question)


# -- types ------------------------------------------------------------------------------------


class TypeSummary(Item):
    item_key = "type_name"

    type_name: str
    description: str | None = None
    immutable: bool | None = Field(default=None, description="True: created and deleted, never updated.")


class ListTypesInput(RegionalInput):
    search: str | None = Field(
        default=None, max_length=196, description="Part of the name, e.g. bucket or AWS::EC2::."
    )
    fields: Fields[TypeSummary] = None
    max_results: int = page_size(most=100)
    cursor: Cursor = None


class ListTypesOutput(Paged):
    items_field = "types"

    region: str
    types: list[TypeSummary]


# Types Cloud Control can update, then those it can only create and delete.
_PROVISIONING: Final = ("FULLY_MUTABLE", "IMMUTABLE")


@tool(
    name="cloudcontrol_list_types",
    title="Find resource types",
    iam_actions=("cloudformation:ListTypes",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"search": "AWS::S3::"}, {"region": "us-east-1", "types": [{"type_name": "AWS::S3::Bucket"}]}
        ),
    ),
)
def list_types(cloudformation: CloudFormationClient, args: ListTypesInput) -> ListTypesOutput:
    """AWS resource types Cloud Control can manage, by name."""
    region = cloudformation.meta.region_name
    search = (args.search or "").lower()
    # AWS filters by a prefix only; anything else is matched here, page by page.
    prefix = args.search if args.search and args.search.upper().startswith("AWS::") else None
    question = {"region": region, "search": search}
    request: dict[str, Any] = {
        "Type": "RESOURCE",
        "Visibility": "PUBLIC",
        "Filters": {"Category": "AWS_TYPES"},
    }
    if prefix:
        request["Filters"]["TypeNamePrefix"] = prefix
    scan = _Scan.resume(args.cursor, question, args.max_results)
    found: list[TypeSummary] = []

    def page(token: str | None, phase: int) -> tuple[list[Any], str | None]:
        call: dict[str, Any] = {**request, "ProvisioningType": _PROVISIONING[phase], "MaxResults": 100}
        if token:
            call["NextToken"] = token
        response = cloudformation.list_types(**call)
        return response.get("TypeSummaries", []), response.get("NextToken")

    def keep(summary: Any, phase: int) -> bool:
        name = summary.get("TypeName", "")
        if search not in name.lower():
            return False
        found.append(
            TypeSummary(
                type_name=name, description=summary.get("Description"), immutable=True if phase else None
            )
        )
        return True

    next_cursor = scan.run(page, keep, phases=len(_PROVISIONING))
    out = ListTypesOutput(region=region, count=len(found), types=found, next_cursor=next_cursor)
    return out.resume_with(scan.cursor_at)


class DescribeTypeInput(RegionalInput):
    type_name: TypeName
    property: str | None = Field(
        default=None, max_length=128, description="One property's full JSON Schema instead."
    )


class DescribeTypeOutput(BaseModel):
    type_name: str
    description: str | None = None
    primary_identifier: list[str] | None = None
    required: list[str] | None = None
    writable: dict[str, str] | None = Field(default=None, description="Property: its JSON type.")
    read_only: list[str] | None = None
    create_only: list[str] | None = Field(default=None, description="Changing one replaces the resource.")
    write_only: list[str] | None = Field(default=None, description="Never shown back.")
    defaults: dict[str, str] | None = Field(default=None, description="Filled in on create when left out.")
    property_schema: dict[str, Any] | None = None


@tool(
    name="cloudcontrol_describe_type",
    title="Describe a resource type",
    iam_actions=("cloudformation:DescribeType",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"type_name": "AWS::EC2::Instance"},
            {"type_name": "AWS::EC2::Instance", "primary_identifier": ["InstanceId"]},
        ),
    ),
)
def describe_type(cloudformation: CloudFormationClient, args: DescribeTypeInput) -> DescribeTypeOutput:
    """A resource type's properties in brief: required, writable, read-only, create-only; or one
    property's full schema."""
    schema = _schema(cloudformation, args.type_name)
    if args.property is not None:
        name = schema.canonical(args.property)
        if name is None:
            raise schema.unknown([args.property])
        return DescribeTypeOutput(type_name=schema.type_name, property_schema=schema.property_schema(name))
    defaults = DEFAULTS.get(schema.type_name, {})
    return DescribeTypeOutput(
        type_name=schema.type_name,
        description=schema.description,
        primary_identifier=list(schema.primary_identifier),
        required=list(schema.required),
        writable={name: _json_type(schema.properties[name], schema.definitions) for name in schema.writable},
        read_only=sorted(schema.read_only) or None,
        create_only=sorted(schema.create_only) or None,
        write_only=sorted(schema.write_only) or None,
        defaults={name: d.says for name, d in defaults.items()} or None,
    )


def _json_type(node: Any, definitions: Mapping[str, Any]) -> str:
    node = _resolve(node, definitions, depth=7)
    kind = node.get("type") if isinstance(node, dict) else None
    if isinstance(kind, list):
        return "|".join(str(k) for k in kind)
    if kind == "array" and isinstance(node.get("items"), dict):
        return f"array of {_json_type(node['items'], definitions)}"
    return str(kind or "object")


# -- resources --------------------------------------------------------------------------------


class Resource(Item):
    item_key = "identifier"

    identifier: str
    properties: dict[str, Any] | None = None


class ListResourcesInput(RegionalInput):
    type_name: TypeName
    tags: dict[Annotated[str, Field(max_length=128)], Annotated[str, Field(max_length=256)]] | None = Field(
        default=None, max_length=10, description="Only resources with all these tags."
    )
    fields: Fields[Resource] = None
    max_results: int = page_size(default=20, most=100)
    cursor: Cursor = None


class ListResourcesOutput(Paged):
    items_field = "resources"

    region: str
    type_name: str
    resources: list[Resource]


@tool(
    name="cloudcontrol_list_resources",
    title="List resources of a type",
    iam_actions=("cloudformation:ListResources", "cloudformation:GetResource", *_READS),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"type_name": "AWS::S3::Bucket", "tags": {"team": "web"}},
            {"region": "us-east-1", "type_name": "AWS::S3::Bucket"},
        ),
    ),
)
def list_resources(cloudcontrol: CloudControlApiClient, args: ListResourcesInput) -> ListResourcesOutput:
    """Resources of any type Cloud Control supports, with their properties (for some types only
    their identifiers: get one for the rest)."""
    region = cloudcontrol.meta.region_name
    question = {"region": region, "type": args.type_name, "tags": args.tags}
    scan = _Scan.resume(args.cursor, question, args.max_results)
    found: list[Resource] = []

    def page(token: str | None, _: int) -> tuple[list[Any], str | None]:
        request: dict[str, Any] = {"TypeName": args.type_name, "MaxResults": 100}
        if token:
            request["NextToken"] = token
        response = cloudcontrol.list_resources(**request)
        return response.get("ResourceDescriptions", []), response.get("NextToken")

    def keep(description: Any, _: int) -> bool | None:
        identifier = description.get("Identifier", "")
        properties = _properties(description)
        if args.tags:
            if "Tags" not in properties:  # listed without them: read the resource whole
                if not scan.spend():
                    return None
                properties = _properties(
                    cloudcontrol.get_resource(TypeName=args.type_name, Identifier=identifier)[
                        "ResourceDescription"
                    ]
                )
            if not _tagged(properties.get("Tags"), args.tags):
                return False
        found.append(Resource(identifier=identifier, properties=redact(properties)))
        return True

    next_cursor = scan.run(page, keep, phases=1)
    out = ListResourcesOutput(
        region=region, type_name=args.type_name, count=len(found), resources=found, next_cursor=next_cursor
    )
    return out.resume_with(scan.cursor_at)


def _properties(description: Mapping[str, Any]) -> dict[str, Any]:
    loaded = json.loads(description.get("Properties") or "{}")
    return loaded if isinstance(loaded, dict) else {}


def _tagged(tags: Any, wanted: Mapping[str, str]) -> bool:
    """Whether a resource's ``Tags`` (Key/Value pairs or a map, per its schema) hold all ``wanted``."""
    if isinstance(tags, list):
        tags = {t.get("Key"): t.get("Value") for t in tags if isinstance(t, dict)}
    return isinstance(tags, dict) and all(tags.get(k) == v for k, v in wanted.items())


class GetResourceInput(RegionalInput):
    type_name: TypeName
    identifier: Identifier


class GetResourceOutput(BaseModel):
    region: str
    type_name: str
    identifier: str
    properties: dict[str, Any]


@tool(
    name="cloudcontrol_get_resource",
    title="Get a resource",
    iam_actions=("cloudformation:GetResource", *_READS),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"type_name": "AWS::S3::Bucket", "identifier": "no-such-bucket-0123"},
            None,
            error_contains=("no-such-bucket-0123",),
        ),
    ),
)
def get_resource(cloudcontrol: CloudControlApiClient, args: GetResourceInput) -> GetResourceOutput:
    """One resource's current properties (write-only ones, such as passwords, are never shown)."""
    return GetResourceOutput(
        region=cloudcontrol.meta.region_name,
        type_name=args.type_name,
        identifier=args.identifier,
        properties=redact(_read(cloudcontrol, args.type_name, args.identifier)),
    )


def _read(cloudcontrol: CloudControlApiClient, type_name: str, identifier: str) -> dict[str, Any]:
    try:
        response = cloudcontrol.get_resource(TypeName=type_name, Identifier=identifier)
    except cloudcontrol.exceptions.ResourceNotFoundException:
        raise ToolError(
            f"No {type_name} {identifier} in {cloudcontrol.meta.region_name}. List them with "
            "cloudcontrol_list_resources."
        ) from None
    return _properties(response["ResourceDescription"])


# -- changes ----------------------------------------------------------------------------------


class RequestOutcome(MutatingOutput):
    region: str
    type_name: str
    operation: str = Field(description="CREATE, UPDATE or DELETE.")
    status: str = Field(description="SUCCESS, FAILED, IN_PROGRESS, PENDING, CANCEL_*.")
    request_token: str
    identifier: str | None = None
    error_code: str | None = None
    status_message: str | None = None
    properties: dict[str, Any] | None = None
    defaults_filled: dict[str, str] | None = None
    note: str | None = None


class CreateResourceInput(MutatingInput):
    type_name: TypeName
    desired_state: Document = Field(
        max_length=200, description='Properties, e.g. {"InstanceType": "t3.micro"}.'
    )


@tool(
    name="cloudcontrol_create_resource",
    title="Create a resource",
    iam_actions=(
        "cloudformation:DescribeType",
        "cloudformation:CreateResource",
        "cloudformation:GetResourceRequestStatus",
        "cloudformation:GetResource",
        "ssm:GetParameter",
        *_WRITES,
    ),
    read_only=False,
    idempotent=True,
    examples=(
        Example(
            {"type_name": "AWS::SQS::Queue", "desired_state": {"QueueName": "orders-dlq"}},
            {"type_name": "AWS::SQS::Queue", "operation": "CREATE", "status": "SUCCESS"},
        ),
    ),
)
def create_resource(
    cloudcontrol: CloudControlApiClient,
    cloudformation: CloudFormationClient,
    ssm: SSMClient,
    wait_budget: WaitBudget,
    args: CreateResourceInput,
) -> RequestOutcome:
    """Create a resource of any Cloud Control type (desired state checked against its schema first).
    Waits for the outcome, else answers a request_token."""
    schema = _schema(cloudformation, args.type_name)
    state = _checked(schema, args.desired_state)
    filled: dict[str, str] = {}
    for name, default in DEFAULTS.get(schema.type_name, {}).items():
        if name not in state:
            state[name] = filled[name] = default.value(ssm, state)
    missing = [name for name in schema.required if name not in state]
    if missing:
        raise ToolInputError(
            f"{schema.type_name} needs {', '.join(missing)}. See each with cloudcontrol_describe_type "
            "and its property argument."
        )
    event = cloudcontrol.create_resource(
        TypeName=args.type_name,
        DesiredState=json.dumps(state, separators=(",", ":")),
        ClientToken=args.client_token(cloudcontrol.meta.region_name),
    )["ProgressEvent"]
    outcome = _settled(cloudcontrol, wait_budget, event)
    return outcome.model_copy(update={"defaults_filled": filled or None})


def _checked(schema: Schema, desired: Mapping[str, Any]) -> dict[str, Any]:
    """The desired state in the schema's spelling; an error naming what it cannot hold."""
    state = {schema.canonical(name) or name: value for name, value in desired.items()}
    unknown = [name for name in state if name not in schema.properties]
    if unknown:
        raise schema.unknown(unknown)
    read_only = sorted(name for name in state if name in schema.read_only)
    if read_only:
        raise ToolInputError(f"{', '.join(read_only)} of {schema.type_name} are read-only: AWS sets them.")
    return state


class PatchOperation(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: str = Field(max_length=1024, pattern=r"^/")
    value: Any = None
    from_: str | None = Field(default=None, alias="from", max_length=1024, pattern=r"^/")


def _operations(patch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Each checked here, not by the schema: the operation's own schema cost 80 tokens in tools/list.
    return [PatchOperation.model_validate(op).model_dump(by_alias=True, exclude_unset=True) for op in patch]


class UpdateResourceInput(MutatingInput):
    type_name: TypeName
    identifier: Identifier
    patch: Annotated[list[Annotated[dict[str, Any], Field(max_length=4)]], AfterValidator(_operations)] = (
        Field(
            min_length=1,
            max_length=50,
            description='RFC 6902, e.g. [{"op":"replace","path":"/X","value":1}].',
        )
    )


@tool(
    name="cloudcontrol_update_resource",
    title="Update a resource",
    iam_actions=(
        "cloudformation:DescribeType",
        "cloudformation:UpdateResource",
        "cloudformation:GetResourceRequestStatus",
        "cloudformation:GetResource",
        *_WRITES,
    ),
    read_only=False,
    idempotent=True,
    examples=(
        Example(
            {
                "type_name": "AWS::SQS::Queue",
                "identifier": "https://sqs.us-east-1.amazonaws.com/123456789012/no-such-queue",
                "patch": [{"op": "replace", "path": "/VisibilityTimeout", "value": 60}],
            },
            None,
            error_contains=("no-such-queue",),
        ),
    ),
)
def update_resource(
    cloudcontrol: CloudControlApiClient,
    cloudformation: CloudFormationClient,
    wait_budget: WaitBudget,
    args: UpdateResourceInput,
) -> RequestOutcome:
    """Change a resource's properties by a JSON Patch. Waits for the outcome, else answers a request_token."""
    schema = _schema(cloudformation, args.type_name)
    operations = [_patch_operation(schema, op) for op in args.patch]
    _read(cloudcontrol, args.type_name, args.identifier)  # not found: named before any change
    event = cloudcontrol.update_resource(
        TypeName=args.type_name,
        Identifier=args.identifier,
        PatchDocument=json.dumps(operations, separators=(",", ":")),
        ClientToken=args.client_token(cloudcontrol.meta.region_name),
    )["ProgressEvent"]
    return _settled(cloudcontrol, wait_budget, event)


def _patch_operation(schema: Schema, operation: Mapping[str, Any]) -> dict[str, Any]:
    """One operation with its paths in the schema's spelling; an error for a property it cannot change."""
    data = dict(operation)
    for key in ("path", "from"):
        if key not in data:
            continue
        _, top, *rest = data[key].split("/")
        name = schema.canonical(top)
        if name is None:
            raise schema.unknown([top])
        if name in schema.read_only:
            raise ToolInputError(f"{name} of {schema.type_name} is read-only: AWS sets it.")
        if name in schema.create_only:
            raise ToolInputError(
                f"{name} of {schema.type_name} is set at creation only: changing it means a new resource "
                "(create one, then delete this)."
            )
        data[key] = "/".join(["", name, *rest])
    if data["op"] in ("add", "replace", "test") and "value" not in data:
        raise ToolInputError(f"A {data['op']} operation needs a value (at {data['path']}).")
    return data


class DeleteResourceInput(MutatingInput):
    type_name: TypeName
    identifier: Identifier


@tool(
    name="cloudcontrol_delete_resource",
    title="Delete a resource",
    iam_actions=(
        "cloudformation:DeleteResource",
        "cloudformation:GetResourceRequestStatus",
        "cloudformation:GetResource",
        *_WRITES,
    ),
    read_only=False,
    destructive=True,
    idempotent=True,
    examples=(
        Example(
            {
                "type_name": "AWS::SNS::Topic",
                "identifier": "arn:aws:sns:us-east-1:123456789012:no-such-topic",
            },
            None,
            error_contains=("no-such-topic",),
        ),
    ),
)
def delete_resource(
    cloudcontrol: CloudControlApiClient, wait_budget: WaitBudget, args: DeleteResourceInput
) -> RequestOutcome:
    """Delete a resource, and what it holds (a bucket's objects stay: S3 refuses a non-empty bucket)."""
    _read(cloudcontrol, args.type_name, args.identifier)  # not found: named, nothing asked
    event = cloudcontrol.delete_resource(
        TypeName=args.type_name,
        Identifier=args.identifier,
        ClientToken=args.client_token(cloudcontrol.meta.region_name),
    )["ProgressEvent"]
    return _settled(cloudcontrol, wait_budget, event)


class RequestStatusInput(RegionalInput):
    request_token: str = Field(
        max_length=128, pattern=r"^[-A-Za-z0-9+/=]+$", description="From a change's answer."
    )


@tool(
    name="cloudcontrol_request_status",
    title="Follow a resource request",
    iam_actions=("cloudformation:GetResourceRequestStatus", "cloudformation:GetResource", *_READS),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"request_token": "00000000-0000-4000-8000-000000000000"},
            None,
            error_contains=("00000000-0000-4000-8000-000000000000",),
        ),
    ),
)
def request_status(
    cloudcontrol: CloudControlApiClient, wait_budget: WaitBudget, args: RequestStatusInput
) -> RequestOutcome:
    """A create, update or delete request's outcome, waiting while it still runs."""
    return _settled(cloudcontrol, wait_budget, _status(cloudcontrol, args.request_token))


def _status(cloudcontrol: CloudControlApiClient, token: str) -> Any:
    try:
        return cloudcontrol.get_resource_request_status(RequestToken=token)["ProgressEvent"]
    except cloudcontrol.exceptions.RequestTokenNotFoundException:
        raise ToolError(
            f"No Cloud Control request {token} in {cloudcontrol.meta.region_name} (AWS keeps them 7 days)."
        ) from None


def _settled(cloudcontrol: CloudControlApiClient, wait_budget: WaitBudget, event: Any) -> RequestOutcome:
    """The request's outcome once it ends or the call's wait is up; with the resource's properties
    after a create or update that succeeded."""
    waiting = wait_budget.start()
    pause = _FIRST_POLL_S
    while event.get("OperationStatus") in _RUNNING and waiting.pause(pause):
        event = _status(cloudcontrol, event["RequestToken"])
        pause = min(pause * 2, _POLL_S)
    status, operation = event.get("OperationStatus", "UNKNOWN"), event.get("Operation", "UNKNOWN")
    identifier = event.get("Identifier")
    properties = None
    note = None
    if status in _RUNNING:
        note = f"Still {status}: call cloudcontrol_request_status with this request_token."
    elif status == "SUCCESS" and operation in ("CREATE", "UPDATE") and identifier:
        model = event.get("ResourceModel")
        properties = json.loads(model) if model else _read(cloudcontrol, event["TypeName"], identifier)
    return RequestOutcome(
        region=cloudcontrol.meta.region_name,
        type_name=event.get("TypeName", ""),
        operation=operation,
        status=status,
        request_token=event.get("RequestToken", ""),
        identifier=identifier,
        error_code=event.get("ErrorCode"),
        status_message=event.get("StatusMessage"),
        properties=redact(properties) if properties else None,
        note=note,
    )


TOOLS = (
    list_types,
    describe_type,
    list_resources,
    get_resource,
    create_resource,
    update_resource,
    delete_resource,
    request_status,
)
