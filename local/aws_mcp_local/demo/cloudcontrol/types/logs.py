"""CloudWatch Logs log groups.

Gaps in moto's model filled here: it has no update and no delete of its own for a log group,
so retention and tags change, and the group is deleted, through the backend.
"""

from __future__ import annotations

from typing import Any

from moto.logs.models import logs_backends

from aws_mcp_local.demo.cloudcontrol.types.base import (
    Place,
    ResourceType,
    absent,
    compact,
    tag_dict,
    tag_list,
)

__all__ = ["LogGroup"]


def _logs(place: Place) -> Any:
    return logs_backends[place.account_id][place.region]


class LogGroup(ResourceType):
    type_name = "AWS::Logs::LogGroup"
    name_property = "LogGroupName"

    def identify(self, made: Any) -> str:
        return str(made.name)

    def _group(self, place: Place, identifier: str) -> Any:
        group = _logs(place).groups.get(identifier)
        if group is None:
            raise absent(self.type_name, identifier)
        return group

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        group = self._group(place, identifier)
        return compact(
            {
                "LogGroupName": group.name,
                # Cloud Control's Arn for a log group ends in ":*", as DescribeLogGroups' arn does.
                "Arn": group.arn if group.arn.endswith(":*") else f"{group.arn}:*",
                "RetentionInDays": int(group.retention_in_days) if group.retention_in_days else None,
                "Tags": tag_list(_logs(place).list_tags_for_resource(group.arn.removesuffix(":*"))),
            }
        )

    def identifiers(self, place: Place) -> list[str]:
        return sorted(_logs(place).groups)

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        logs = _logs(place)
        if desired.get("RetentionInDays") != current.get("RetentionInDays"):
            if desired.get("RetentionInDays"):
                logs.put_retention_policy(identifier, desired["RetentionInDays"])
            else:
                logs.delete_retention_policy(identifier)
        arn = self._group(place, identifier).arn.removesuffix(":*")
        before, after = tag_dict(current.get("Tags")), tag_dict(desired.get("Tags"))
        if gone := [k for k in before if k not in after]:
            logs.untag_resource(arn, gone)
        if after and after != before:
            logs.tag_resource(arn, after)

    def delete(self, place: Place, identifier: str) -> None:
        self._group(place, identifier)
        _logs(place).delete_log_group(identifier)
