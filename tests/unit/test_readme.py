"""The README stays true: it lists every tool and every setting a user can set."""

from __future__ import annotations

from pathlib import Path

from aws_mcp.config import ENV
from aws_mcp.tools import CATALOG

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_every_tool_is_in_the_readme() -> None:
    missing = [spec.name for spec in CATALOG if f"`{spec.name}`" not in README]
    assert missing == []


def test_every_user_setting_is_in_the_readme() -> None:
    # Set by the Lambda runtime or wired by the template, not chosen by users.
    internal = {
        ENV.AWS_REGION,
        ENV.AWS_DEFAULT_REGION,
        ENV.LAMBDA_FUNCTION_NAME,
        ENV.STAGE,
        ENV.BREAKER_TABLE,
        ENV.IDEMPOTENCY_TABLE,
        ENV.AUDIT_TABLE,
    }
    names = [v for k, v in vars(ENV).items() if k.isupper() and v not in internal]
    missing = [n for n in names if f"`{n}`" not in README]
    assert missing == []
