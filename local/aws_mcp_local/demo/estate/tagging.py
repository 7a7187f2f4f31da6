"""Tagged resources of services with no tools of their own, for finding by tag: the storefront's
alerts topic and carts table, the payments team's order events queue. (In the whole demo, the
fleet's instances, volumes and other parts' resources carry team and env tags too.)"""

from __future__ import annotations

from aws_mcp_local.demo.estate import DemoClients

__all__ = ["seed"]


def seed(clients: DemoClients) -> None:
    clients("sns").create_topic(
        Name="storefront-alerts",
        Tags=[
            {"Key": "team", "Value": "storefront"},
            {"Key": "env", "Value": "prod"},
            {"Key": "scratch", "Value": "load-test-2026-11"},
        ],
    )
    clients("dynamodb").create_table(
        TableName="storefront-carts",
        KeySchema=[{"AttributeName": "cart_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "cart_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "team", "Value": "storefront"}, {"Key": "env", "Value": "prod"}],
    )
    clients("sqs").create_queue(
        QueueName="orders-events",
        tags={"team": "payments", "env": "prod"},
    )
