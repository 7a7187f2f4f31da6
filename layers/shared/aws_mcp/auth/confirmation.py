"""Confirmation of destructive changes, bound to the exact change, with no stored session.

A destructive call runs only with proof that it was confirmed: either (2026-07-28, a client that
answers elicitations) an accepting answer to the elicitation we sent with an input-required
result, together with the ``requestState`` we minted, or (any client) the ``confirmation`` token
of the plan we answered the first call with. Both are the same signed text::

    base64url(JSON {v, p: "state" | "token", c: caller, t: tool, a: sha256(arguments), x: expiry})
    "." base64url(HMAC-SHA256(key, that first part))

so any instance can check one another issued, and one bound to other arguments, another caller
or tool, or past its expiry, is refused. ``p`` keeps the two apart: a requestState passed as a
token would skip the user's answer. A token is not single-use (that would need a store); a repeat
within its five minutes is the same change, which the idempotency guard runs once.

The key is a Secrets Manager secret's (its ``AWSCURRENT`` version signs; ``AWSPREVIOUS`` still
verifies, so rotating it breaks no confirmation under way), cached for a few minutes and read
again when a signature does not match, so an instance that cached the old key follows a
rotation at once. Off Lambda without a secret, a key drawn per process (one process serves).

Hand-written on ``hmac`` and ``hashlib``: a JWT library would do the same with more to get wrong
(algorithms, ``none``); the format is ours alone and opaque to clients.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

import orjson

from aws_mcp.errors import AccessDeniedError

__all__ = [
    "CONFIRM_FOR_SECONDS",
    "Binding",
    "Confirmations",
    "Keys",
    "SecretKeys",
    "StaticKeys",
    "plan_asks",
    "token_in",
]

logger = logging.getLogger(__name__)

# How long a plan's token or an elicitation's state stays good: long enough to read a plan and
# ask a person, short enough that a token found later is useless.
CONFIRM_FOR_SECONDS: Final = 300
Purpose = Literal["state", "token"]
# How a plan asks for its token back (tools/guards.py, Confirm), for programs that drive it.
_ASKS: Final = 'plus "confirmation": "{token}"'
_ASKED: Final = re.compile(re.escape(_ASKS).replace(re.escape("{token}"), r"([A-Za-z0-9_.-]+)"))


def plan_asks(token: str) -> str:
    """The words of a plan that ask for ``token`` back."""
    return _ASKS.format(token=token)


def token_in(text: str) -> str | None:
    """The confirmation token a plan's text asks for, if it is a plan."""
    found = _ASKED.search(text)
    return found[1] if found else None


