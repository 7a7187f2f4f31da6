"""AWS integration types: EVENT_BUS (EventBridge), MESSAGE_QUEUE (SQS), FILE (S3 objects).

Each sends with the function's own credentials (the template grants the calls on the account's
buses, queues and buckets) through botocore, whose retries and timeouts apply; a check asks the
service whether the bus, queue or bucket is there and reachable.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from botocore.exceptions import BotoCoreError, ClientError

from aws_mcp.errors import InvalidIntegrationError
from aws_mcp.integrations.integration import Integration, SendResult, describe_failure
from aws_mcp.integrations.model import IntegrationConfig

__all__ = ["EventBusIntegration", "FileIntegration", "MessageQueueIntegration"]

SOURCE: Final = "aws-mcp"
# Errors of the service itself (throttling, 5xx) are worth another attempt; refusals are not.
_RETRYABLE: Final = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "InternalException",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestThrottled",
        "SlowDown",
        "InternalError",
        "RequestTimeout",
    }
)
_BUS_ARN: Final = re.compile(r"^arn:aws[a-z-]*:events:([a-z0-9-]+):\d{12}:event-bus/[\w.\-/]+$")
_BUS_NAME: Final = re.compile(r"^[\w.\-/]{1,256}$")
_QUEUE_URL: Final = re.compile(r"^https?://(?:sqs\.)?([a-z0-9-]+)?\.?[\w.:-]*/\d{12}/[\w-]{1,80}(\.fifo)?$")
_S3_URL: Final = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(.*))?$")


class _AwsIntegration(Integration):
    receives = False
    service = ""

    def region(self) -> str:
        return str(self.config.metadata.get("region") or self.context.default_region)

    def client(self) -> Any:
        return self.context.aws(self.service, self.region())

    async def _call(self, call: Callable[[], Any]) -> Any:
        return await asyncio.wait_for(asyncio.to_thread(call), timeout=self.config.timeout_seconds)

    async def _check(self, call: Callable[[], Any]) -> bool:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.to_thread(call), timeout=self.config.health_check.timeout_seconds)
        except (ClientError, BotoCoreError, TimeoutError) as err:
            return self._checked(started, False, _aws_failure(err))
        return self._checked(started, True, None)

    async def health_check(self) -> bool:
        if self.config.health_check.endpoint:
            return await super().health_check()
        return await self._check(self.probe)

    def probe(self) -> None:
        raise NotImplementedError

    async def _send(self, call: Callable[[], Any]) -> SendResult:
        try:
            await self._call(call)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            return SendResult(False, retryable=code in _RETRYABLE, error=_aws_failure(err))
        except (BotoCoreError, TimeoutError) as err:
            return SendResult(False, retryable=True, error=_aws_failure(err))
        return SendResult(True)


class EventBusIntegration(_AwsIntegration):
    """``endpoint``: an EventBridge bus name or ARN. Each event is one entry (source ``aws-mcp``,
    detail type the event's type)."""

    service = "events"

    @classmethod
    def validate_endpoint(cls, config: IntegrationConfig) -> None:
        bus = config.endpoint or ""
        if not (_BUS_ARN.match(bus) or _BUS_NAME.match(bus)):
            raise InvalidIntegrationError("endpoint must be an EventBridge bus name or ARN")

    def region(self) -> str:
        found = _BUS_ARN.match(self.config.endpoint or "")
        return found.group(1) if found else super().region()

    def probe(self) -> None:
        self.client().describe_event_bus(Name=self.config.endpoint)

    async def send(self, event: Mapping[str, Any]) -> SendResult:
        def put() -> None:
            answer = self.client().put_events(
                Entries=[
                    {
                        "Source": SOURCE,
                        "DetailType": str(event.get("type", "event")),
                        "Detail": orjson.dumps(event).decode(),
                        "EventBusName": self.config.endpoint,
                    }
                ]
            )
            if answer.get("FailedEntryCount"):
                entry = answer["Entries"][0]
                raise ClientError(
                    {
                        "Error": {
                            "Code": entry.get("ErrorCode", "Failed"),
                            "Message": entry.get("ErrorMessage", ""),
                        }
                    },
                    "PutEvents",
                )

        return await self._send(put)


class MessageQueueIntegration(_AwsIntegration):
    """``endpoint``: an SQS queue URL. Each event is one message (FIFO queues: grouped by tool)."""

    service = "sqs"

    @classmethod
    def validate_endpoint(cls, config: IntegrationConfig) -> None:
        if not _QUEUE_URL.match(config.endpoint or ""):
            raise InvalidIntegrationError(
                "endpoint must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)"
            )

    def region(self) -> str:
        host = (self.config.endpoint or "").split("/")[2]
        parts = host.split(".")
        if len(parts) >= 4 and parts[0] == "sqs":
            return parts[1]
        return super().region()

    def probe(self) -> None:
        self.client().get_queue_attributes(QueueUrl=self.config.endpoint, AttributeNames=["QueueArn"])

    async def send(self, event: Mapping[str, Any]) -> SendResult:
        request: dict[str, Any] = {
            "QueueUrl": self.config.endpoint,
            "MessageBody": orjson.dumps(event).decode(),
        }
        if (self.config.endpoint or "").endswith(".fifo"):
            request["MessageGroupId"] = str(event.get("tool") or "aws-mcp")
            request["MessageDeduplicationId"] = str(event.get("id"))[:128]
        return await self._send(lambda: self.client().send_message(**request))


class FileIntegration(_AwsIntegration):
    """``endpoint``: ``s3://bucket/prefix``. Each event is one JSON object,
    ``<prefix>/<yyyy>/<mm>/<dd>/<event id>.json``."""

    service = "s3"

    @classmethod
    def validate_endpoint(cls, config: IntegrationConfig) -> None:
        if not _S3_URL.match(config.endpoint or ""):
            raise InvalidIntegrationError("endpoint must be s3://<bucket>/<prefix>")

    def _bucket_prefix(self) -> tuple[str, str]:
        found = _S3_URL.match(self.config.endpoint or "")
        assert found
        return found.group(1), (found.group(2) or "").strip("/")

    def probe(self) -> None:
        self.client().head_bucket(Bucket=self._bucket_prefix()[0])

    async def send(self, event: Mapping[str, Any]) -> SendResult:
        bucket, prefix = self._bucket_prefix()
        day = datetime.fromtimestamp(self.context.clock(), UTC).strftime("%Y/%m/%d")
        key = "/".join(p for p in (prefix, day, f"{event.get('id', 'event')}.json") if p)
        return await self._send(
            lambda: self.client().put_object(
                Bucket=bucket, Key=key, Body=orjson.dumps(event), ContentType="application/json"
            )
        )


def _aws_failure(err: BaseException) -> str:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}"[:300]
    return describe_failure(err)
