"""S3 buckets and DynamoDB tables.

Gaps in moto's models filled here: a bucket's update puts tags only when the new state has some
(so removing the last tag did nothing) and never removes encryption; a table's model has no
update and ignores nothing else we need. S3 is one backend per partition, so a region's buckets
are those whose ``region_name`` is that region, as Cloud Control lists them.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.s3.cloud_formation import cfn_to_api_encryption
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from aws_mcp_local.demo.cloudcontrol.types.base import (
    HandlerError,
    Place,
    ResourceType,
    absent,
    compact,
    tag_dict,
    tag_list,
)

__all__ = ["Bucket", "Table"]


def _s3(place: Place) -> Any:
    return s3_backends[place.account_id][get_partition(place.region)]


class Bucket(ResourceType):
    type_name = "AWS::S3::Bucket"
    name_property = "BucketName"

    def _bucket(self, place: Place, identifier: str) -> Any:
        bucket = _s3(place).buckets.get(identifier)
        if bucket is None:
            raise absent(self.type_name, identifier)
        return bucket

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        bucket = self._bucket(place, identifier)
        tags = _s3(place).get_bucket_tagging(identifier).get("Tags", [])
        return compact(
            {
                "BucketName": bucket.name,
                "Arn": bucket.arn,
                "DomainName": f"{bucket.name}.s3.amazonaws.com",
                "RegionalDomainName": f"{bucket.name}.s3.{bucket.region_name}.amazonaws.com",
                "BucketEncryption": _encryption(bucket.encryption),
                "Tags": tag_list(tag_dict(tags)),
            }
        )

    def identifiers(self, place: Place) -> list[str]:
        return sorted(name for name, b in _s3(place).buckets.items() if b.region_name == place.region)

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        backend = _s3(place)
        if desired.get("BucketEncryption") != current.get("BucketEncryption"):
            if desired.get("BucketEncryption"):
                backend.put_bucket_encryption(identifier, cfn_to_api_encryption(desired["BucketEncryption"]))
            else:
                backend.delete_bucket_encryption(identifier)
        if desired.get("Tags") != current.get("Tags"):
            backend.put_bucket_tagging(identifier, tag_dict(desired.get("Tags")))

    def delete(self, place: Place, identifier: str) -> None:
        self._bucket(place, identifier)
        if _s3(place).delete_bucket(identifier) is None:
            raise HandlerError(
                "ResourceConflict", f"The bucket you tried to delete is not empty: {identifier}"
            )


def _encryption(api: dict[str, Any] | None) -> dict[str, Any] | None:
    """moto keeps encryption as the S3 API's XML parsed; the schema's shape is CloudFormation's."""
    if not api:
        return None
    rules = api.get("Rule", [])
    rules = rules if isinstance(rules, list) else [rules]
    out = []
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        item: dict[str, Any] = {
            "ServerSideEncryptionByDefault": compact(
                {"SSEAlgorithm": default.get("SSEAlgorithm"), "KMSMasterKeyID": default.get("KMSMasterKeyID")}
            )
        }
        if "BucketKeyEnabled" in rule:
            item["BucketKeyEnabled"] = str(rule["BucketKeyEnabled"]).lower() == "true"
        out.append(item)
    return {"ServerSideEncryptionConfiguration": out}


def _dynamodb(place: Place) -> Any:
    return dynamodb_backends[place.account_id][place.region]


class Table(ResourceType):
    type_name = "AWS::DynamoDB::Table"
    name_property = "TableName"

    def _table(self, place: Place, identifier: str) -> Any:
        table = _dynamodb(place).tables.get(identifier)
        if table is None:
            raise absent(self.type_name, identifier)
        return table

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        table = self._table(place, identifier)
        provisioned = table.billing_mode != "PAY_PER_REQUEST"
        throughput = table.throughput or {}
        return compact(
            {
                "TableName": table.name,
                "Arn": table.table_arn,
                "AttributeDefinitions": [dict(a) for a in table.attr],
                "KeySchema": [dict(k) for k in table.schema],
                "BillingMode": table.billing_mode,
                "ProvisionedThroughput": {
                    "ReadCapacityUnits": int(throughput.get("ReadCapacityUnits", 0)),
                    "WriteCapacityUnits": int(throughput.get("WriteCapacityUnits", 0)),
                }
                if provisioned
                else None,
                "DeletionProtectionEnabled": bool(table.deletion_protection_enabled),
                "Tags": tag_list(tag_dict(table.tags)),
            }
        )

    def identifiers(self, place: Place) -> list[str]:
        return sorted(_dynamodb(place).tables)

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        backend = _dynamodb(place)
        table = self._table(place, identifier)
        mode = desired.get("BillingMode", "PROVISIONED")
        if mode == "PROVISIONED" and not desired.get("ProvisionedThroughput"):
            raise HandlerError(
                "InvalidRequest", "ProvisionedThroughput is required when BillingMode is PROVISIONED."
            )
        backend.update_table(
            name=identifier,
            attr_definitions=[],
            global_index=[],
            throughput=desired.get("ProvisionedThroughput") if mode == "PROVISIONED" else None,
            billing_mode=mode,
            stream_spec=None,
            deletion_protection_enabled=bool(desired.get("DeletionProtectionEnabled", False)),
            warm_throughput=None,
        )
        before, after = tag_dict(current.get("Tags")), tag_dict(desired.get("Tags"))
        if before != after:
            table.tags = tag_list(after)

    def delete(self, place: Place, identifier: str) -> None:
        table = self._table(place, identifier)
        if table.deletion_protection_enabled:
            raise HandlerError(
                "InvalidRequest",
                f"Resource cannot be deleted as it is currently protected against deletion: {identifier}",
            )
        _dynamodb(place).delete_table(identifier)
