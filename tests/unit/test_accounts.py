"""The account registry: read from JSON or a file, found by alias or id, unknown names refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from aws_mcp.accounts import HOME, Account, Accounts
from aws_mcp.config import ENV, Settings
from aws_mcp.errors import AccessDeniedError, ConfigurationError

REGISTRY = """[
  {"alias": "prod", "account_id": "111111111111", "role_arn": "arn:aws:iam::111111111111:role/AwsMcpMember",
   "external_id": "ext-123", "regions": ["us-east-1", "eu-west-1"]},
  {"alias": "staging", "account_id": "222222222222",
   "role_arn": "arn:aws:iam::222222222222:role/AwsMcpMember"}
]"""


def test_an_account_is_found_by_alias_or_id() -> None:
    accounts = Accounts.parse(REGISTRY, source="test")
    prod = accounts.resolve("prod")
    assert prod == accounts.resolve("111111111111")
    assert prod.role_arn == "arn:aws:iam::111111111111:role/AwsMcpMember"
    assert prod.external_id == "ext-123" and prod.regions == ("us-east-1", "eu-west-1")
    assert accounts.aliases == ("prod", "staging")


def test_no_account_named_is_the_servers_own() -> None:
    assert Accounts.parse(REGISTRY, source="test").resolve(None) is HOME
    assert not HOME.assumed


def test_an_unknown_account_is_refused_listing_the_registered_aliases() -> None:
    with pytest.raises(AccessDeniedError) as refused:
        Accounts.parse(REGISTRY, source="test").resolve("999999999999")
    assert "'999999999999' is not registered" in str(refused.value)
    assert "prod, staging" in str(refused.value) and "no call was made" in str(refused.value)


def test_a_server_without_a_registry_refuses_every_named_account() -> None:
    with pytest.raises(AccessDeniedError, match="acts only in its own account"):
        Accounts().resolve("prod")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "not JSON"),
        ('{"accounts": 3}', "expected a JSON list"),
        ('[{"alias": "Prod!", "account_id": "111111111111"}]', "alias"),
        ('[{"alias": "prod", "account_id": "1111"}]', "account_id"),
        (
            '[{"alias": "prod", "account_id": "111111111111", "role_arn": "arn:aws:iam::1:user/x"}]',
            "role_arn",
        ),
        ('[{"alias": "prod", "account_id": "111111111111", "regions": ["mars-1"]}]', "not an AWS region"),
        ('[{"alias": "prod", "account_id": "111111111111", "extra": 1}]', "extra"),
    ],
)
def test_a_malformed_registry_stops_the_server_starting_saying_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        Accounts.parse(text, source="test")


def test_the_same_alias_or_id_twice_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="twice"):
        Accounts([Account("a", "111111111111"), Account("b", "111111111111")])


def test_settings_read_the_registry_from_json_text_or_a_file(tmp_path: Path) -> None:
    inline = Settings.from_env({ENV.ACCOUNTS: REGISTRY})
    path = tmp_path / "accounts.json"
    path.write_text(REGISTRY)
    assert Settings.from_env({ENV.ACCOUNTS: str(path)}).accounts == inline.accounts
    assert inline.accounts.aliases == ("prod", "staging")
    assert not Settings.from_env({}).accounts


def test_settings_name_a_registry_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the file"):
        Settings.from_env({ENV.ACCOUNTS: str(tmp_path / "missing.json")})
