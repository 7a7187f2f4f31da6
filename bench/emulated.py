"""The two functions under the Lambda emulator: McpFunction as ``sam build`` makes it, and the floor.

The floor (bench/floor/app.py) is built the way the layer is, precompiled with
unchecked-hash .pyc, into .aws-sam/bench/floor, and runs under the same RIE, the same
``python3.13 -S -m awslambdaric`` and the same runtime site (awslambdaric + boto3) with
the same environment. Both answer the API Gateway events in events/.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.paths import EVENTS, REPO, WORK, lambda_emulator

FLOOR_SOURCE = REPO / "bench" / "floor" / "app.py"
# The floor answers tools/list with our catalogue's definitions (see its docstring).
CATALOG = REPO / "layers" / "shared" / "aws_mcp" / "tools" / "catalog.json"
FLOOR_BUILD = WORK / "floor"
# What the warm and cold benchmarks send, by label: events/ files (scripts/make_events.py).
EVENT_FILES = {
    "tools/list": "modern-tools-list.json",
    "tools/call aws_whoami": "modern-tools-call-aws_whoami.json",
    "tools/call ec2_list_instances": "modern-tools-call-ec2_list_instances.json",
}


@dataclass(frozen=True)
class Target:
    """A built function: ours or the floor."""

    name: str
    build: lambda_emulator.Build


def our_function() -> Target:
    return Target("McpFunction", lambda_emulator.ensure_build())


def floor_function(python: str) -> Target:
    """Build the floor like the layer (precompiled .pyc), unless its source and interpreter are unchanged."""
    digest = hashlib.sha256(FLOOR_SOURCE.read_bytes() + CATALOG.read_bytes() + python.encode()).hexdigest()
    function_dir = FLOOR_BUILD / lambda_emulator.FUNCTION
    stamp = FLOOR_BUILD / ".source-digest"
    if not (stamp.exists() and stamp.read_text(encoding="utf-8") == digest):
        shutil.rmtree(FLOOR_BUILD, ignore_errors=True)
        function_dir.mkdir(parents=True)
        # An empty layer, so PYTHONPATH has the same shape as McpFunction's.
        (FLOOR_BUILD / lambda_emulator.LAYER / "python").mkdir(parents=True)
        shutil.copy2(FLOOR_SOURCE, function_dir / "app.py")
        shutil.copy2(CATALOG, function_dir / "catalog.json")
        subprocess.run(
            [
                python,
                "-m",
                "compileall",
                "-q",
                "-f",
                "--invalidation-mode",
                "unchecked-hash",
                str(function_dir),
            ],
            check=True,
        )
        stamp.write_text(digest, encoding="utf-8")
    return Target("floor", lambda_emulator.Build(FLOOR_BUILD, digest, None))


class Runtime:
    """What both functions run on: Python 3.13, the runtime site and the demo AWS endpoint."""

    def __init__(self, work: Path, aws_endpoint: str) -> None:
        self.python = lambda_emulator.find_python313()
        self.site = lambda_emulator.runtime_site(work / "runtime")
        self.aws_endpoint = aws_endpoint
        self._work = work
        self._starts = 0

    def environment(self, target: Target) -> dict[str, str]:
        return lambda_emulator.function_environment(target.build, self.site, self.aws_endpoint)

    def emulator(self, target: Target) -> lambda_emulator.Emulator:
        """A fresh emulator (not started) for ``target``, logging to its own file."""
        self._starts += 1
        log = self._work / f"{target.name}-{self._starts}.log"
        return lambda_emulator.Emulator(self.python, self.environment(target), log)


def event_payload(label: str) -> bytes:
    return (EVENTS / EVENT_FILES[label]).read_bytes()


def reply_problem(response: dict[str, Any]) -> str | None:
    """Why a Lambda proxy response is not a successful JSON-RPC result; None when it is."""
    if response.get("statusCode") != 200:
        return f"HTTP {response.get('statusCode')}: {str(response.get('body'))[:300]}"
    body = json.loads(response.get("body") or "null")
    if not isinstance(body, dict) or "result" not in body:
        return f"not a JSON-RPC result: {str(body)[:300]}"
    if body["result"].get("isError"):
        return f"tool error: {str(body['result'])[:300]}"
    return None


class Connection:
    """One persistent HTTP/1.1 connection to an emulator's invoke URL (keep-alive, as a warm caller)."""

    PATH = "/2015-03-31/functions/function/invocations"

    def __init__(self, emulator: lambda_emulator.Emulator) -> None:
        self._emulator = emulator
        self._http = http.client.HTTPConnection(
            "127.0.0.1", emulator.port, timeout=lambda_emulator.INVOKE_TIMEOUT
        )

    def invoke(self, payload: bytes) -> tuple[float, dict[str, Any]]:
        """Send one event; the client-side milliseconds and the checked Lambda proxy response."""
        started = time.perf_counter()
        self._http.request("POST", self.PATH, body=payload, headers={"Content-Type": "application/json"})
        raw = self._http.getresponse().read()
        elapsed_ms = (time.perf_counter() - started) * 1000
        response = json.loads(raw)
        problem = (
            reply_problem(response) if isinstance(response, dict) else f"not a proxy response: {raw[:300]!r}"
        )
        if problem:
            raise lambda_emulator.EmulatorError(f"{problem}\n{self._emulator.log_tail()}")
        return elapsed_ms, response

    def close(self) -> None:
        self._http.close()
