"""The CloudFormation registry's answers for the types the demo's Cloud Control serves.

moto implements neither ``ListTypes`` nor ``DescribeType``; ``install`` adds both to moto's
CloudFormation responses (this process's, which the demo server serves too), the way
``demo.simulation`` adds IAM's policy simulator. Every other CloudFormation action stays
moto's. The schemas are this package's ``schemas/*.json``: the real resource-provider schema
shape, holding only the properties the emulation supports.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_mcp_local.demo.cloudcontrol.types import TYPES, ResourceType

__all__ = ["install", "type_arn"]

VERSION = "00000001"


def type_arn(region: str, type_name: str) -> str:
    return f"arn:aws:cloudformation:{region}::type/resource/{type_name.replace('::', '-')}"


def install() -> None:
    """Teach moto's CloudFormation ``ListTypes`` and ``DescribeType`` (idempotent)."""
    from moto.cloudformation.responses import CloudFormationResponse

    CloudFormationResponse.list_types = _list_types  # type: ignore[attr-defined]
    CloudFormationResponse.describe_type = _describe_type  # type: ignore[attr-defined]


def _public_resources(response: Any) -> bool:
    """Whether the question is about public AWS resource types, all the registry holds here."""
    filters = response._get_param("Filters") or {}
    return (
        (response._get_param("Type") or "RESOURCE") == "RESOURCE"
        and (response._get_param("Visibility") or "PRIVATE") == "PUBLIC"
        and filters.get("Category") in (None, "AWS_TYPES", "ACTIVATED")
        and filters.get("PublisherId") in (None, "")
        and response._get_param("ProvisioningType") in (None, "FULLY_MUTABLE")
        and response._get_param("DeprecatedStatus") in (None, "LIVE")
    )


def _list_types(self: Any) -> Any:
    from moto.core.responses import ActionResult

    prefix = (self._get_param("Filters") or {}).get("TypeNamePrefix") or ""
    names = sorted(n for n in TYPES if n.startswith(prefix)) if _public_resources(self) else []
    size = int(self._get_param("MaxResults") or 100)
    start = _start(self._get_param("NextToken"), len(names))
    page = names[start : start + size]
    result: dict[str, Any] = {
        "TypeSummaries": [
            {
                "Type": "RESOURCE",
                "TypeName": name,
                "DefaultVersionId": VERSION,
                "TypeArn": type_arn(self.region, name),
                "Description": TYPES[name].schema.get("description", ""),
                "IsActivated": True,
            }
            for name in page
        ]
    }
    if start + size < len(names):
        result["NextToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return ActionResult(result)


def _start(token: str | None, count: int) -> int:
    from moto.cloudformation.exceptions import CloudFormationError

    if not token:
        return 0
    try:
        start = int(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError) as err:
        raise CloudFormationError("CFNRegistryException", "NextToken is not valid.") from err
    if not 0 <= start <= count:
        raise CloudFormationError("CFNRegistryException", "NextToken is not valid.")
    return start


def _describe_type(self: Any) -> Any:
    from moto.cloudformation.exceptions import CloudFormationError
    from moto.core.responses import ActionResult

    name = self._get_param("TypeName")
    arn = self._get_param("Arn")
    if arn and not name:
        name = next((n for n in TYPES if type_arn(self.region, n) == arn), arn)
    resource_type: ResourceType | None = TYPES.get(name)
    if resource_type is None or (self._get_param("Type") or "RESOURCE") != "RESOURCE":
        raise CloudFormationError(
            "TypeNotFoundException",
            f"The type '{name}' cannot be found. The demo's registry holds: {', '.join(TYPES)}.",
        )
    return ActionResult(
        {
            "Arn": type_arn(self.region, resource_type.type_name),
            "Type": "RESOURCE",
            "TypeName": resource_type.type_name,
            "DefaultVersionId": VERSION,
            "IsDefaultVersion": True,
            "Description": resource_type.schema.get("description", ""),
            "Schema": json.dumps(resource_type.schema),
            "ProvisioningType": "FULLY_MUTABLE",
            "DeprecatedStatus": "LIVE",
            "Visibility": "PUBLIC",
            "IsActivated": True,
        }
    )
