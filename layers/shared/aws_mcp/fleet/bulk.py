"""Bulk changes across accounts and regions: a plan first, then its execution by plan id.

A plan names every target and the change, and is kept (in the resource registry's table, with a
TTL) under an id bound to the caller who made it and to a hash of its targets and change. Its
execution refuses another caller, a plan past its expiry, and a plan whose targets changed since
(a selector re-read from the registry giving other targets). It then works through the targets
at a bounded rate within the call's time: each target is changed once (its result kept in the
plan, conditionally, so a repeat or a second executor skips it), each has its own audit record
with its outcome), and whatever failed or was not reached is reported and done by
executing the same plan id again. Hand-written: the plan/execute contract, not any library's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from aws_mcp.accounts import Accounts
from aws_mcp.audit.record import AuditRecord, Outcome
from aws_mcp.audit.record import now as audit_now
from aws_mcp.errors import AccessDeniedError, AwsCallError, ToolError, ToolInputError

__all__ = ["ACTIONS", "BULK", "TYPES", "Bulk", "Plan"]

BULK: Final = "bulk"
# How long a plan may be executed after it is made.
PLAN_MINUTES: Final = 15
# Targets changed per second at most.
RATE_PER_SECOND: Final = 5.0
_SERIALIZER: Final = TypeSerializer()
_DESERIALIZER: Final = TypeDeserializer()
_MARGIN_S: Final = 3.0


def _stop(clients: Callable[[str], Any], target: dict[str, str], change: dict[str, Any]) -> str:
    if target.get("type") == "rds:db-instance":
        clients("rds").stop_db_instance(DBInstanceIdentifier=target["id"])
    else:
        clients("ec2").stop_instances(InstanceIds=[target["id"]])
    return "stopping"


def _start(clients: Callable[[str], Any], target: dict[str, str], change: dict[str, Any]) -> str:
    if target.get("type") == "rds:db-instance":
        clients("rds").start_db_instance(DBInstanceIdentifier=target["id"])
    else:
        clients("ec2").start_instances(InstanceIds=[target["id"]])
    return "starting"


def _tag(clients: Callable[[str], Any], target: dict[str, str], change: dict[str, Any]) -> str:
    tags = [{"Key": k, "Value": v} for k, v in change["tags"].items()]
    clients("ec2").create_tags(Resources=[target["id"]], Tags=tags)
    return "tagged"


def _untag(clients: Callable[[str], Any], target: dict[str, str], change: dict[str, Any]) -> str:
    clients("ec2").delete_tags(Resources=[target["id"]], Tags=[{"Key": k} for k in change["tag_keys"]])
    return "untagged"


def _capacity(clients: Callable[[str], Any], target: dict[str, str], change: dict[str, Any]) -> str:
    clients("autoscaling").set_desired_capacity(
        AutoScalingGroupName=target["id"], DesiredCapacity=change["value"]
    )
    return f"desired capacity {change['value']}"


def _count(clients: Callable[[str], Any], target: dict[str, str], change: dict[str, Any]) -> str:
    cluster, _, service = target["id"].partition("/")
    if not service:
        raise ToolInputError(f"{target['id']!r}: name an ECS service as cluster/service.")
    clients("ecs").update_service(cluster=cluster, service=service, desiredCount=change["value"])
    return f"desired count {change['value']}"


# Each action: what it does to one target, and the IAM action it needs (the tool declares them).
ACTIONS: Final[dict[str, tuple[Callable[..., str], str]]] = {
    "stop": (_stop, "ec2:StopInstances"),
    "start": (_start, "ec2:StartInstances"),
    "tag": (_tag, "ec2:CreateTags"),
    "untag": (_untag, "ec2:DeleteTags"),
    "set_capacity": (_capacity, "autoscaling:SetDesiredCapacity"),
    "set_count": (_count, "ecs:UpdateService"),
}
# The registry types each action applies to (a selector's type must be one of them).
TYPES: Final[dict[str, tuple[str, ...]]] = {
    "stop": ("ec2:instance", "rds:db-instance"),
    "start": ("ec2:instance", "rds:db-instance"),
    "set_capacity": ("autoscaling:group",),
    "set_count": ("ecs:service",),
}
# Tags of other services' resources change through the Resource Groups Tagging API, by ARN, at
# most this many per call. EC2's keep their own CreateTags/DeleteTags, one target a call: the
# Tagging API has no batch advantage there (CreateTags fails a batch as a whole) and moto's
# Tagging API does not tag EC2 resources.
TAG_BATCH: Final = 20


def _by_arn(target: dict[str, str]) -> bool:
    return bool(target.get("arn")) and not target.get("type", "ec2:").startswith("ec2:")


def _tag_batch(
    clients: Callable[[str], Any], action: str, change: dict[str, Any], targets: list[dict[str, str]]
) -> dict[str, str]:
    """Tag or untag up to TAG_BATCH targets of one account and region in one call: each ARN's failure."""
    tagging = clients("resourcegroupstaggingapi")
    arns = [t["arn"] for t in targets]
    if action == "tag":
        failed = tagging.tag_resources(ResourceARNList=arns, Tags=change["tags"])
    else:
        failed = tagging.untag_resources(ResourceARNList=arns, TagKeys=change["tag_keys"])
    return {
        arn: f"{why.get('ErrorCode', 'Error')}: {why.get('ErrorMessage', '')}"[:300]
        for arn, why in failed.get("FailedResourcesMap", {}).items()
    }


