"""The client stands apart: no module of ``aws_mcp_client`` imports the server (``aws_mcp``) or its
local serving (``aws_mcp_local``), at module level or inside a function, and loading the client's
CLI leaves both unloaded."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import aws_mcp_client

PACKAGE = Path(aws_mcp_client.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
SERVER_SIDE = ("aws_mcp", "aws_mcp_local")


def imported_packages(source: Path) -> set[str]:
    """The top-level package of every import in ``source``, wherever in the file it is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.partition(".")[0])
    return found


def test_the_walk_sees_the_whole_package() -> None:
    assert {"__init__.py", "__main__.py", "cli.py", "errors.py"} <= {m.name for m in MODULES}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_no_client_module_imports_the_server_or_local_serving(module: Path) -> None:
    assert imported_packages(module).isdisjoint(SERVER_SIDE)


LOADED = "import sys; print(sorted(m for m in {names!r} if m in sys.modules))"


def loaded_after(code: str) -> list[str]:
    """The server-side packages in ``sys.modules`` after a fresh interpreter ran ``code``."""
    probe = f"{code}\n{LOADED.format(names=SERVER_SIDE)}"
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return list(ast.literal_eval(shown.stdout.strip().splitlines()[-1]))


def test_importing_the_client_and_its_cli_loads_no_server_side_package() -> None:
    assert loaded_after("import aws_mcp_client, aws_mcp_client.cli") == []


def test_the_client_command_shows_its_help_without_loading_the_server_side() -> None:
    run_help = (
        "import runpy, sys\n"
        "sys.argv = ['aws_mcp_client', '--help']\n"
        "try:\n"
        "    runpy.run_module('aws_mcp_client', run_name='__main__')\n"
        "except SystemExit as end:\n"
        "    assert end.code == 0, end.code\n"
    )
    assert loaded_after(run_help) == []
