"""One circuit breaker per AWS service and region (and registered account), shared by every Lambda instance.

Powertools' ``circuit_breaker`` runs the state machine; its DynamoDB persistence keeps
the state in the breaker table, so an instance that trips a circuit trips it for all.
What we add:

* only :class:`~aws_mcp.errors.AwsUnavailableError` (throttling, 5xx, timeouts,
  connection errors) counts as a failure: AccessDenied, validation and not-found are
  answers from a healthy service;
* an open circuit becomes a :class:`~aws_mcp.errors.BreakerOpenError` naming the
  service, the region and when the next probe may go through;
* the persistence counts its own failures. Powertools already fails open (a state read
  that fails is CLOSED, a state write that fails is skipped); we only make that visible.

Staleness: Powertools serves the state from a per-instance cache for
``local_cache_max_age`` seconds (5), so a closed circuit costs no DynamoDB round trip
on a warm instance, and another instance's trip is seen within 5 seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from aws_lambda_powertools.utilities.circuit_breaker import (
    CircuitBreakerConfig,
    CircuitBreakerOpenError,
    CircuitTransition,
    circuit_breaker,
)
from aws_lambda_powertools.utilities.circuit_breaker.persistence import CircuitBreakerDynamoDBPersistence
from aws_lambda_powertools.utilities.circuit_breaker.persistence.base import CircuitBreakerExistingLockError
from aws_lambda_powertools.utilities.circuit_breaker.persistence.record import CircuitStateRecord
from aws_lambda_powertools.utilities.circuit_breaker.states import CircuitState
from botocore.exceptions import ClientError

from aws_mcp.accounts import HOME, Account
from aws_mcp.config import Settings
from aws_mcp.errors import AwsUnavailableError, BreakerOpenError
from aws_mcp.telemetry import Telemetry

__all__ = ["Breakers"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


# Whether this thread's last CLOSED -> OPEN write was the one that opened the circuit.
_trip = threading.local()


# What one BatchGetItem reads at most.
_BATCH_KEYS: Final = 100


class _CountingPersistence(CircuitBreakerDynamoDBPersistence):
    """Powertools' DynamoDB persistence, counting the store failures it absorbs, with one trip per opening.

    Powertools counts failures per instance and resets the count when it trips, so calls
    already in flight on a stale CLOSED state (other threads, other instances) can trip
    an open circuit again, moving ``opened_at`` and reporting another transition. Opening
    is therefore a conditional write: only a circuit not already OPEN is opened, and only
    the writer that opened it reports the transition.
    """

    def __init__(self, telemetry: Telemetry, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._telemetry = telemetry

    def save_open(self, name: str, failure_count: int, opened_at: int) -> None:
        record = CircuitStateRecord(
            name=name,
            state=CircuitState.OPEN,
            failure_count=failure_count,
            opened_at=opened_at,
            expiry_timestamp=self._durable_ttl(name),
        )
        _trip.won = False
        try:
            self._counted(
                self.client.put_item,
                TableName=self.table_name,
                Item=self._record_to_item(record),
                ConditionExpression="attribute_not_exists(#key) OR #state <> :open",
                ExpressionAttributeNames={"#key": self.key_attr, "#state": self.state_attr},
                ExpressionAttributeValues={":open": {"S": str(CircuitState.OPEN)}},
            )
            _trip.won = True
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            record = self._get_record(name) or record  # already open: keep its opened_at
        self._save_to_cache(record)

    def _get_record(self, name: str) -> Any:
        return self._counted(super()._get_record, name)

    def read_many(self, names: list[str]) -> None:
        """Cache the states of ``names`` from one BatchGetItem (a round trip for every circuit of a
        sixty-tool catalogue, not one each). Like every read it fails open: what is not read is
        read through on first use."""
        for start in range(0, len(names), _BATCH_KEYS):
            keys = [self._get_key(name) for name in names[start : start + _BATCH_KEYS]]
            try:
                response = self._counted(
                    self.client.batch_get_item, RequestItems={self.table_name: {"Keys": keys}}
                )
            except Exception:
                return
            items = response.get("Responses", {}).get(self.table_name, [])
            found = {record.name: record for record in map(self._item_to_record, items)}
            unread = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
            for name in names[start : start + _BATCH_KEYS]:
                if self._get_key(name) not in unread:
                    self._save_to_cache(
                        found.get(name) or CircuitStateRecord(name=name, state=CircuitState.CLOSED)
                    )

    def _put_record(self, *args: Any, **kwargs: Any) -> Any:
        return self._counted(super()._put_record, *args, **kwargs)

    def _update_record(self, *args: Any, **kwargs: Any) -> Any:
        return self._counted(super()._update_record, *args, **kwargs)

    def _counted(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CircuitBreakerExistingLockError:
            raise  # another instance won the probe election: the store works
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                self._store_failed()
            raise
        except Exception:
            self._store_failed()
            raise

    def _store_failed(self) -> None:
        self._telemetry.count("BreakerStoreErrors")
        logger.warning("breaker table unreachable; the breaker fails open", exc_info=True)


class Breakers:
    def __init__(self, settings: Settings, dynamodb: Callable[[], Any], telemetry: Telemetry) -> None:
        """``dynamodb`` returns the state-table client when first needed (not at cold start)."""
        self._table = settings.breaker_table
        self._dynamodb = dynamodb
        self._telemetry = telemetry
        self._config = CircuitBreakerConfig(
            failure_threshold=settings.breaker_failure_threshold,
            recovery_timeout=settings.breaker_recovery_timeout,
            success_threshold=settings.breaker_success_threshold,
            handled_exceptions=(AwsUnavailableError,),
        )
        self._persistence: _CountingPersistence | None = None
        self._lock = threading.Lock()

    def run(self, service: str, region: str, call: Callable[[], T], *, account: Account = HOME) -> T:
        """Run ``call`` through the circuit for ``service`` in ``region`` of ``account``.

        The server's own account keeps the circuit names ``service:region``; another account's
        are ``service:region:<account>``, so one failing member account pauses only itself.
        """
        if self._table is None:
            return call()
        name = f"{service}:{region}" if account is HOME else f"{service}:{region}:{account.label}"
        where = f"{region}" if account is HOME else f"{region} of account {account.alias}"

        def on_transition(transition: CircuitTransition) -> None:
            to_state = str(transition.to_state.value).upper()
            if transition.from_state == CircuitState.CLOSED and not _trip.won:
                return  # a late trip of a circuit another call already opened
            logger.warning("circuit %s: %s -> %s", name, transition.from_state, to_state)
            self._telemetry.breaker_transition(service, to_state)

        # Only this call's own winning write may report an opening: a thread that saw the circuit
        # open some other way (or won in an earlier call) reports nothing.
        _trip.won = False
        protected = circuit_breaker(
            name=name, persistence_store=self._store(), on_transition=on_transition, config=self._config
        )(call)
        try:
            result: T = protected()
            return result
        except CircuitBreakerOpenError as err:
            retry_at = _retry_at(err, self._config.recovery_timeout)
            raise BreakerOpenError(
                f"AWS {service} in {where} is failing (throttling, errors or timeouts), so calls to it are "
                f"paused to let it recover. No call was made. It will be tried again after {retry_at}."
            ) from None

    def prime(self, services: Iterable[str], region: str) -> None:
        """Read these circuits into the local cache before any call needs them (Lambda init).

        The state table's connection opens and botocore's first-request setup happens
        then, not on a caller's clock. Like every read, it fails open.
        """
        if self._table is None:
            return
        store = self._store()
        names = [f"{service}:{region}" for service in services]
        for name in names:
            store.configure(self._config, name)
        store.read_many(names)

    def _store(self) -> _CountingPersistence:
        if self._persistence is None:
            with self._lock:
                if self._persistence is None:
                    self._persistence = _CountingPersistence(
                        self._telemetry, table_name=self._table, boto3_client=self._dynamodb()
                    )
        return self._persistence


def _retry_at(err: CircuitBreakerOpenError, recovery_timeout: int) -> str:
    circuit = getattr(err, "circuit", None)
    opened_at = getattr(circuit, "opened_at", None)
    if opened_at is None:
        return f"about {recovery_timeout} seconds"
    moment = datetime.fromtimestamp(int(opened_at) + recovery_timeout, UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
