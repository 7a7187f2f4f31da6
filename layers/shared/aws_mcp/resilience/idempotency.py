"""Mutations that happen once, however often a client retries: Powertools idempotency on DynamoDB.

The key is ``aws-mcp#<tool>#hash(tool, caller, key)`` where ``key`` is the client's
``idempotency_key`` when given, else the normalized arguments. We pass ``key_prefix``
so keys depend on the tool's name, not on the Python module holding it (Powertools'
default prefix is ``<function name>.<module>.<qualname>``) nor on the stack's function name.

A key names one intended change and is remembered for ``idempotency_expiry_seconds``.
Without one, identical arguments are the same change only within ``retry_window_seconds``
(a client's retry); after that they are a new intent and act again.

* same key, same arguments, first call finished → the stored result is replayed, with the
  time of the original call (the caller is told it is a replay);
* same key, different arguments → refused (Powertools' payload validation);
* same key while the first call is still running → wait up to a few seconds for its
  result, then "already in progress";
* the first call reached AWS and got no answer (:class:`OutcomeUnknownError`) → that is
  stored as its outcome: repeats with the key are not sent again and are told to check the
  resource's state;
* the idempotency store unreachable → the mutation is refused: we cannot promise once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from aws_mcp.audit.record import iso
from aws_mcp.audit.record import now as utc_now
from aws_mcp.config import Settings
from aws_mcp.errors import AccessDeniedError, InProgressError, OutcomeUnknownError, ToolInputError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

__all__ = ["Idempotency", "Replay"]

_POLL_SECONDS = 0.1
_replayed: ContextVar[bool] = ContextVar("aws_mcp_replayed", default=False)


class _OffLambda:
    """Stands in for the Lambda context off Lambda: a call gets a minute to finish."""

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def _mark_replay(response: Any, record: Any) -> Any:
    _replayed.set(True)
    return response


@dataclass(frozen=True, slots=True)
class Replay:
    """A result that repeats an earlier call's: when that call was made, and under which key."""

    original_call_at: str
    idempotency_key: str | None
    retry_window_seconds: int

    def describe(self) -> dict[str, Any]:
        again = (
            "pass a new idempotency_key"
            if self.idempotency_key
            else f"call again after {self.retry_window_seconds} s, or pass an idempotency_key"
        )
        return {
            "original_call_at": self.original_call_at,
            "idempotency_key": self.idempotency_key,
            "note": f"Nothing was done now: this repeats the result of the identical call made at "
            f"{self.original_call_at}. To make the change again, {again}.",
        }


class Idempotency:
    def __init__(self, settings: Settings, dynamodb: Callable[[], Any], *, wait_seconds: float = 5.0) -> None:
        """``dynamodb`` returns the state-table client when first needed (not at cold start).

        ``wait_seconds``: how long a duplicate waits for the first call to finish before
        answering "in progress" (the first call's AWS round trip is usually well under it).
        """
        self._wait_seconds = wait_seconds
        self._table = settings.idempotency_table
        self._expiry = settings.idempotency_expiry_seconds
        self._window = settings.retry_window_seconds
        self._dynamodb = dynamodb
        # One persistence layer per tool: Powertools stores the key prefix on it per call.
        self._stores: dict[str, DynamoDBPersistenceLayer] = {}
        self._lock = threading.Lock()

    def run(
        self,
        *,
        tool: str,
        caller: str,
        arguments: dict[str, Any],
        idempotency_key: str | None,
        lambda_context: Any,
        call: Callable[[], dict[str, Any]],
    ) -> tuple[dict[str, Any], Replay | None]:
        """Run ``call`` at most once per key; return its (possibly replayed) result, and the replay if one."""
        if self._table is None:
            return call(), None
        config = IdempotencyConfig(
            event_key_jmespath="[tool, caller, key]",
            payload_validation_jmespath="arguments",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self._expiry if idempotency_key else self._window,
            response_hook=_mark_replay,  # type: ignore[arg-type]  # Powertools' protocol is stricter than its use
        )
        # In-progress records expire with the invocation (or a minute off Lambda), so a call
        # that crashed mid-way can be retried instead of staying "in progress" for the window.
        config.register_lambda_context(cast("LambdaContext", lambda_context or _OffLambda()))
        canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"))
        payload = {
            "tool": tool,
            "caller": caller,
            "key": idempotency_key or canonical,
            "arguments": arguments,
        }

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="payload",
            persistence_store=self._store(tool),
            config=config,
            key_prefix=f"aws-mcp#{tool}",
        )
        def once(payload: dict[str, Any]) -> dict[str, Any]:
            # The stored answer: the result, or that none came, with when the call was made.
            at = iso(utc_now())
            try:
                return {"result": call(), "at": at}
            except OutcomeUnknownError as err:
                return {"unknown": str(err), "at": at}

        token = _replayed.set(False)
        try:
            stored = self._first_or_replay(once, payload)
            replay = Replay(stored["at"], idempotency_key, self._window) if _replayed.get() else None
        except IdempotencyValidationError:
            raise ToolInputError(
                f"idempotency_key {idempotency_key!r} was already used for {tool} with different "
                "arguments. Use a new key for a different change, or repeat the original arguments."
            ) from None
        except IdempotencyAlreadyInProgressError:
            raise InProgressError(
                f"The same {tool} call is already in progress. Wait a few seconds and call again with the "
                "same arguments to get its result; it will not be repeated."
            ) from None
        except IdempotencyPersistenceLayerError:
            raise AccessDeniedError(
                "The idempotency store is unavailable, so changes are refused (a retry could repeat them). "
                "Read-only tools still work."
            ) from None
        finally:
            _replayed.reset(token)
        if "unknown" in stored:
            if replay is None:
                raise OutcomeUnknownError(stored["unknown"], service="aws", code="OutcomeUnknown")
            raise OutcomeUnknownError(
                f"The identical call made at {replay.original_call_at} reached AWS and got no answer, so "
                f"whether {tool} took effect is unknown; it was not sent again. Check the resource's state "
                "with a read-only tool; to try the change again, pass a new idempotency_key.",
                service="aws",
                code="OutcomeUnknown",
            )
        return stored["result"], replay

    def _first_or_replay(
        self, once: Callable[..., dict[str, Any]], payload: dict[str, Any]
    ) -> dict[str, Any]:
        """Run, or replay; a duplicate of a call still running waits a little for its result."""
        waited = 0.0
        while True:
            try:
                return once(payload=payload)
            except IdempotencyAlreadyInProgressError:
                if waited >= self._wait_seconds:
                    raise
                time.sleep(_POLL_SECONDS)
                waited += _POLL_SECONDS

    def _store(self, tool: str) -> DynamoDBPersistenceLayer:
        store = self._stores.get(tool)
        if store is None:
            with self._lock:
                store = self._stores.get(tool)
                if store is None:
                    store = DynamoDBPersistenceLayer(
                        table_name=self._table or "", boto3_client=self._dynamodb()
                    )
                    self._stores[tool] = store
        return store
