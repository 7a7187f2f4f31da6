"""The demo's stacks, in us-east-1: the storefront's queues (whose last update failed and rolled
back, as its events say) and its topics.

moto deploys every template it can parse and never fails an update, so the failed update is
written into the stack's events and status as CloudFormation would record it.
"""

from __future__ import annotations

import json
from typing import Any, Final

from moto.cloudformation.models import Event, cloudformation_backends

from aws_mcp_local.demo.estate import DemoClients

__all__ = ["FAILED_REASON", "seed"]

_ACCOUNT: Final = "123456789012"  # moto's
FAILED_REASON: Final = (
    'Resource handler returned message: "Value 1209601 for parameter MessageRetentionPeriod is invalid. '
    'Reason: must be between 60 and 1209600." (HandlerErrorCode: InvalidRequest)'
)
_QUEUES: Final = {
    "Description": "The storefront's order queues",
    "Parameters": {
        "Env": {"Type": "String", "Default": "prod"},
        "AlertToken": {"Type": "String", "NoEcho": True, "Default": "demo-not-a-secret"},
    },
    "Resources": {
        "OrdersQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "storefront-orders"}},
        "OrdersDeadLetters": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": "storefront-orders-dlq"},
        },
    },
    "Outputs": {"OrdersQueueUrl": {"Value": {"Ref": "OrdersQueue"}}},
}
_TOPICS: Final = {
    "Description": "The storefront's notification topics",
    "Resources": {"Orders": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "storefront-orders"}}},
}


def seed(clients: DemoClients) -> None:
    cloudformation = clients("cloudformation")
    cloudformation.create_stack(StackName="storefront-queues", TemplateBody=json.dumps(_QUEUES))
    cloudformation.create_stack(StackName="storefront-topics", TemplateBody=json.dumps(_TOPICS))
    _failed_update(cloudformation.meta.region_name, "storefront-queues")


def _failed_update(region: str, name: str) -> None:
    """The events and status CloudFormation records for an update that failed on OrdersQueue."""
    stack: Any = cloudformation_backends[_ACCOUNT][region].get_stack(name)
    steps = [
        (name, "AWS::CloudFormation::Stack", stack.stack_id, "UPDATE_IN_PROGRESS", "User Initiated"),
        ("OrdersQueue", "AWS::SQS::Queue", "storefront-orders", "UPDATE_IN_PROGRESS", None),
        ("OrdersQueue", "AWS::SQS::Queue", "storefront-orders", "UPDATE_FAILED", FAILED_REASON),
        (
            name,
            "AWS::CloudFormation::Stack",
            stack.stack_id,
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to update: [OrdersQueue].",
        ),
        (name, "AWS::CloudFormation::Stack", stack.stack_id, "UPDATE_ROLLBACK_COMPLETE", None),
    ]
    for logical, kind, physical, status, reason in steps:
        stack.events.append(Event(stack.stack_id, name, logical, physical, kind, status, reason, None))
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
