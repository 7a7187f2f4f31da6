"""Which package may import which: the direction the architecture promises, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "layers/shared/aws_mcp"


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def imports_of(package: Path) -> dict[str, set[str]]:
    return {str(p.relative_to(REPO)): imported(p) for p in sorted(package.rglob("*.py"))}


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("forbidden", ["aws_mcp.tools", "aws_mcp.aws", "aws_mcp.server"])
def test_the_http_layer_knows_the_protocol_but_not_the_tools_or_aws(forbidden: str) -> None:
    offenders = {
        path: sorted(m for m in modules if within(m, forbidden))
        for path, modules in imports_of(SERVER / "http").items()
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_the_lambda_entry_imports_only_the_composition_root() -> None:
    ours = {m for m in imported(REPO / "functions/mcp/app.py") if within(m, "aws_mcp")}
    assert ours == {"aws_mcp.server"}


def test_the_catalogue_does_not_build_a_server() -> None:
    assert not any(within(m, "aws_mcp.server") for m in imported(SERVER / "tools/__init__.py"))


def test_the_http_layer_leaves_decoding_and_reading_messages_to_the_protocol() -> None:
    # protocol.envelope decodes for every transport, and the dispatcher says which message blocks.
    for path in sorted((SERVER / "http").rglob("*.py")):
        tree = ast.parse(path.read_text())
        calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
        texts = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
        assert "json.loads" not in calls, path
        assert not texts & {"tools/call", "initialize", "params"}, path


def test_the_mcp_function_never_imports_fastapi() -> None:
    # FastAPI is the integrations REST API's (its own function): the MCP path's cold start stays Starlette's.
    import subprocess
    import sys

    probe = (
        "import sys; from aws_mcp.config import Settings; from aws_mcp.server import lambda_handler; "
        "lambda_handler(Settings(integrations_table='t', integrations_health_function='f')); "
        "print('fastapi' in sys.modules)"
    )
    env = {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    answer = subprocess.run(
        [sys.executable, "-c", probe], check=False, capture_output=True, text=True, env=env, timeout=120
    )
    assert answer.stdout.strip() == "False", answer.stderr[-2000:]
