"""S3: buckets with their security posture, objects and their metadata; create a bucket with safe
defaults, set its versioning, delete it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, Self

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, model_validator

from aws_mcp.errors import ToolError
from aws_mcp.tools.contract import Example, MutatingInput, MutatingOutput, RegionalInput, tool
from aws_mcp.tools.paging import Cursor, Fields, Item, Paged, TokenPages, asked, page_size

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["TOOLS", "TOOLSET"]

BucketName = Annotated[
    str,
    Field(
        min_length=3,
        max_length=63,
        pattern=r"^[a-z0-9][a-z0-9.-]+[a-z0-9]$",
        description="A bucket's name: 3-63 lowercase letters, digits, dots and hyphens.",
    ),
]
RegionName = Annotated[str, Field(max_length=32, pattern=r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")]
ObjectKey = Annotated[str, Field(min_length=1, max_length=1024, description="An object's key.")]
# Posture costs four calls a bucket: its pages are kept short.
POSTURE_PAGE_MAX: Final = 20
# What empty_first deletes at most: one DeleteObjects request.
EMPTY_FIRST_MAX: Final = 1000


class PublicAccessBlock(BaseModel):
    block_public_acls: bool
    ignore_public_acls: bool
    block_public_policy: bool
    restrict_public_buckets: bool


class Posture(BaseModel):
    verdict: str = Field(
        description='One line, exposure first: "public: policy allows anyone; ...", "at risk: public access '
        'block off; ..." or "private: public access blocked; ...". Bucket settings only: an account-level '
        "public access block may also apply."
    )
    versioning: str = Field(description="Enabled, Suspended or Off (never enabled).")
    encryption: str | None = Field(description="Default encryption (AES256 is SSE-S3); null: none.")
    public_access_block: PublicAccessBlock = Field(description="All false when the bucket sets none.")
    policy_public: bool | None = Field(
        description="Whether its bucket policy lets anyone in; null: no policy."
    )


class BucketSummary(Item):
    item_key = "name"

    name: str
    created: str | None = Field(default=None, description="ISO 8601, UTC.")
    region: str | None = None
    posture: Posture | None = None


class ListBucketsInput(RegionalInput):
    prefix: str | None = Field(
        default=None, min_length=1, max_length=63, description="Only buckets whose names start with this."
    )
    bucket_region: RegionName | None = Field(default=None, description="Only buckets in this region.")
    posture: bool = Field(
        default=False,
        description="Add each bucket's security posture (versioning, default encryption, public access "
        f"block, public policy) and a one-line verdict. Costs four calls a bucket: at most "
        f"{POSTURE_PAGE_MAX} a page.",
    )
    fields: Fields[BucketSummary] = None
    max_results: int = page_size(POSTURE_PAGE_MAX)
    cursor: Cursor = None

    @model_validator(mode="after")
    def _posture_pages_are_short(self) -> Self:
        if self.posture and self.max_results > POSTURE_PAGE_MAX:
            raise ValueError(f"with posture, max_results is at most {POSTURE_PAGE_MAX}")
        return self


class ListBucketsOutput(Paged):
    items_field = "buckets"

    buckets: list[BucketSummary]


class ObjectEntry(Item):
    """An object, or (folders) a folder: its key and ``folder: true`` alone."""

    item_key = "key"

    key: str
    folder: bool | None = None
    size: int | None = Field(default=None, description="Bytes.")
    last_modified: str | None = None
    storage_class: str | None = None


class ListObjectsInput(RegionalInput):
    bucket: BucketName
    prefix: str | None = Field(
        default=None, min_length=1, max_length=1024, description='Only keys starting with this, e.g. "logs/".'
    )
    folders: bool = Field(
        default=False,
        description='Group keys by "/": what lies deeper under the prefix comes as one folder entry each '
        "(list again with a folder as prefix to open it).",
    )
    fields: Fields[ObjectEntry] = None
    max_results: int = page_size(50)
    cursor: Cursor = None


class ListObjectsOutput(Paged):
    items_field = "objects"

    bucket: str
    objects: list[ObjectEntry] = Field(description="Objects and folders, in key order.")


class HeadObjectInput(RegionalInput):
    bucket: BucketName
    # Not named key: the audit trail redacts an argument called key.
    object_key: ObjectKey
    version_id: str | None = Field(
        default=None, min_length=1, max_length=1024, description="A version of it; default: the latest."
    )


class ObjectMetadata(BaseModel):
    key: str
    size: int | None = Field(description="Bytes.")
    content_type: str | None
    last_modified: str | None
    etag: str | None
    storage_class: str
    encryption: str | None = Field(description="AES256 (SSE-S3), aws:kms or aws:kms:dsse; null: none.")
    kms_key_id: str | None
    version_id: str | None
    metadata_keys: list[str] = Field(
        description="Names of its user metadata (x-amz-meta-*); values not shown."
    )


class HeadObjectOutput(BaseModel):
    bucket: str
    object: ObjectMetadata


class CreateBucketInput(MutatingInput):
    bucket: BucketName = Field(description="The new bucket's name, unique across all of AWS.")
    kms_key_id: str | None = Field(
        default=None,
        max_length=2048,
        pattern=r"^[A-Za-z0-9:/_-]+$",
        description="Encrypt by default with this KMS key (id, ARN or alias/...) instead of SSE-S3.",
    )
    versioning: bool = Field(default=False, description="Turn versioning on.")


class CreateBucketOutput(MutatingOutput):
    region: str
    bucket: str
    message: str


class SetVersioningInput(MutatingInput):
    bucket: BucketName
    status: Literal["Enabled", "Suspended"] = Field(
        description="Enabled keeps every version of every object; Suspended stops keeping new ones "
        "(existing versions stay)."
    )


class SetVersioningOutput(MutatingOutput):
    bucket: str
    previous: str = Field(description="Enabled, Suspended or Off (never enabled).")
    versioning: str
    message: str


class DeleteBucketInput(MutatingInput):
    bucket: BucketName
    empty_first: bool = Field(
        default=False,
        description=f"Delete every object and object version first (at most {EMPTY_FIRST_MAX}; a bucket "
        "holding more is refused). Irreversible.",
    )


class DeleteBucketOutput(MutatingOutput):
    bucket: str
    deleted: bool
    objects_deleted: int = Field(description="Object versions and delete markers removed by empty_first.")
    message: str


# -- tools ------------------------------------------------------------------------------------


@tool(
    name="s3_list_buckets",
    title="List S3 buckets",
    iam_actions=(
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketPolicyStatus",
    ),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"prefix": "acme-", "posture": True},
            {
                "count": 3,
                "buckets": [
                    {"name": "acme-eu-logs", "region": "eu-west-1"},
                    {
                        "name": "acme-public-downloads",
                        "region": "us-east-1",
                        "posture": {
                            "verdict": "public: policy allows anyone; public access block off; encrypted "
                            "(AES256); versioning off",
                            "policy_public": True,
                        },
                    },
                    {
                        "name": "acme-web-assets",
                        "posture": {
                            "verdict": "private: public access blocked; encrypted (AES256); versioned"
                        },
                    },
                ],
            },
        ),
        Example(
            {"prefix": "acme-", "bucket_region": "eu-west-1"},
            {"count": 1, "buckets": [{"name": "acme-eu-logs", "region": "eu-west-1"}]},
        ),
    ),
)
def list_buckets(s3: S3Client, args: ListBucketsInput) -> ListBucketsOutput:
    """List S3 buckets (of every region) with creation date and region. Set posture to audit them:
    versioning, default encryption, public access block, whether the policy is public, and a verdict
    such as "public: policy allows anyone". Filter by name prefix or region."""
    # Buckets are global: the region a call is sent to does not change the answer.
    question = {"prefix": args.prefix, "bucket_region": args.bucket_region, "posture": args.posture}
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    request: dict[str, Any] = {"MaxBuckets": pages.size}
    if args.prefix:
        request["Prefix"] = args.prefix
    if args.bucket_region:
        request["BucketRegion"] = args.bucket_region
    response = pages.fetch(s3.list_buckets, paged_by="ContinuationToken", **request)
    # Posture costs four calls a bucket: not made when fields leave it out.
    posture = args.posture and asked(args.fields, "posture")
    buckets = [_bucket(s3, b, posture=posture) for b in response.get("Buckets", [])[pages.offset :]]
    page = ListBucketsOutput(
        count=len(buckets), buckets=buckets, next_cursor=pages.next_cursor(response.get("ContinuationToken"))
    )
    return page.resume_with(pages.cursor_at)


@tool(
    name="s3_list_objects",
    title="List objects in an S3 bucket",
    iam_actions=("s3:ListBucket",),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"bucket": "acme-eu-logs", "prefix": "logs/2026/", "folders": True, "region": "eu-west-1"},
            {
                "bucket": "acme-eu-logs",
                "count": 2,
                "objects": [
                    {"key": "logs/2026/06/", "folder": True},
                    {"key": "logs/2026/07/", "folder": True},
                ],
            },
        ),
        Example(
            {"bucket": "acme-web-assets", "prefix": "assets/css/"},
            {"bucket": "acme-web-assets", "count": 2, "next_cursor": None},
        ),
    ),
)
def list_objects(s3: S3Client, args: ListObjectsInput) -> ListObjectsOutput:
    """List the objects in an S3 bucket with size, last change and storage class, in key order. Narrow
    by prefix; set folders to see one level at a time, deeper keys grouped into folders."""
    question = {"bucket": args.bucket, "prefix": args.prefix, "folders": args.folders}
    pages = TokenPages.resume(args.cursor, question, args.max_results)
    request: dict[str, Any] = {"Bucket": args.bucket, "MaxKeys": pages.size}
    if args.prefix:
        request["Prefix"] = args.prefix
    if args.folders:
        request["Delimiter"] = "/"
    response = pages.fetch(s3.list_objects_v2, paged_by="ContinuationToken", **request)
    entries = [
        ObjectEntry(
            key=item["Key"],
            size=item.get("Size"),
            last_modified=_iso(item.get("LastModified")),
            storage_class=item.get("StorageClass"),
        )
        for item in response.get("Contents", [])
    ]
    entries += [ObjectEntry(key=p["Prefix"], folder=True) for p in response.get("CommonPrefixes", [])]
    entries = sorted(entries, key=lambda e: e.key)[pages.offset :]
    page = ListObjectsOutput(
        bucket=args.bucket,
        count=len(entries),
        objects=entries,
        next_cursor=pages.next_cursor(response.get("NextContinuationToken")),
    )
    return page.resume_with(pages.cursor_at)


@tool(
    name="s3_head_object",
    title="Show an S3 object's metadata",
    iam_actions=("s3:GetObject", "s3:GetObjectVersion"),
    read_only=True,
    idempotent=True,
    examples=(
        Example(
            {"bucket": "acme-web-assets", "object_key": "assets/css/site.css"},
            {
                "bucket": "acme-web-assets",
                "object": {
                    "key": "assets/css/site.css",
                    "content_type": "text/css",
                    "storage_class": "STANDARD",
                    "encryption": "AES256",
                    "metadata_keys": ["build"],
                },
            },
        ),
        Example(
            {"bucket": "acme-web-assets", "object_key": "assets/missing.css"},
            None,
            error_contains=("NoSuchKey", "assets/missing.css"),
        ),
    ),
)
def head_object(s3: S3Client, args: HeadObjectInput) -> HeadObjectOutput:
    """Show one S3 object's metadata without reading it: size, content type, last change, ETag,
    storage class, encryption, version id and the names of its user metadata (not their values)."""
    request: dict[str, Any] = {"Bucket": args.bucket, "Key": args.object_key}
    if args.version_id:
        request["VersionId"] = args.version_id
    try:
        head = s3.head_object(**request)
    except ClientError as err:
        # A HEAD answer has no body: the not-found error says nothing of what was looked for.
        if _code(err) in ("404", "NoSuchKey"):
            version = f" (version {args.version_id})" if args.version_id else ""
            raise _error(
                "NoSuchKey", f"No object {args.object_key}{version} in bucket {args.bucket}", "HeadObject"
            ) from None
        raise
    return HeadObjectOutput(
        bucket=args.bucket,
        object=ObjectMetadata(
            key=args.object_key,
            size=head.get("ContentLength"),
            content_type=head.get("ContentType"),
            last_modified=_iso(head.get("LastModified")),
            etag=head.get("ETag", "").strip('"') or None,
            storage_class=head.get("StorageClass", "STANDARD"),  # S3 leaves STANDARD out
            encryption=head.get("ServerSideEncryption"),
            kms_key_id=head.get("SSEKMSKeyId"),
            version_id=head.get("VersionId"),
            metadata_keys=sorted(head.get("Metadata", {})),
        ),
    )


@tool(
    name="s3_create_bucket",
    title="Create an S3 bucket with safe defaults",
    iam_actions=(
        "s3:ListBucket",
        "s3:CreateBucket",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutEncryptionConfiguration",
        "s3:PutBucketVersioning",
    ),
    read_only=False,
    destructive=False,
    idempotent=False,
    examples=(
        Example(
            {"bucket": "acme-web-assets"},
            None,
            error_contains=("BucketAlreadyOwnedByYou", "acme-web-assets", "nothing was changed"),
        ),
        Example(
            {"bucket": "acme-eu-reports", "versioning": True, "region": "eu-west-1"},
            {"region": "eu-west-1", "bucket": "acme-eu-reports"},
        ),
    ),
)
def create_bucket(s3: S3Client, args: CreateBucketInput) -> CreateBucketOutput:
    """Create an S3 bucket in the region, locked down: all public access blocked, ACLs disabled
    (bucket owner owns every object), default encryption SSE-S3 or the KMS key given, versioning if
    asked. Refuses a name you already own."""
    region = s3.meta.region_name
    _refuse_if_owned(s3, args.bucket)
    request: dict[str, Any] = {"Bucket": args.bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if region != "us-east-1":  # us-east-1 is the one region named by no constraint
        request["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**request)
    # SSE-S3, or the KMS key with a bucket key (fewer KMS requests, lower cost).
    rule: Any = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    if args.kms_key_id:
        rule = {
            "ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms",
                "KMSMasterKeyID": args.kms_key_id,
            },
            "BucketKeyEnabled": True,
        }
    with _created(args.bucket):
        s3.put_public_access_block(
            Bucket=args.bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_encryption(Bucket=args.bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
        if args.versioning:
            s3.put_bucket_versioning(Bucket=args.bucket, VersioningConfiguration={"Status": "Enabled"})
    said = f"KMS key {args.kms_key_id}" if args.kms_key_id else "SSE-S3"
    return CreateBucketOutput(
        region=region,
        bucket=args.bucket,
        message=f"Created {args.bucket} in {region}: public access blocked, ACLs disabled, encrypted with "
        f"{said}, versioning {'enabled' if args.versioning else 'off'}.",
    )


@tool(
    name="s3_set_versioning",
    title="Turn S3 bucket versioning on or off",
    iam_actions=("s3:GetBucketVersioning", "s3:PutBucketVersioning"),
    read_only=False,
    destructive=False,
    idempotent=True,
    examples=(
        Example(
            {"bucket": "acme-web-assets", "status": "Enabled"},
            {"bucket": "acme-web-assets", "previous": "Enabled", "versioning": "Enabled"},
        ),
    ),
)
def set_versioning(s3: S3Client, args: SetVersioningInput) -> SetVersioningOutput:
    """Enable or suspend versioning on an S3 bucket. Enabled keeps every version of every object (to
    recover from deletes and overwrites); Suspended stops keeping new versions, existing ones stay.
    Setting the status it already has changes nothing."""
    previous = _versioning(s3, args.bucket)
    if previous == args.status:
        message = f"Versioning on {args.bucket} was already {args.status}: nothing changed."
    else:
        s3.put_bucket_versioning(Bucket=args.bucket, VersioningConfiguration={"Status": args.status})
        message = f"Versioning on {args.bucket}: {previous} -> {args.status}."
    return SetVersioningOutput(bucket=args.bucket, previous=previous, versioning=args.status, message=message)


@tool(
    name="s3_delete_bucket",
    title="Delete an S3 bucket",
    iam_actions=("s3:DeleteBucket", "s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion"),
    read_only=False,
    destructive=True,
    idempotent=True,
    examples=(
        Example(
            {"bucket": "acme-web-assets"},
            None,
            error_contains=("BucketNotEmpty", "empty_first"),
        ),
        Example(
            {"bucket": "acme-public-downloads", "empty_first": True},
            {"bucket": "acme-public-downloads", "deleted": True, "objects_deleted": 2},
        ),
    ),
)
def delete_bucket(s3: S3Client, args: DeleteBucketInput) -> DeleteBucketOutput:
    """Delete an S3 bucket. Irreversible. A bucket holding objects is refused unless empty_first is
    set: then every object and object version is deleted first (at most 1000; more is refused and
    nothing is deleted)."""
    removed = _empty(s3, args.bucket) if args.empty_first else 0
    try:
        s3.delete_bucket(Bucket=args.bucket)
    except ClientError as err:
        if _code(err) == "BucketNotEmpty" and not args.empty_first:
            err.response["Error"]["Message"] = (
                f"{args.bucket} holds objects or object versions; nothing was deleted. To delete them too, "
                f"call again with empty_first=true (at most {EMPTY_FIRST_MAX})"
            )
        raise
    return DeleteBucketOutput(
        bucket=args.bucket,
        deleted=True,
        objects_deleted=removed,
        message=f"Deleted {args.bucket}" + (f" and {removed} object versions in it." if removed else "."),
    )


TOOLSET = "storage"
TOOLS = (list_buckets, list_objects, head_object, create_bucket, set_versioning, delete_bucket)


# -- requests ---------------------------------------------------------------------------------


# Configurations a bucket may not have: missing means none, not an error.
_MISSING: Final = frozenset(
    {
        "NoSuchPublicAccessBlockConfiguration",
        "ServerSideEncryptionConfigurationNotFoundError",
        "NoSuchBucketPolicy",
    }
)


def _optional(call: Callable[..., Any], bucket: str) -> Any:
    try:
        return call(Bucket=bucket)
    except ClientError as err:
        if _code(err) in _MISSING:
            return None
        raise


def _versioning(s3: S3Client, bucket: str) -> str:
    return str(s3.get_bucket_versioning(Bucket=bucket).get("Status") or "Off")


def _refuse_if_owned(s3: S3Client, bucket: str) -> None:
    """In us-east-1, CreateBucket on a bucket you own succeeds: ask first, so it is not reconfigured."""
    try:
        found = s3.head_bucket(Bucket=bucket)
    except ClientError as err:
        if _code(err) in ("404", "NoSuchBucket", "403", "AccessDenied"):
            return  # absent, or not ours to see: CreateBucket gives the answer
        raise
    where = found.get("BucketRegion", "")
    raise _error(
        "BucketAlreadyOwnedByYou",
        f"You already own bucket {bucket}{f' (in {where})' if where else ''}; nothing was changed",
        "CreateBucket",
    )


@contextmanager
def _created(bucket: str) -> Iterator[None]:
    """An AWS error while securing a new bucket says the bucket exists."""
    try:
        yield
    except ClientError as err:
        error = err.response.setdefault("Error", {})
        error["Message"] = (
            f"bucket {bucket} was created, but securing it failed ({_message(err)}). Fix the cause and set "
            "it again, or delete the bucket"
        )
        raise


def _empty(s3: S3Client, bucket: str) -> int:
    """Delete every object version and delete marker of ``bucket``; refuse more than EMPTY_FIRST_MAX."""
    listed = s3.list_object_versions(Bucket=bucket, MaxKeys=EMPTY_FIRST_MAX)
    if listed.get("IsTruncated"):
        raise ToolError(
            f"Bucket {bucket} holds more than {EMPTY_FIRST_MAX} objects and object versions: refused, "
            "nothing was deleted. Empty it another way (a lifecycle rule expiring everything, or the "
            "console's Empty), then delete it."
        )
    targets: list[Any] = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for v in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]
    ]
    if targets:
        failed = s3.delete_objects(Bucket=bucket, Delete={"Objects": targets, "Quiet": True}).get(
            "Errors", []
        )
        if failed:
            first = failed[0]
            raise ToolError(
                f"{len(failed)} of {len(targets)} object versions in {bucket} could not be deleted (first: "
                f"{first.get('Key')}: {first.get('Code')}); the bucket was kept."
            )
    return len(targets)


# -- shaping ----------------------------------------------------------------------------------


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", ""))


def _error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def _region(s3: S3Client, bucket: Any) -> str | None:
    if bucket.get("BucketRegion"):
        return str(bucket["BucketRegion"])
    # ListBuckets names each bucket's region; an endpoint that does not is asked per bucket.
    constraint = s3.get_bucket_location(Bucket=bucket["Name"]).get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, constraint)


def _bucket(s3: S3Client, bucket: Any, *, posture: bool) -> BucketSummary:
    summary = BucketSummary(
        name=bucket["Name"], created=_iso(bucket.get("CreationDate")), region=_region(s3, bucket)
    )
    if posture:
        summary.posture = _posture(s3, bucket["Name"])
    return summary


def _posture(s3: S3Client, bucket: str) -> Posture:
    versioning = _versioning(s3, bucket)
    rules: Any = (_optional(s3.get_bucket_encryption, bucket) or {}).get(
        "ServerSideEncryptionConfiguration", {}
    )
    first: Any = next(iter(rules.get("Rules", [])), {})
    default = first.get("ApplyServerSideEncryptionByDefault", {})
    encryption = default.get("SSEAlgorithm")
    if encryption and default.get("KMSMasterKeyID"):
        encryption += f" ({default['KMSMasterKeyID']})"
    block = (_optional(s3.get_public_access_block, bucket) or {}).get("PublicAccessBlockConfiguration", {})
    flags = PublicAccessBlock(
        block_public_acls=block.get("BlockPublicAcls", False),
        ignore_public_acls=block.get("IgnorePublicAcls", False),
        block_public_policy=block.get("BlockPublicPolicy", False),
        restrict_public_buckets=block.get("RestrictPublicBuckets", False),
    )
    status = _optional(s3.get_bucket_policy_status, bucket)
    policy_public = None if status is None else bool(status.get("PolicyStatus", {}).get("IsPublic"))
    return Posture(
        verdict=_verdict(flags, policy_public, encryption, versioning),
        versioning=versioning,
        encryption=encryption,
        public_access_block=flags,
        policy_public=policy_public,
    )


def _verdict(
    flags: PublicAccessBlock, policy_public: bool | None, encryption: str | None, versioning: str
) -> str:
    off = [name for name, on in flags.model_dump().items() if not on]
    notes = []
    if policy_public and not flags.restrict_public_buckets:
        notes.append("public: policy allows anyone")
    elif off:
        notes.append("at risk")
    else:
        notes.append("private: public access blocked")
    if policy_public and flags.restrict_public_buckets:
        notes.append("policy allows anyone, but restrict_public_buckets confines it to this account")
    if len(off) == 4:
        notes.append("public access block off")
    elif off:
        notes.append(f"public access block partly off ({', '.join(off)})")
    notes.append(f"encrypted ({encryption})" if encryption else "no default encryption")
    notes.append("versioned" if versioning == "Enabled" else f"versioning {versioning.lower()}")
    # "at risk" reads as a heading: its first reason follows a colon.
    return notes[0] + (": " if notes[0] == "at risk" else "; ") + "; ".join(notes[1:])
