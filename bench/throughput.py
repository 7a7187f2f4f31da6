"""Local throughput: ``aws-mcp serve --demo`` under uvicorn against the floor server, under bounded load.

Both servers run on 127.0.0.1 at once, each with the demo AWS in its own process, and
are stopped when the measurement ends (and die with the benchmark if it is killed). For
each request and concurrency the load generator (bench/load.py) runs in a process of its
own against one server, then the other.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from bench.emulated import EVENT_FILES
from bench.paths import EVENTS, REPO, WORK, lambda_emulator
from bench.report import Table, ratio

CONCURRENCY = (1, 8, 32)
DURATION = 5.0
WARM_UP = 1.0
LABELS = ("tools/list", "tools/call ec2_list_instances")
START_TIMEOUT = 90.0


@dataclass(frozen=True)
class Cell:
    requests: int
    errors: int
    error_samples: list[str]
    rps: float
    p99_ms: float | None


@dataclass(frozen=True)
class Throughput:
    duration: float
    cells: dict[tuple[str, int, str], Cell]  # (label, concurrency, server) -> figures


@contextmanager
def _server(name: str, command: list[str], port: int) -> Iterator[str]:
    """Start a server on 127.0.0.1:port; yield its MCP URL once /health answers; stop it on exit."""
    WORK.mkdir(parents=True, exist_ok=True)
    log_path = WORK / f"serve-{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda_emulator.die_with_parent,  # noqa: PLW1509 - prctl only
        )
        try:
            _wait_healthy(process, f"http://127.0.0.1:{port}/health", log_path)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited ({process.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # our own 127.0.0.1 server
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT:.0f} s; see {log_path}")


def _load(url: str, label: str, concurrency: int, duration: float) -> Cell:
    command = [
        sys.executable, "-m", "bench.load", "--url", url, "--event", str(EVENTS / EVENT_FILES[label]),
        "--concurrency", str(concurrency), "--duration", str(duration), "--warm-up", str(WARM_UP),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=duration + 120, check=True
    )
    figures = json.loads(done.stdout)
    return Cell(
        figures["requests"], figures["errors"], figures["error_samples"], figures["rps"], figures["p99_ms"]
    )


def measure(ours: str, floor: str, duration: float = DURATION) -> Throughput:
    aws_mcp = str(Path(sys.executable).with_name("aws-mcp"))
    cells: dict[tuple[str, int, str], Cell] = {}
    with ExitStack() as stack:
        urls = {}
        for name, command in (
            (ours, [aws_mcp, "serve", "--demo", "--host", "127.0.0.1"]),
            (floor, [sys.executable, "-m", "bench.floor.server"]),
        ):
            port = lambda_emulator.free_port()
            urls[name] = stack.enter_context(_server(name, [*command, "--port", str(port)], port))
        for label in LABELS:
            for n, concurrency in enumerate(CONCURRENCY):
                # Alternate who goes first, so a drift in machine load hits both alike.
                for name in (ours, floor) if n % 2 == 0 else (floor, ours):
                    cells[label, concurrency, name] = _load(urls[name], label, concurrency, duration)
    return Throughput(duration, cells)


def errors(result: Throughput, server: str) -> int:
    return sum(cell.errors for (_, _, name), cell in result.cells.items() if name == server)


def tables(result: Throughput, ours: str, floor: str) -> list[Table]:
    table = Table(
        f"Local throughput: `aws-mcp serve --demo` (uvicorn, 127.0.0.1) vs the floor server, "
        f"{result.duration:.0f} s per cell after {WARM_UP:.0f} s warm-up",
        [
            "request",
            "clients",
            "ours req/s",
            "floor req/s",
            "req/s x floor",
            "ours p99 ms",
            "floor p99 ms",
            "ours errors",
            "floor errors",
        ],
    )
    for label in LABELS:
        for concurrency in CONCURRENCY:
            a, b = result.cells[label, concurrency, ours], result.cells[label, concurrency, floor]
            table.add(
                label,
                concurrency,
                f"{a.rps:.0f}",
                f"{b.rps:.0f}",
                ratio(a.rps, b.rps),
                f"{a.p99_ms:.1f}" if a.p99_ms is not None else "-",
                f"{b.p99_ms:.1f}" if b.p99_ms is not None else "-",
                a.errors,
                b.errors,
            )
    table.notes.append(
        "The load generator is a separate process: one thread and keep-alive connection per "
        "client. Both servers hold the demo AWS (moto) in process, so the read tool's figures "
        "include moto's own work."
    )
    for (label, concurrency, name), cell in result.cells.items():
        for sample in cell.error_samples:
            table.notes.append(f"error ({name}, {label}, {concurrency} clients): {sample}")
    return [table]
