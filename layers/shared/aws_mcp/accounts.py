"""The accounts a server may act in: alias, account id, the role to assume there, default regions.

A tool call names one with ``account`` (alias or id); without it the call acts in the server's
own account with the server's own credentials. A name the registry does not hold is refused,
listing the aliases it does hold: a server never assumes a role it was not given.

The registry is configuration, read once (:mod:`aws_mcp.config`): JSON text or a file locally
(``AWS_MCP_ACCOUNTS``), an SSM parameter on Lambda (``AWS_MCP_ACCOUNTS_PARAMETER``, read at
init by :mod:`aws_mcp.server`)::

    [{"alias": "prod", "account_id": "111111111111",
      "role_arn": "arn:aws:iam::111111111111:role/AwsMcpMember",
      "external_id": "optional", "regions": ["us-east-1", "eu-west-1"]}]

An entry without ``role_arn`` is the server's own account under another name (its credentials
are used as they are).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Final

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from aws_mcp.aws.regions import check_region
from aws_mcp.errors import AccessDeniedError, ConfigurationError

__all__ = ["ALL", "HOME", "Account", "Accounts"]

# What a fan-out's ``accounts`` or ``regions`` says for every one registered.
ALL: Final = "*"
_ROLE_ARN: Final = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$"


@dataclass(frozen=True, slots=True)
class Account:
    alias: str
    account_id: str | None = None
    # None: the server's own credentials (its own account, or one it already acts in).
    role_arn: str | None = None
    external_id: str | None = None
    # Where a fan-out over this account goes when the call names no regions.
    regions: tuple[str, ...] = ()

    @property
    def assumed(self) -> bool:
        return self.role_arn is not None

    @property
    def label(self) -> str:
        """How results and audit records name it: its id when known, else its alias."""
        return self.account_id or self.alias


# The server's own account, when a call names none.
HOME: Final = Account(alias="self")


class _Entry(BaseModel):
    # defer_build: built when a registry is first parsed, not at every cold start's import.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    alias: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    account_id: str = Field(pattern=r"^[0-9]{12}$")
    role_arn: str | None = Field(default=None, pattern=_ROLE_ARN, max_length=2048)
    external_id: str | None = Field(default=None, min_length=2, max_length=1224)
    regions: list[Annotated[str, AfterValidator(check_region)]] = Field(default_factory=list, max_length=40)


class Accounts:
    """The registry: find an account by alias or id, or refuse the name."""

    def __init__(self, accounts: Iterable[Account] = ()) -> None:
        self._by_name: dict[str, Account] = {}
        self._all: list[Account] = []
        for account in accounts:
            for name in {account.alias, account.account_id} - {None}:
                if name in self._by_name:
                    raise ConfigurationError(f"account {name!r} is registered twice")
                self._by_name[name] = account  # type: ignore[index]
            self._all.append(account)

    @classmethod
    def parse(cls, text: str, *, source: str) -> Accounts:
        """The registry from its JSON text (a list of entries, or ``{"accounts": [...]}``)."""
        try:
            data: Any = orjson.loads(text)
            if isinstance(data, dict):
                data = data.get("accounts")
            if not isinstance(data, list):
                raise ConfigurationError(f"{source}: expected a JSON list of accounts")
            entries = [_Entry.model_validate(item) for item in data]
        except orjson.JSONDecodeError as err:
            raise ConfigurationError(f"{source}: not JSON ({err})") from None
        except ValidationError as err:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
            raise ConfigurationError(f"{source}: {problems}") from None
        return cls(
            Account(
                alias=e.alias,
                account_id=e.account_id,
                role_arn=e.role_arn,
                external_id=e.external_id,
                regions=tuple(e.regions),
            )
            for e in entries
        )

    def __bool__(self) -> bool:
        return bool(self._all)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Accounts) and self._all == other._all

    def __hash__(self) -> int:
        return hash(tuple(self._all))

    def __repr__(self) -> str:
        return f"Accounts({', '.join(a.alias for a in self._all)})"

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(a.alias for a in self._all)

    def all(self) -> tuple[Account, ...]:
        return tuple(self._all)

    def resolve(self, name: str | None) -> Account:
        """The account ``name`` (alias or id) means; None: the server's own. Unknown: refused."""
        if name is None:
            return HOME
        found = self._by_name.get(name.strip().lower() if not name.isdigit() else name)
        if found is not None:
            return found
        allowed = ", ".join(self.aliases) or "none (this server acts only in its own account)"
        raise AccessDeniedError(
            f"Account {_shown(name)} is not registered with this server, so no call was made. "
            f"Registered accounts: {allowed}. Name one of them (alias or account id), or leave "
            "account out to act in the server's own account."
        )


def _shown(name: str) -> str:
    """A caller's text, quoted and kept short: it is echoed into an error and the audit record."""
    return repr(re.sub(r"\s+", " ", name)[:64])
