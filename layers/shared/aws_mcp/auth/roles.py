"""Roles: which tools a caller may see and call.

Three roles, each holding the one before: ``viewer`` (read tools), ``operator`` (and changes that
are not destructive), ``admin`` (everything). A caller's role comes from what authenticated it:
its token's scopes or groups (OAuth), its IAM principal ARN (``AWS_IAM``), its API key id
(``API_KEY``), or a setting (``aws-mcp serve``/``stdio``, whose caller is ``local``); a caller
matching several rules gets the highest role they give. Each role may narrow its tools further
with ``allow`` and ``deny`` globs over tool names (a role's globs never widen it).

The rules are JSON (an SSM parameter on Lambda, a file locally), checked by pydantic and read
once, on first use. A configuration that cannot be read or checked refuses every call and lists
no tool, saying why (it fails closed); a read that failed is tried again after a short pause,
so a throttled SSM read does not lock callers out until the next cold start.

Hand-written: it is a few dozen lines of glob matching over our own rules; policy engines
(Cedar, OPA) would bring a language and a runtime for what ``fnmatch`` does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from enum import IntEnum, StrEnum
from fnmatch import fnmatchcase
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aws_mcp.context import CallContext, Via
from aws_mcp.errors import AccessDeniedError, ConfigurationError

__all__ = ["STANDARD_SCOPES", "Kind", "Policy", "Role", "Roles", "RolesConfig"]

logger = logging.getLogger(__name__)


class Role(IntEnum):
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def named(cls, name: str) -> Role:
        return cls[name.upper()]


class Kind(StrEnum):
    """What a tool does, which sets the least role that may call it."""

    READ = "read"
    WRITE = "write"
    DESTRUCTIVE = "destructive"

    @property
    def least_role(self) -> Role:
        return {Kind.READ: Role.VIEWER, Kind.WRITE: Role.OPERATOR, Kind.DESTRUCTIVE: Role.ADMIN}[self]


RoleName = Literal["viewer", "operator", "admin"]
_Globs = tuple[str, ...]
_Glob = Field(min_length=1, max_length=256)

# The scopes of the stack's Cognito resource server (template.yaml), and the role each gives.
STANDARD_SCOPES: Final[dict[str, RoleName]] = {
    "aws-mcp/read": "viewer",
    "aws-mcp/write": "operator",
    "aws-mcp/admin": "admin",
}


class RoleRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    allow: _Globs = ("*",)
    deny: _Globs = ()


class RolesConfig(BaseModel):
    """The role configuration's JSON. Unknown keys are mistakes (a typo must not widen access)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: dict[RoleName, RoleRules] = Field(default_factory=dict)
    scopes: dict[str, RoleName] = Field(default_factory=lambda: dict(STANDARD_SCOPES))
    groups: dict[str, RoleName] = Field(default_factory=dict)
    # Globs over IAM principal ARNs (as API Gateway gives them: assumed roles as sts ARNs).
    principals: dict[str, RoleName] = Field(default_factory=dict)
    # Globs over API Gateway API key ids.
    api_keys: dict[str, RoleName] = Field(default_factory=dict)
    # The role of every caller of a stack deployed with AuthMode=NONE; None: no tools.
    anonymous: RoleName | None = None


# Without a configuration: as before roles existed for IAM and API key callers (the deployer
# chose who may invoke the API), the standard scopes for tokens, and nothing for a token with none.
DEFAULT_CONFIG: Final = RolesConfig(principals={"*": "admin"}, api_keys={"*": "admin"}, anonymous="admin")


