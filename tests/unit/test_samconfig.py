"""samconfig.toml's environments agree with template.yaml and with the pipeline: dev, staging and prod
parse into the template's parameters with allowed values, prod is read-only and IAM-signed with the
longest retention, and nothing in the file is a secret."""

from __future__ import annotations

import json
import re
import shlex
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import samconfig_env  # noqa: E402

SAMCONFIG = REPO / "samconfig.toml"
STAGES = ("dev", "staging", "prod")
# Looks like a credential: an AWS access key id, a long base64 run (secret keys, tokens), a JWT.
SECRET_VALUE = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}|[A-Za-z0-9/+=]{40,}|eyJ[\w-]{8,}\.")
SECRET_NAME = re.compile(r"secret|password|token|credential|apikeyvalue|access_key", re.IGNORECASE)


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return tomllib.loads(SAMCONFIG.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parameters() -> dict[str, Any]:
    loaded, problems = decode(str(REPO / "template.yaml"))
    assert not problems and loaded is not None
    found: dict[str, Any] = json.loads(json.dumps(loaded["Parameters"]))
    return found


def overrides(config: dict[str, Any], stage: str) -> dict[str, str]:
    text = config[stage]["deploy"]["parameters"]["parameter_overrides"]
    pairs = [item.partition("=") for item in shlex.split(text)]
    assert all(sep for _, sep, _ in pairs), text
    return {name: value for name, _, value in pairs}


def allowed(spec: dict[str, Any], value: str) -> bool:
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        return False
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        return False
    if spec.get("Type") == "Number":
        number = float(value)
        return float(spec.get("MinValue", number)) <= number <= float(spec.get("MaxValue", number))
    return True


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_sets_only_template_parameters_to_allowed_values(
    config: dict[str, Any], parameters: dict[str, Any], stage: str
) -> None:
    for name, value in overrides(config, stage).items():
        assert name in parameters, f"{stage}: {name} is no parameter of template.yaml"
        assert allowed(parameters[name], value), f"{stage}: {name}={value} is not allowed"


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_deploys_its_own_stack_and_stage_where_the_pipeline_roles_expect_them(
    config: dict[str, Any], stage: str
) -> None:
    deploy = config[stage]["deploy"]["parameters"]
    stack = config[stage]["global"]["parameters"]["stack_name"]
    # pipeline/deploy-roles.yaml: the stack aws-mcp-<environment>, its artifacts under the stack's
    # name, its smoke test allowed on the stage named as the environment.
    assert stack == f"aws-mcp-{stage}"
    assert deploy["s3_prefix"] == stack
    assert overrides(config, stage)["Stage"] == stage
    # CloudFormation names the stack's roles after the stack (the deploy role's PassRole pattern).
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert f"environment={stage}" in deploy["tags"]


def test_prod_is_read_only_and_iam_signed_unless_this_file_says_otherwise(config: dict[str, Any]) -> None:
    prod = overrides(config, "prod")
    assert prod["AccessMode"] == "ReadOnly"
    assert prod["AuthMode"] in ("AWS_IAM", "OAUTH")


def test_every_stage_signs_its_requests_and_none_allows_unauthenticated_writes(
    config: dict[str, Any],
) -> None:
    for stage in STAGES:
        chosen = overrides(config, stage)
        assert chosen["AuthMode"] != "NONE" and "AllowUnauthenticatedWrites" not in chosen


def test_retention_grows_towards_prod(config: dict[str, Any]) -> None:
    for name in ("LogRetentionDays", "AuditRetentionDays"):
        days = [int(overrides(config, stage)[name]) for stage in STAGES]
        assert days == sorted(days) and days[0] < days[-1], name
    assert int(overrides(config, "prod")["AuditRetentionDays"]) >= 365


def test_nothing_in_the_file_is_a_secret(config: dict[str, Any]) -> None:
    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                assert not SECRET_NAME.search(key), f"{where}.{key}"
                walk(inner, f"{where}.{key}")
        elif isinstance(value, str):
            assert not SECRET_VALUE.search(value), f"{where}: {value}"
            for name, _, _ in (item.partition("=") for item in value.split()):
                assert not SECRET_NAME.search(name), f"{where}: {name}"

    walk(config, "samconfig")
    # No account is named either: alarm topics and roles come from the pipeline's environments.
    assert not re.search(r"\b[0-9]{12}\b", SAMCONFIG.read_text(encoding="utf-8"))


def test_the_pipeline_reads_one_setting_of_one_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert samconfig_env.main(["prod", "stack_name"]) == 0
    assert capsys.readouterr().out == "aws-mcp-prod\n"
    assert samconfig_env.main(["staging", "parameter_overrides"]) == 0
    assert capsys.readouterr().out.startswith("Stage=staging ")
    assert samconfig_env.main(["qa", "stack_name"]) == 2
    assert "no stack_name for the environment 'qa'" in capsys.readouterr().err
    assert samconfig_env.main(["prod"]) == 2
