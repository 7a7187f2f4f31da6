"""The resource types the demo's Cloud Control serves, one small adapter each over moto."""

from __future__ import annotations

from aws_mcp_local.demo.cloudcontrol.types.base import HandlerError, Place, ResourceType
from aws_mcp_local.demo.cloudcontrol.types.ec2 import Instance, SecurityGroup, Subnet, Vpc
from aws_mcp_local.demo.cloudcontrol.types.ecs import Cluster
from aws_mcp_local.demo.cloudcontrol.types.iam import Role
from aws_mcp_local.demo.cloudcontrol.types.lambda_ import Function
from aws_mcp_local.demo.cloudcontrol.types.logs import LogGroup
from aws_mcp_local.demo.cloudcontrol.types.messaging import Queue, Topic
from aws_mcp_local.demo.cloudcontrol.types.storage import Bucket, Table

__all__ = ["TYPES", "HandlerError", "Place", "ResourceType"]

TYPES: dict[str, ResourceType] = {
    t.type_name: t
    for t in (
        Instance(),
        Vpc(),
        Subnet(),
        SecurityGroup(),
        Bucket(),
        Table(),
        Queue(),
        Topic(),
        Role(),
        LogGroup(),
        Function(),
        Cluster(),
    )
}
"""Every supported type, by its CloudFormation name, in the order the README lists them."""