class Policy:
    """A checked configuration: a caller's role, and what each role may call."""

    def __init__(self, config: RolesConfig, local_role: Role) -> None:
        self._config = config
        self._local = local_role

    def role_of(self, context: CallContext) -> Role | None:
        config = self._config
        found: list[str] = []
        if context.via is Via.LOCAL:
            return self._local
        if context.via is Via.BEARER:
            found += [config.scopes[s] for s in context.scopes if s in config.scopes]
            found += [config.groups[g] for g in context.groups if g in config.groups]
        elif context.via is Via.IAM:
            found += [role for glob, role in config.principals.items() if fnmatchcase(context.caller, glob)]
        elif context.via is Via.API_KEY:
            key = context.caller.removeprefix("apikey:")
            found += [role for glob, role in config.api_keys.items() if fnmatchcase(key, glob)]
        elif context.via is Via.ANONYMOUS and config.anonymous:
            found.append(config.anonymous)
        return max((Role.named(name) for name in found), default=None)

    def allows(self, role: Role | None, tool: str, kind: Kind) -> bool:
        if role is None or role < kind.least_role:
            return False
        rules = self._config.roles.get(role.label)  # type: ignore[call-overload]
        if rules is None:
            return True
        return any(fnmatchcase(tool, g) for g in rules.allow) and not any(
            fnmatchcase(tool, g) for g in rules.deny
        )

    def least_allowed(self, tool: str, kind: Kind) -> Role | None:
        """The lowest role that may call ``tool``, or None when none may."""
        return next((role for role in Role if self.allows(role, tool, kind)), None)

    def scopes_for(self, role: Role) -> list[str]:
        """The scopes that give ``role`` or more, for a token that lacks them."""
        return sorted(s for s, name in self._config.scopes.items() if Role.named(name) >= role)


def parse(text: str, local_role: Role) -> Policy:
    """The policy ``text`` (the configuration's JSON) states; ConfigurationError saying what is wrong."""
    try:
        config = RolesConfig.model_validate_json(text)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in err.errors()[:5]
        )
        raise ConfigurationError(f"the role configuration is invalid: {problems}") from None
    return Policy(config, local_role)


class Roles:
    """The deployment's roles, read once from ``source`` (None: no configuration, the defaults).

    ``source`` returns the configuration's JSON text or None when there is none; it raises
    when it cannot tell (an SSM or file error), and the roles then fail closed.
    """

    _RETRY_SECONDS: Final = 30.0

    def __init__(
        self,
        source: Callable[[], str | None] | None,
        local_role: Role,
        *,
        where: str = "the role configuration",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._local = local_role
        self._where = where
        self._clock = clock
        self._lock = threading.Lock()
        self._policy: Policy | None = None if source else Policy(DEFAULT_CONFIG, local_role)
        self._failure: tuple[str, float] | None = None

    def policy(self) -> Policy:
        """The policy; AccessDeniedError (every call refused) while the configuration is bad."""
        policy = self._policy
        if policy is not None:
            return policy
        with self._lock:
            if self._policy is not None:
                return self._policy
            if self._failure is not None and self._clock() - self._failure[1] < self._RETRY_SECONDS:
                raise AccessDeniedError(self._failure[0])
            try:
                self._policy = self._read()
            except Exception as err:  # fail closed, whatever went wrong
                why = str(err) if isinstance(err, ConfigurationError) else f"{type(err).__name__}: {err}"
                message = (
                    f"Every call is refused: {self._where} could not be used ({why}). "
                    "An operator must fix it; the server reads it again within a minute."
                )
                logger.error("roles: %s", message)
                self._failure = (message[:600], self._clock())
                raise AccessDeniedError(self._failure[0]) from None
            return self._policy

    def _read(self) -> Policy:
        assert self._source is not None
        text = self._source()
        if text is None:
            return Policy(DEFAULT_CONFIG, self._local)
        return parse(text, self._local)

    def visible(self, context: CallContext, kinds: Mapping[str, Kind]) -> set[str]:
        """Of the tools ``kinds`` names, those ``context``'s caller may call (none while the
        configuration is bad)."""
        try:
            policy = self.policy()
        except AccessDeniedError:
            return set()
        role = policy.role_of(context)
        return {name for name, kind in kinds.items() if policy.allows(role, name, kind)}

    def check(self, context: CallContext, tool: str, kind: Kind) -> None:
        """Nothing if the caller may call ``tool``; else AccessDeniedError naming the role needed."""
        policy = self.policy()
        role = policy.role_of(context)
        if policy.allows(role, tool, kind):
            return
        needed = policy.least_allowed(tool, kind)
        yours = f"your role is {role.label}" if role else "you have no role here"
        if needed is None:
            raise AccessDeniedError(f"Tool {tool!r} is denied to every role on this server ({yours}).")
        how = ""
        if context.via is Via.BEARER and (scopes := policy.scopes_for(needed)):
            how = f" Sign in again asking for the scope {' or '.join(scopes)}."
        raise AccessDeniedError(
            f"Tool {tool!r} needs the role {needed.label}; {yours} (caller {context.caller}).{how}"
        )
