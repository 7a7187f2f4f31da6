"""ECS clusters.

Gaps in moto's model filled here: its create ignores ``Tags``, it has no delete of its own, and
a deleted cluster stays in moto as INACTIVE (as in ECS), which Cloud Control no longer reads or
lists.
"""

from __future__ import annotations

from typing import Any

from moto.ecs.models import ecs_backends

from aws_mcp_local.demo.cloudcontrol.types.base import (
    Place,
    ResourceType,
    absent,
    compact,
    tag_dict,
    tag_list,
)

__all__ = ["Cluster"]


def _ecs(place: Place) -> Any:
    return ecs_backends[place.account_id][place.region]


def _tags(cluster: Any) -> dict[str, str]:
    return {t["key"]: t["value"] for t in cluster.tags or ()}


class Cluster(ResourceType):
    type_name = "AWS::ECS::Cluster"
    name_property = "ClusterName"

    def identify(self, made: Any) -> str:
        return str(made.name)

    def after_create(self, place: Place, identifier: str, desired: dict[str, Any]) -> None:
        self._set_tags(self._cluster(place, identifier), tag_dict(desired.get("Tags")))

    def _set_tags(self, cluster: Any, tags: dict[str, str]) -> None:
        cluster.tags = [{"key": k, "value": v} for k, v in tags.items()] or None

    def _cluster(self, place: Place, identifier: str) -> Any:
        cluster = _ecs(place).clusters.get(identifier)
        if cluster is None or cluster.status != "ACTIVE":
            raise absent(self.type_name, identifier)
        return cluster

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        cluster = self._cluster(place, identifier)
        return compact({"ClusterName": cluster.name, "Arn": cluster.arn, "Tags": tag_list(_tags(cluster))})

    def identifiers(self, place: Place) -> list[str]:
        return sorted(name for name, c in _ecs(place).clusters.items() if c.status == "ACTIVE")

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        self._set_tags(self._cluster(place, identifier), tag_dict(desired.get("Tags")))

    def delete(self, place: Place, identifier: str) -> None:
        _ecs(place).delete_cluster(self._cluster(place, identifier).arn)
