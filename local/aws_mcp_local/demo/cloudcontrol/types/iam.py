"""IAM roles.

Gaps in moto's model filled here: its update passes the role's ``RoleDescription`` as the
maximum session duration and changes nothing else, so description, duration, trust policy,
managed policies and tags are updated here; its create attaches no managed policies. IAM is
global: a role is listed in every region, as Cloud Control does.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

from aws_mcp_local.demo.cloudcontrol.types.base import (
    Place,
    ResourceType,
    absent,
    compact,
    tag_dict,
    tag_list,
)

__all__ = ["Role"]


def _iam(place: Place) -> Any:
    return iam_backends[place.account_id][get_partition(place.region)]


def _tags(tags: Any) -> dict[str, str]:
    # moto keeps a role's tags as the API's list, or by key when set through TagRole.
    listed = tags.values() if isinstance(tags, dict) else tags or ()
    return tag_dict(list(listed))


class Role(ResourceType):
    type_name = "AWS::IAM::Role"
    name_property = "RoleName"

    def cfn_properties(self, desired: dict[str, Any], name: str) -> dict[str, Any]:
        return {k: v for k, v in desired.items() if k != "ManagedPolicyArns"}

    def identify(self, made: Any) -> str:
        return str(made.name)

    def after_create(self, place: Place, identifier: str, desired: dict[str, Any]) -> None:
        for arn in desired.get("ManagedPolicyArns", ()):
            _iam(place).attach_role_policy(arn, identifier)

    def _role(self, place: Place, identifier: str) -> Any:
        for role in _iam(place).roles.values():
            if role.name == identifier:
                return role
        raise absent(self.type_name, identifier)

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        role = self._role(place, identifier)
        document = role.assume_role_policy_document
        if isinstance(document, str):
            document = json.loads(unquote(document))
        return compact(
            {
                "Arn": role.arn,
                "RoleId": role.id,
                "RoleName": role.name,
                "Path": role.path,
                "AssumeRolePolicyDocument": document,
                "Description": role.description or None,
                "MaxSessionDuration": int(role.max_session_duration),
                "ManagedPolicyArns": sorted(role.managed_policies),
                "Tags": tag_list(_tags(role.tags)),
            }
        )

    def identifiers(self, place: Place) -> list[str]:
        return sorted(role.name for role in _iam(place).roles.values())

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        iam = _iam(place)
        iam.update_role(
            identifier, desired.get("Description", ""), str(desired.get("MaxSessionDuration", 3600))
        )
        document = desired["AssumeRolePolicyDocument"]
        if document != current.get("AssumeRolePolicyDocument"):
            iam.update_assume_role_policy(
                identifier, document if isinstance(document, str) else json.dumps(document)
            )
        before, after = set(current.get("ManagedPolicyArns", ())), set(desired.get("ManagedPolicyArns", ()))
        for arn in sorted(before - after):
            iam.detach_role_policy(arn, identifier)
        for arn in sorted(after - before):
            iam.attach_role_policy(arn, identifier)
        tags_before, tags_after = tag_dict(current.get("Tags")), tag_dict(desired.get("Tags"))
        if gone := [k for k in tags_before if k not in tags_after]:
            iam.untag_role(identifier, gone)
        if tags_after and tags_after != tags_before:
            iam.tag_role(identifier, tag_list(tags_after))

    def delete(self, place: Place, identifier: str) -> None:
        role = self._role(place, identifier)
        iam = _iam(place)
        for arn in list(role.managed_policies):
            iam.detach_role_policy(arn, identifier)
        for name in list(role.policies):
            iam.delete_role_policy(identifier, name)
        iam.delete_role(identifier)
