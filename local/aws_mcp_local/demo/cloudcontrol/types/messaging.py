"""SQS queues and SNS topics.

Gaps in moto's models filled here: a queue's URL depends on the request's host in moto, so the
identifier is the URL real SQS gives (moto finds a queue by the URL's last part, whatever its
host); a queue's update sets two attributes of five and no tags; a topic's model stores
``Tags`` as a plain attribute (not its tags) and answers a repeated name with the existing
topic, and its update deletes and recreates the topic.
"""

from __future__ import annotations

from typing import Any

from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.utilities.utils import get_partition

from aws_mcp_local.demo.cloudcontrol.types.base import (
    Place,
    ResourceType,
    absent,
    compact,
    tag_dict,
    tag_list,
)

__all__ = ["Queue", "Topic"]

# The queue attributes the schema holds; all are numbers of seconds or bytes.
_QUEUE_NUMBERS = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
)


def _sqs(place: Place) -> Any:
    return sqs_backends[place.account_id][place.region]


def _queue_url(place: Place, name: str) -> str:
    return f"https://sqs.{place.region}.amazonaws.com/{place.account_id}/{name}"


class Queue(ResourceType):
    type_name = "AWS::SQS::Queue"
    name_property = "QueueName"

    def resource_name(self, desired: dict[str, Any]) -> str:
        name = super().resource_name(desired)
        return f"{name}.fifo" if desired.get("FifoQueue") and not name.endswith(".fifo") else name

    def cfn_properties(self, desired: dict[str, Any], name: str) -> dict[str, Any]:
        properties = {k: str(desired[k]) for k in _QUEUE_NUMBERS if k in desired}
        if desired.get("FifoQueue"):
            properties["FifoQueue"] = "true"
        return {**properties, "Tags": desired.get("Tags", [])}

    def identify(self, made: Any) -> str:
        return _queue_url(Place(made.account_id, made.region), made.name)

    def existing(self, place: Place, desired: dict[str, Any]) -> str | None:
        name = self.resource_name(desired) if desired.get("QueueName") else None
        return _queue_url(place, name) if name and name in _sqs(place).queues else None

    def _queue(self, place: Place, identifier: str) -> Any:
        queue = _sqs(place).queues.get(identifier.rstrip("/").rsplit("/", 1)[-1])
        if queue is None or _queue_url(place, queue.name) != identifier:
            raise absent(self.type_name, identifier)
        return queue

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        queue = self._queue(place, identifier)
        attributes = queue.attributes
        return compact(
            {
                "QueueUrl": identifier,
                "Arn": queue.queue_arn,
                "QueueName": queue.name,
                "FifoQueue": True if queue.fifo_queue else None,
                **{k: int(attributes[k]) for k in _QUEUE_NUMBERS if attributes.get(k) is not None},
                "Tags": tag_list(queue.tags),
            }
        )

    def identifiers(self, place: Place) -> list[str]:
        return sorted(_queue_url(place, name) for name in _sqs(place).queues)

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        queue = self._queue(place, identifier)
        changed = {
            k: str(desired[k]) for k in _QUEUE_NUMBERS if k in desired and desired[k] != current.get(k)
        }
        if changed:
            _sqs(place).set_queue_attributes(queue.name, changed)
        before, after = tag_dict(current.get("Tags")), tag_dict(desired.get("Tags"))
        if before != after:
            queue.tags = after

    def delete(self, place: Place, identifier: str) -> None:
        _sqs(place).delete_queue(self._queue(place, identifier).name)


def _sns(place: Place) -> Any:
    return sns_backends[place.account_id][place.region]


class Topic(ResourceType):
    type_name = "AWS::SNS::Topic"
    name_property = "TopicName"

    def _arn(self, place: Place, name: str) -> str:
        return f"arn:{get_partition(place.region)}:sns:{place.region}:{place.account_id}:{name}"

    def resource_name(self, desired: dict[str, Any]) -> str:
        name = super().resource_name(desired)
        return f"{name}.fifo" if desired.get("FifoTopic") and not name.endswith(".fifo") else name

    def cfn_properties(self, desired: dict[str, Any], name: str) -> dict[str, Any]:
        return {k: v for k, v in desired.items() if k in ("DisplayName", "FifoTopic")}

    def identify(self, made: Any) -> str:
        return str(made.arn)

    def existing(self, place: Place, desired: dict[str, Any]) -> str | None:
        if not desired.get("TopicName"):
            return None
        arn = self._arn(place, self.resource_name(desired))
        return arn if arn in _sns(place).topics else None

    def after_create(self, place: Place, identifier: str, desired: dict[str, Any]) -> None:
        self._topic(place, identifier)._tags = tag_dict(desired.get("Tags"))

    def _topic(self, place: Place, identifier: str) -> Any:
        topic = _sns(place).topics.get(identifier)
        if topic is None:
            raise absent(self.type_name, identifier)
        return topic

    def read(self, place: Place, identifier: str) -> dict[str, Any]:
        topic = self._topic(place, identifier)
        return compact(
            {
                "TopicArn": topic.arn,
                "TopicName": topic.name,
                "DisplayName": topic.display_name or None,
                "FifoTopic": True if str(topic.fifo_topic).lower() == "true" else None,
                "Tags": tag_list(topic._tags),
            }
        )

    def identifiers(self, place: Place) -> list[str]:
        return sorted(_sns(place).topics)

    def update(self, place: Place, identifier: str, current: dict[str, Any], desired: dict[str, Any]) -> None:
        topic = self._topic(place, identifier)
        if desired.get("DisplayName") != current.get("DisplayName"):
            _sns(place).set_topic_attribute(identifier, "display_name", desired.get("DisplayName", ""))
        topic._tags = tag_dict(desired.get("Tags"))

    def delete(self, place: Place, identifier: str) -> None:
        self._topic(place, identifier)
        _sns(place).delete_topic(identifier)