@dataclass(frozen=True, slots=True)
class Binding:
    """The change a confirmation is for."""

    caller: str
    tool: str
    arguments: dict[str, Any]

    @property
    def digest(self) -> str:
        canonical = orjson.dumps(self.arguments, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()


class Keys(Protocol):
    """Signing keys: ``current()`` signs; every one of ``verifying()`` verifies (``fresh``: read
    again if the source may have rotated since)."""

    def current(self) -> bytes: ...

    def verifying(self, *, fresh: bool = False) -> list[bytes]: ...


class StaticKeys(Keys):
    """Keys held in memory: drawn per process off Lambda, or given (tests)."""

    def __init__(self, *keys: bytes) -> None:
        self._keys = list(keys) or [secrets.token_bytes(32)]

    def current(self) -> bytes:
        return self._keys[0]

    def verifying(self, *, fresh: bool = False) -> list[bytes]:
        return list(self._keys)


class SecretKeys(Keys):
    """A Secrets Manager secret's current and previous versions, cached for ``cache_seconds``."""

    _REFRESH_AT_MOST_EVERY: Final = 5.0

    def __init__(
        self,
        secretsmanager: Callable[[], Any],
        secret_id: str,
        *,
        cache_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = secretsmanager
        self._secret_id = secret_id
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: list[bytes] = []
        self._read_at = float("-inf")

    def current(self) -> bytes:
        return self._read(fresh=False)[0]

    def verifying(self, *, fresh: bool = False) -> list[bytes]:
        return self._read(fresh=fresh)

    def _read(self, *, fresh: bool) -> list[bytes]:
        with self._lock:
            age = self._clock() - self._read_at
            if self._keys and age < self._cache_seconds and not (fresh and age > self._REFRESH_AT_MOST_EVERY):
                return self._keys
            client = self._client()
            keys = [self._version(client, "AWSCURRENT")]
            with contextlib.suppress(client.exceptions.ResourceNotFoundException):  # never rotated
                keys.append(self._version(client, "AWSPREVIOUS"))
            self._keys, self._read_at = keys, self._clock()
            return keys

    def _version(self, client: Any, stage: str) -> bytes:
        answer = client.get_secret_value(SecretId=self._secret_id, VersionStage=stage)
        text = answer.get("SecretString")
        value: bytes = text.encode() if isinstance(text, str) else answer["SecretBinary"]
        if len(value) < 16:
            raise ValueError(f"the confirmation secret's {stage} value is too short to sign with")
        return value


class Confirmations:
    """Mints and checks confirmation states and tokens with ``keys``."""

    def __init__(
        self,
        keys: Keys | None,
        *,
        unavailable: str = "",
        clock: Callable[[], float] = time.time,
        ttl_seconds: int = CONFIRM_FOR_SECONDS,
    ) -> None:
        """``keys`` None: destructive changes cannot be confirmed here, for the reason ``unavailable``."""
        self._keys = keys
        self._unavailable = unavailable
        self._clock = clock
        self.ttl_seconds = ttl_seconds

    def mint(self, binding: Binding, purpose: Purpose) -> str:
        keys = self._usable()
        payload = {
            "v": 1,
            "p": purpose,
            "c": binding.caller,
            "t": binding.tool,
            "a": binding.digest,
            "x": int(self._clock()) + self.ttl_seconds,
        }
        body = _b64(orjson.dumps(payload))
        return f"{body}.{_b64(_sign(keys.current(), body))}"

    def check(self, text: Any, binding: Binding, purpose: Purpose) -> None:
        """Nothing if ``text`` confirms ``binding``; else AccessDeniedError saying why, and what to do."""
        keys = self._usable()
        what = "confirmation token" if purpose == "token" else "requestState"
        if not isinstance(text, str) or len(text) > 2048 or text.count(".") != 1:
            raise AccessDeniedError(f"The {what} is malformed: {_START_AGAIN}")
        body, signature = text.split(".")
        try:
            given = _unb64(signature)
        except (binascii.Error, ValueError):
            raise AccessDeniedError(f"The {what} is malformed: {_START_AGAIN}") from None
        if not any(hmac.compare_digest(_sign(key, body), given) for key in keys.verifying()) and not any(
            # Signed with a key this instance has not read yet (rotated meanwhile)?
            hmac.compare_digest(_sign(key, body), given)
            for key in keys.verifying(fresh=True)
        ):
            raise AccessDeniedError(f"The {what} is not one this server issued (altered?): {_START_AGAIN}")
        try:
            payload = orjson.loads(_unb64(body))
        except (binascii.Error, ValueError, orjson.JSONDecodeError):
            raise AccessDeniedError(f"The {what} is malformed: {_START_AGAIN}") from None
        if not isinstance(payload, dict) or payload.get("v") != 1 or payload.get("p") != purpose:
            raise AccessDeniedError(f"The {what} is not a {what} for this step: {_START_AGAIN}")
        if payload.get("c") != binding.caller:
            raise AccessDeniedError(f"The {what} was issued to another caller: {_START_AGAIN}")
        if payload.get("t") != binding.tool:
            raise AccessDeniedError(f"The {what} was issued for {payload.get('t')!r}: {_START_AGAIN}")
        if payload.get("a") != binding.digest:
            raise AccessDeniedError(
                f"The {what} confirms other arguments than these; a confirmation holds only for the "
                f"exact change it was asked for: {_START_AGAIN}"
            )
        expiry = payload.get("x")
        if not isinstance(expiry, int) or self._clock() > expiry:
            raise AccessDeniedError(f"The {what} has expired (it holds {self.ttl_seconds} s): {_START_AGAIN}")

    def _usable(self) -> Keys:
        if self._keys is None:
            raise AccessDeniedError(f"Destructive changes cannot be confirmed here: {self._unavailable}")
        return self._keys


_START_AGAIN: Final = "call the tool again without it to get a new one, and confirm that."


def _sign(key: bytes, body: str) -> bytes:
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
