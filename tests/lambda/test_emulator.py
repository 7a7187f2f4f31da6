"""The built function under the Lambda Runtime Interface Emulator: every event in events/, as on Lambda.

The artifact is what `sam build` makes for x86_64 (function + SharedLayer);
the interpreter is Python 3.13 run with -S, seeing only the function, the
layer and what the managed runtime provides (awslambdaric, boto3), so a
dependency missing from the layer fails here. AWS is the demo moto server on
127.0.0.1. Expectations are events/expected.json, as for the in-process
handler test (tests/functional/test_lambda_handler.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import lambda_emulator  # noqa: E402
import make_events  # noqa: E402

pytestmark = pytest.mark.slow

EXPECTED = make_events.load_expected()
SAMPLE_ID: str = EXPECTED["sample_instance_id"]
EVENT_NAMES = sorted(EXPECTED["events"])
SEEDED_NAMES = sorted(name for name, spec in EXPECTED["events"].items() if "seeded" in spec)


@pytest.fixture(scope="module")
def live(x86_build: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Demo AWS + the emulator running the build; both stopped however the module ends."""
    try:
        with lambda_emulator.running(x86_build, tmp_path_factory.mktemp("emulator")) as running:
            yield running
    except lambda_emulator.EmulatorError as err:
        pytest.fail(str(err))


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((REPO / "events" / name).read_text(encoding="utf-8"))
    return event


def invoke(live: Any, event: dict[str, Any]) -> dict[str, Any]:
    try:
        response: dict[str, Any] = live.emulator.invoke(event)
    except lambda_emulator.EmulatorError as err:
        pytest.fail(str(err))
    return response


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_built_function_answers_each_event_as_expected(live: Any, name: str) -> None:
    event = load_event(name)
    problems = make_events.check(EXPECTED["events"][name], event, invoke(live, event))
    assert not problems, f"{problems}\n--- emulator log ---\n{live.emulator.log_tail()}"


@pytest.mark.parametrize("name", SEEDED_NAMES)
def test_built_function_acts_on_demo_instances(live: Any, name: str) -> None:
    seeded = EXPECTED["events"][name]["seeded"]
    event = make_events.seeded_event(load_event(name), SAMPLE_ID, live.instance_id(seeded["instance"]))
    problems = make_events.check(
        {**EXPECTED["events"][name], "tool": seeded["tool"]}, event, invoke(live, event)
    )
    assert not problems, f"{problems}\n--- emulator log ---\n{live.emulator.log_tail()}"


def test_emulator_reports_the_init_duration(live: Any, figures: dict[str, Any]) -> None:
    if live.emulator.init_duration_ms() is None:
        invoke(live, load_event("get-health.json"))
    init_ms = live.emulator.init_duration_ms()
    assert init_ms is not None, live.emulator.log_tail()
    assert 0 < init_ms < 10_000
    figures["init_duration_ms"] = init_ms
    print(f"emulator INIT duration: {init_ms} ms")


def test_the_function_initializes_without_importing_fastapi(live: Any) -> None:
    # FastAPI costs over 100 ms of INIT and nothing on the MCP path needs it (bench/RESULTS.md).
    loaded = subprocess.run(
        [
            live.emulator.python,
            "-S",
            "-c",
            "import sys, app; print(sorted({m.split('.')[0] for m in sys.modules}))",
        ],
        env=live.emulator.environment,
        cwd=live.emulator.environment["LAMBDA_TASK_ROOT"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    packages = loaded.stdout.strip()
    assert "'starlette'" in packages and "'fastapi'" not in packages
    # PyJWT and cryptography are for AuthMode=OAUTH only (aws_mcp/auth/oauth.py).
    assert "'jwt'" not in packages and "'cryptography'" not in packages


def _import_origin(live: Any, module: str) -> subprocess.CompletedProcess[str]:
    """Where the function's interpreter, as the emulator starts it, imports ``module`` from."""
    return subprocess.run(
        [live.emulator.python, "-S", "-c", f"import {module}; print({module}.__file__)"],
        env=live.emulator.environment,
        cwd=live.emulator.environment["LAMBDA_TASK_ROOT"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("module", ["starlette", "mangum", "pydantic_core", "aws_mcp"])
def test_function_imports_its_dependencies_from_the_layer(live: Any, x86_build: Any, module: str) -> None:
    found = _import_origin(live, module)
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()).is_relative_to(x86_build.layer_dir)


@pytest.mark.parametrize("module", ["boto3", "awslambdaric"])
def test_runtime_packages_come_from_the_runtime_not_the_layer(live: Any, x86_build: Any, module: str) -> None:
    found = _import_origin(live, module)
    assert found.returncode == 0, found.stderr
    assert not Path(found.stdout.strip()).is_relative_to(x86_build.layer_dir)


@pytest.mark.parametrize("module", ["moto", "uvicorn", "aws_mcp_local", "aws_mcp_client", "httpx"])
def test_function_cannot_see_the_project_environment(live: Any, module: str) -> None:
    found = _import_origin(live, module)
    assert found.returncode != 0
    assert "ModuleNotFoundError" in found.stderr
