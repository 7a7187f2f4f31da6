"""Resource tagging across services (the Resource Groups Tagging API): find resources by tag, tag
and untag them.

The API is regional (S3 buckets answer in every region) and sees only resources that are or were
tagged. Untagging is declared destructive: cost allocation, access policies (ABAC) and automation
may select resources by the tags it removes.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from aws_mcp.errors import ToolError
from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, page_size

if TYPE_CHECKING:
    from mypy_boto3_resourcegroupstaggingapi import ResourceGroupsTaggingAPIClient

__all__ = ["TOOLS", "TOOLSET"]

TagKey = Annotated[str, Field(min_length=1, max_length=128)]
TagValue = Annotated[str, Field(max_length=256)]
# TagResources and UntagResources take at most 20 ARNs a call.
Arns = Annotated[
    list[Annotated[str, Field(max_length=2048)]], Field(min_length=1, max_length=20, description="ARNs.")
]


class Resource(Item):
    item_key = "arn"

    arn: str
    type: str | None = None
    tags: dict[str, str] | None = None


class FindResourcesInput(RegionalInput):
    tags: dict[TagKey, Annotated[list[TagValue], Field(max_length=20)]] | None = Field(
        default=None, max_length=50, description="Key: accepted values ([] any)."
    )
    resource_types: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=20, description="e.g. ec2:instance, s3."
    )
    fields: Fields[Resource] = None
    max_results: int = page_size(most=100)
    cursor: Cursor = None


class FindResourcesOutput(Paged):
    items_field = "resources"

    region: str
    by_type: dict[str, int]
    resources: list[Resource]


@tool(
    name="tagging_find_resources",
    title="Find resources by tag",
    iam_actions=("tag:GetResources",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"tags": {"team": ["storefront"]}, "resource_types": ["sns", "dynamodb"]},
            {"count": 2, "by_type": {"dynamodb:table": 1, "sns": 1}, "next_cursor": None},
        ),
    ),
)
def find_resources(
    resourcegroupstaggingapi: ResourceGroupsTaggingAPIClient, args: FindResourcesInput
) -> FindResourcesOutput:
    """Find resources of any service in one region by tag, with counts by type."""
    client = resourcegroupstaggingapi
    region = client.meta.region_name
    tags = {k: sorted(v) for k, v in (args.tags or {}).items()}
    types = sorted(args.resource_types or [])
    pages = TokenPages.resume(args.cursor, {"region": region, "tags": tags, "types": types}, args.max_results)
    request: dict[str, Any] = {"ResourcesPerPage": pages.size}
    if tags:
        request["TagFilters"] = [{"Key": k, "Values": v} if v else {"Key": k} for k, v in tags.items()]
    if types:
        request["ResourceTypeFilters"] = types
    response = pages.fetch(client.get_resources, paged_by="PaginationToken", **request)
    found, next_cursor = pages.window(
        response.get("ResourceTagMappingList", []), response.get("PaginationToken") or None
    )
    resources = [
        Resource(
            arn=r["ResourceARN"],
            type=_type_of(r["ResourceARN"]),
            tags={t["Key"]: t["Value"] for t in r.get("Tags", [])},
        )
        for r in found
    ]
    page = FindResourcesOutput(
        region=region,
        # Counted before any cut to the result budget: a cut page lists fewer.
        by_type=dict(sorted(Counter(r.type or "" for r in resources).items())),
        count=len(resources),
        resources=resources,
        next_cursor=next_cursor,
    )
    return page.resume_with(pages.cursor_at)


class TagResourcesInput(MutatingInput):
    resource_arns: Arns
    tags: dict[TagKey, TagValue] = Field(min_length=1, max_length=50, description="Key: value.")


class UntagResourcesInput(MutatingInput):
    resource_arns: Arns
    tag_keys: list[TagKey] = Field(min_length=1, max_length=50, description="Keys to remove.")


class TagChangeOutput(MutatingOutput):
    region: str
    changed: list[str]
    failed: dict[str, str] | None = Field(default=None, description="ARN: why it was not changed.")


@tool(
    name="tagging_tag_resources",
    title="Tag resources",
    iam_actions=("tag:TagResources",),
    read_only=False,
    idempotent=True,
    examples=(
        Example(
            {
                "resource_arns": ["arn:aws:sns:us-east-1:123456789012:storefront-alerts"],
                "tags": {"owner": "ops"},
            },
            {"changed": ["arn:aws:sns:us-east-1:123456789012:storefront-alerts"]},
        ),
    ),
)
def tag_resources(
    resourcegroupstaggingapi: ResourceGroupsTaggingAPIClient, args: TagResourcesInput
) -> TagChangeOutput:
    """Tag resources of any service; an existing key gets the new value."""
    client = resourcegroupstaggingapi
    response = client.tag_resources(ResourceARNList=args.resource_arns, Tags=args.tags)
    return _outcome(client.meta.region_name, args.resource_arns, response)


@tool(
    name="tagging_untag_resources",
    title="Untag resources",
    iam_actions=("tag:UntagResources",),
    read_only=False,
    # Others may select these resources by the tags removed (cost allocation, ABAC, automation).
    destructive=True,
    idempotent=True,
    examples=(
        Example(
            {
                "resource_arns": ["arn:aws:sns:us-east-1:123456789012:storefront-alerts"],
                "tag_keys": ["scratch"],
            },
            {"changed": ["arn:aws:sns:us-east-1:123456789012:storefront-alerts"]},
        ),
    ),
)
def untag_resources(
    resourcegroupstaggingapi: ResourceGroupsTaggingAPIClient, args: UntagResourcesInput
) -> TagChangeOutput:
    """Remove tag keys from resources of any service."""
    client = resourcegroupstaggingapi
    response = client.untag_resources(ResourceARNList=args.resource_arns, TagKeys=args.tag_keys)
    return _outcome(client.meta.region_name, args.resource_arns, response)


TOOLSET = "tagging"
TOOLS = (find_resources, tag_resources, untag_resources)


def _type_of(arn: str) -> str:
    """``service:resource-type`` as ResourceTypeFilters spell it (the service alone when the ARN
    names no type, as an S3 bucket's or an SNS topic's)."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return parts[2] if len(parts) > 2 else arn
    service, rest = parts[2], parts[5]
    for separator in ("/", ":"):
        if separator in rest:
            return f"{service}:{rest.split(separator, 1)[0]}"
    return service


def _outcome(region: str, arns: list[str], response: Any) -> TagChangeOutput:
    failed = {
        arn: f"{f.get('ErrorCode', '')}: {f.get('ErrorMessage', '')}".strip(": ")
        for arn, f in response.get("FailedResourcesMap", {}).items()
    }
    if len(failed) == len(arns):
        raise ToolError("No resource changed. " + "; ".join(f"{a}: {why}" for a, why in failed.items()))
    return TagChangeOutput(region=region, changed=[a for a in arns if a not in failed], failed=failed or None)