@dataclass(frozen=True, slots=True)
class Plan:
    plan_id: str
    caller: str
    action: str
    change: dict[str, Any]
    targets: list[dict[str, str]]
    selector: dict[str, Any] | None
    target_hash: str
    expires_at: datetime
    done: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)


def target_hash(action: str, change: dict[str, Any], targets: list[dict[str, str]]) -> str:
    ordered = sorted(targets, key=lambda t: (t["account"], t["region"], t["id"]))
    return hashlib.sha256(orjson.dumps([action, change, ordered], option=orjson.OPT_SORT_KEYS)).hexdigest()[
        :32
    ]


def _key(target: dict[str, str]) -> str:
    return f"{target['account']}#{target['region']}#{target['id']}"


class Bulk:
    """Plans kept in a table (the registry's), executed target by target through each account's role."""

    def __init__(
        self,
        dynamodb: Callable[[], Any],
        table: str,
        accounts: Accounts,
        clients: Callable[..., Any],
        *,
        audit: Callable[[AuditRecord], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._accounts = accounts
        self._clients = clients
        self._audit = audit
        self._clock = clock

    def plan(
        self,
        caller: str,
        action: str,
        change: dict[str, Any],
        targets: list[dict[str, str]],
        selector: dict[str, Any] | None,
    ) -> Plan:
        if not targets:
            raise ToolInputError("No target matches: nothing to plan. Check the selector with fleet_search.")
        for target in targets:
            self._accounts.resolve(target["account"] if target["account"] != "self" else None)
        plan = Plan(
            plan_id=uuid.uuid4().hex,
            caller=caller,
            action=action,
            change=change,
            targets=targets,
            selector=selector,
            target_hash=target_hash(action, change, targets),
            expires_at=self._clock() + timedelta(minutes=PLAN_MINUTES),
        )
        self._dynamodb().put_item(TableName=self._table, Item=self._item(plan))
        return plan

    def load(self, plan_id: str, caller: str) -> Plan:
        found = (
            self._dynamodb()
            .get_item(
                TableName=self._table, Key={"pk": {"S": "PLAN"}, "sk": {"S": plan_id}}, ConsistentRead=True
            )
            .get("Item")
        )
        if not found:
            raise ToolInputError(f"No plan {plan_id!r} (plans last {PLAN_MINUTES} minutes): make it again.")
        data = {k: _DESERIALIZER.deserialize(v) for k, v in found.items()}
        plan = Plan(
            plan_id=plan_id,
            caller=data["caller"],
            action=data["action"],
            change=orjson.loads(data["change"]),
            targets=orjson.loads(data["targets"]),
            selector=orjson.loads(data["selector"]) if data.get("selector") else None,
            target_hash=data["target_hash"],
            expires_at=datetime.fromisoformat(data["expires"]),
            done={k: dict(v) for k, v in (data.get("done") or {}).items()},
        )
        if plan.caller != caller:
            raise AccessDeniedError("This plan was made by another caller: only its maker may execute it.")
        if self._clock() >= plan.expires_at:
            raise ToolInputError(
                f"Plan {plan_id} expired at {plan.expires_at.isoformat(timespec='seconds')}: plan again."
            )
        return plan

    def execute(
        self, plan: Plan, now_targets: list[dict[str, str]] | None, record: AuditRecord
    ) -> dict[str, Any]:
        """Change every target not yet done, at a bounded rate, within ``until`` (monotonic)."""
        if now_targets is not None and target_hash(plan.action, plan.change, now_targets) != plan.target_hash:
            raise ToolInputError(
                "The targets changed since this plan was made (the selector now finds others): no change was "
                "made. Plan again to see them."
            )
        act = ACTIONS[plan.action][0]
        results: dict[str, dict[str, str]] = {}
        until = _deadline()
        for batch in self._batches(plan):
            pending = []
            for target in batch:
                key = _key(target)
                if key in plan.done:
                    results[key] = {**target, **plan.done[key], "note": "done before"}
                elif time.monotonic() > until:
                    results[key] = {**target, "status": "not_reached"}
                else:
                    pending.append(target)
            if not pending:
                continue
            started = time.monotonic()
            if plan.action not in ("tag", "untag") or not _by_arn(pending[0]):
                results[_key(pending[0])] = {**pending[0], **self._one(plan, pending[0], act, record)}
            else:
                for target, result in self._tag_many(plan, pending, record):
                    results[_key(target)] = {**target, **result}
            # The rate bounds targets changed a second, a batch counting as its targets.
            time.sleep(max(0.0, len(pending) / RATE_PER_SECOND - (time.monotonic() - started)))
        ordered = [results[_key(t)] for t in plan.targets]
        counts: dict[str, int] = {}
        for r in ordered:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        return {"plan_id": plan.plan_id, "counts": counts, "results": ordered}

    @staticmethod
    def _batches(plan: Plan) -> list[list[dict[str, str]]]:
        """One target each, but tags by ARN: up to TAG_BATCH of one account and region together."""
        if plan.action not in ("tag", "untag"):
            return [[t] for t in plan.targets]
        batches: list[list[dict[str, str]]] = []
        grouped: dict[tuple[str, str], list[dict[str, str]]] = {}
        for target in plan.targets:
            if _by_arn(target):
                grouped.setdefault((target["account"], target["region"]), []).append(target)
            else:
                batches.append([target])
        for group in grouped.values():
            batches += [group[n : n + TAG_BATCH] for n in range(0, len(group), TAG_BATCH)]
        return batches

    def _tag_many(
        self, plan: Plan, targets: list[dict[str, str]], record: AuditRecord
    ) -> list[tuple[dict[str, str], dict[str, str]]]:
        """One Tagging API call for targets of one account and region; each target's result, audited."""
        first = targets[0]
        account = self._accounts.resolve(first["account"] if first["account"] != "self" else None)
        begun = time.perf_counter()
        try:
            failed = _tag_batch(
                lambda service: self._clients(service, first["region"], account=account, caller=plan.caller),
                plan.action,
                plan.change,
                targets,
            )
        except ClientError as err:
            reason = f"{err.response.get('Error', {}).get('Code', 'Error')}: "
            reason = (reason + err.response.get("Error", {}).get("Message", ""))[:300]
            failed = {t["arn"]: reason for t in targets}
        except (ToolError, AwsCallError) as err:
            failed = {t["arn"]: str(err)[:300] for t in targets}
        took = (time.perf_counter() - begun) * 1000 / len(targets)
        answered = []
        for target in targets:
            if target["arn"] in failed:
                result = {"status": "failed", "detail": failed[target["arn"]]}
            else:
                result = {"status": "done", "detail": "tagged" if plan.action == "tag" else "untagged"}
                self._mark(plan, target, result)
            self._audited(plan, target, account, record, result, took)
            answered.append((target, result))
        return answered

    def _one(
        self, plan: Plan, target: dict[str, str], act: Callable[..., str], record: AuditRecord
    ) -> dict[str, str]:
        account = self._accounts.resolve(target["account"] if target["account"] != "self" else None)
        begun = time.perf_counter()
        try:
            detail = act(
                lambda service: self._clients(service, target["region"], account=account, caller=plan.caller),
                target,
                plan.change,
            )
            result = {"status": "done", "detail": detail}
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "Error")
            result = {
                "status": "failed",
                "detail": f"{code}: {err.response.get('Error', {}).get('Message', '')}"[:300],
            }
        except (ToolError, AwsCallError) as err:
            result = {"status": "failed", "detail": str(err)[:300]}
        if result["status"] == "done":
            self._mark(plan, target, result)
        self._audited(plan, target, account, record, result, (time.perf_counter() - begun) * 1000)
        return result

    def _audited(  # noqa: PLR0917 - one target's own audit record, whether changed alone or in a batch
        self,
        plan: Plan,
        target: dict[str, str],
        account: Any,
        record: AuditRecord,
        result: dict[str, str],
        duration_ms: float,
    ) -> None:
        if self._audit is None:
            return
        one = dataclasses.replace(
            record,
            call_id=uuid.uuid4().hex,
            started_at=audit_now(),
            region=target["region"],
            account=account.label if account.account_id else None,
            arguments={
                "plan_id": plan.plan_id,
                "target": target,
                "action": plan.action,
                "change": plan.change,
            },
            mutating=True,
        )
        failed = result["status"] != "done"
        self._audit(
            one.completed(
                Outcome.TOOL_ERROR if failed else Outcome.SUCCESS,
                duration_ms=duration_ms,
                error=result["detail"] if failed else None,
                aws_request_ids=(),
            )
        )

    def _mark(self, plan: Plan, target: dict[str, str], result: dict[str, str]) -> None:
        """Keep a target's result in its plan, once: a second executor's write is refused."""
        with contextlib.suppress(ClientError):
            self._dynamodb().update_item(
                TableName=self._table,
                Key={"pk": {"S": "PLAN"}, "sk": {"S": plan.plan_id}},
                UpdateExpression="SET done.#k = :r",
                ConditionExpression="attribute_not_exists(done.#k)",
                ExpressionAttributeNames={"#k": _key(target)},
                ExpressionAttributeValues={":r": _SERIALIZER.serialize(result)},
            )

    def _item(self, plan: Plan) -> dict[str, Any]:
        data = {
            "pk": "PLAN",
            "sk": plan.plan_id,
            "caller": plan.caller,
            "action": plan.action,
            "change": orjson.dumps(plan.change).decode(),
            "targets": orjson.dumps(plan.targets).decode(),
            "selector": orjson.dumps(plan.selector).decode() if plan.selector else "",
            "target_hash": plan.target_hash,
            "expires": plan.expires_at.isoformat(),
            "done": {},
            # DynamoDB's TTL deletes it a day after it expires.
            "expires_at": int(plan.expires_at.timestamp()) + 86400,
        }
        return {k: _SERIALIZER.serialize(v) for k, v in data.items()}


def _deadline() -> float:
    from aws_mcp.resilience.deadline import call_deadline

    deadline = call_deadline()
    return (deadline - _MARGIN_S) if deadline is not None else time.monotonic() + 60.0
