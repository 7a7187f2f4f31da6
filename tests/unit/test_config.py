"""Settings come from the environment once, with clear errors for bad values."""

from __future__ import annotations

import pytest

from aws_mcp.config import ENV, AccessMode, Settings
from aws_mcp.errors import ConfigurationError


def test_an_empty_environment_gives_safe_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.access_mode is AccessMode.READ_ONLY
    assert not settings.allows_writes
    assert settings.allowed_origins == ()
    assert settings.default_region == "us-east-1"


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            ENV.ACCESS_MODE: "ReadWrite",
            ENV.ALLOWED_ORIGINS: "https://a.example, https://b.example ,",
            ENV.MAX_BODY_BYTES: "2048",
            ENV.DEFAULT_REGION: "eu-west-1",
            ENV.TOOLS_PAGE_SIZE: "10",
            ENV.TOOLS_TTL_MS: "0",
            ENV.AWS_CONNECT_TIMEOUT: "1.5",
            ENV.AWS_READ_TIMEOUT: "4",
            ENV.AWS_MAX_ATTEMPTS: "2",
            ENV.BREAKER_TABLE: "b",
            ENV.IDEMPOTENCY_TABLE: "i",
            ENV.AUDIT_TABLE: "a",
            ENV.COST_CACHE_TABLE: "c",
            ENV.STAGE: "prod",
            ENV.TOOLSETS: "compute, Storage",
            ENV.QUERY_WAIT_SECONDS: "8",
        }
    )
    assert settings == Settings(
        access_mode=AccessMode.READ_WRITE,
        allowed_origins=("https://a.example", "https://b.example"),
        max_body_bytes=2048,
        default_region="eu-west-1",
        tools_page_size=10,
        tools_ttl_ms=0,
        aws_connect_timeout=1.5,
        aws_read_timeout=4.0,
        aws_max_attempts=2,
        breaker_table="b",
        idempotency_table="i",
        audit_table="a",
        cost_cache_table="c",
        stage="prod",
        toolsets=frozenset({"compute", "storage"}),
        query_wait_seconds=8.0,
    )


@pytest.mark.parametrize("value", ["", "all", " All "])
def test_all_toolsets_are_served_unless_some_are_chosen(value: str) -> None:
    assert Settings.from_env({ENV.TOOLSETS: value}).toolsets is None


def test_the_lambda_region_is_the_default_region_when_none_is_configured() -> None:
    assert Settings.from_env({ENV.AWS_REGION: "ap-south-1"}).default_region == "ap-south-1"


def test_the_tables_stay_in_the_lambda_region_whatever_default_region_the_tools_get() -> None:
    settings = Settings.from_env({ENV.AWS_REGION: "ap-south-1", ENV.DEFAULT_REGION: "eu-west-1"})
    assert (settings.default_region, settings.tables_region) == ("eu-west-1", "ap-south-1")


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        (ENV.ACCESS_MODE, "Admin", "ReadOnly, ReadWrite"),
        (ENV.MAX_BODY_BYTES, "lots", "integer"),
        (ENV.MAX_BODY_BYTES, "10", "at least 1024"),
        (ENV.AWS_READ_TIMEOUT, "-1", "positive"),
        (ENV.AWS_CONNECT_TIMEOUT, "soon", "seconds"),
        (ENV.QUERY_WAIT_SECONDS, "0", "positive"),
        (ENV.TOOLSETS, "all,compute", "cannot be combined"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_is_expected(name: str, value: str, complaint: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({name: value})
    assert name in str(raised.value) and complaint in str(raised.value)


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Settings().stage = "x"  # type: ignore[misc]
