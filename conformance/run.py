"""Run the official MCP conformance suites against ``aws-mcp serve --demo`` and judge them by baseline.

``make conformance`` calls this after installing Node and the suites into ``.tools``. It
starts the demo server on a free 127.0.0.1 port, waits for ``/health``, runs every server
scenario of each suite (``conformance server --suite all``), and stops the server whatever
happens. A suite passes when the tool's own ``--expected-failures`` verdict passes (no
failure outside the baseline, no baselined entry passing) and this script's reading of
the checks.json files agrees: no failing check outside the baseline, and every baseline
entry seen failing (the tool tolerates an entry whose scenario or check never ran, which
would let a renamed scenario keep a dead entry alive).

Every baseline entry must carry a one-line reason as a YAML comment on its line.
Results (checks.json per scenario, the tool's output, the server log) land in
conformance/results/, which git ignores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import yaml

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PACKAGE = "@modelcontextprotocol/conformance"
HEALTH_TIMEOUT_S = 90.0
SUITE_TIMEOUT_S = 900.0
# A scenario fails the tool's baseline logic on a FAILURE or a WARNING check.
FAILING = frozenset({"FAILURE", "WARNING"})


@dataclass(frozen=True)
class Suite:
    name: str
    tool_dir: str  # under --tools
    baseline: Path
    args: tuple[str, ...]
    era: str


SUITES = {
    "legacy": Suite(
        name="legacy",
        tool_dir="conformance-legacy",
        baseline=HERE / "expected-failures-legacy.yml",
        # 0.1.x speaks only the initialize-handshake era; "all" adds the pending scenarios.
        args=("--suite", "all"),
        era="2025-06-18 / 2025-11-25 (initialize handshake)",
    ),
    "2026": Suite(
        name="2026",
        tool_dir="conformance-2026",
        baseline=HERE / "expected-failures-2026.yml",
        args=("--suite", "all", "--spec-version", "2026-07-28"),
        era="2026-07-28 (stateless, per-request _meta)",
    ),
}


@dataclass
class Outcome:
    suite: Suite
    version: str
    tool_exit: int
    scenarios: dict[str, list[dict[str, Any]]]
    baseline: list[str]
    problems: list[str] = field(default_factory=list)

    def failing_scenarios(self) -> list[str]:
        return [s for s, checks in self.scenarios.items() if any(c["status"] in FAILING for c in checks)]

    @property
    def ok(self) -> bool:
        return self.tool_exit == 0 and not self.problems


# -- baselines ------------------------------------------------------------------------------------

_ENTRY = re.compile(r"^\s*-\s*(?P<entry>[^\s#]+)\s*(?:#\s*(?P<reason>.*\S))?\s*$")


def read_baseline(path: Path) -> list[str]:
    """The ``server:`` entries of an expected-failures file; every entry needs a ``# reason``."""
    data = yaml.safe_load(path.read_text()) or {}
    entries = data.get("server") or []
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise SystemExit(f"{path}: 'server' must be a list of scenario or scenario:check-id strings")
    reasons: dict[str, str | None] = {}
    for line in path.read_text().splitlines():
        match = _ENTRY.match(line)
        if match:
            reasons[match["entry"]] = match["reason"]
    unreasoned = [e for e in entries if not reasons.get(e)]
    if unreasoned:
        raise SystemExit(f"{path}: every entry needs a one-line '# reason'; missing for {unreasoned}")
    return list(entries)


def unconfirmed_entries(baseline: list[str], scenarios: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Baseline entries not seen failing in this run (passing, skipped, or never run)."""
    unconfirmed = []
    for entry in baseline:
        scenario, _, check_id = entry.partition(":")
        checks = scenarios.get(scenario)
        if checks is None:
            unconfirmed.append(f"{entry} (scenario did not run)")
        elif check_id and not any(c["id"] == check_id and c["status"] in FAILING for c in checks):
            unconfirmed.append(f"{entry} (check did not fail)")
        elif not check_id and not any(c["status"] in FAILING for c in checks):
            unconfirmed.append(f"{entry} (scenario passed)")
    return unconfirmed


def unexpected_failures(
    baseline: list[str], scenarios: dict[str, list[dict[str, Any]]]
) -> list[tuple[str, dict[str, Any]]]:
    """Failing checks no baseline entry covers (a scenario entry covers all of its checks)."""
    entries = set(baseline)
    return [
        (scenario, check)
        for scenario, checks in scenarios.items()
        for check in checks
        if check["status"] in FAILING
        and scenario not in entries
        and f"{scenario}:{check['id']}" not in entries
    ]


# -- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env() -> dict[str, str]:
    """The caller's environment minus anything that would change what the demo server does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_MCP_")}
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    return env


def wait_healthy(proc: subprocess.Popen[bytes], base: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:  # noqa: S310 (http://127.0.0.1)
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    # The server runs in its own session (so a terminal's Ctrl+C reaches us, not it): end its group.
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextmanager
def demo_server(aws_mcp: str, log: IO[bytes]) -> Iterator[str]:
    """``aws-mcp serve --demo`` on a free port; yields the MCP URL and always stops the server."""
    for _attempt in range(3):
        port = free_port()
        proc = subprocess.Popen(  # noqa: S603 (our own executables)
            [aws_mcp, "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=server_env(),
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            if wait_healthy(proc, base, HEALTH_TIMEOUT_S):
                yield f"{base}/mcp"
                return
        finally:
            stop(proc)
        # Lost the port to someone else between picking and binding: pick another.
    raise SystemExit(f"aws-mcp serve --demo did not become healthy; see {log.name}")


# -- the suites -----------------------------------------------------------------------------------

_RESULT_DIR = re.compile(r"^server-(?P<scenario>.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$")


def read_results(out_dir: Path) -> dict[str, list[dict[str, Any]]]:
    scenarios: dict[str, list[dict[str, Any]]] = {}
    for checks_file in sorted(out_dir.glob("*/checks.json")):
        match = _RESULT_DIR.match(checks_file.parent.name)
        if match is None:
            continue
        scenarios.setdefault(match["scenario"], []).extend(json.loads(checks_file.read_text()))
    return scenarios


def tool_version(tool_root: Path) -> str:
    manifest = tool_root / "node_modules" / PACKAGE / "package.json"
    return str(json.loads(manifest.read_text())["version"])


def run_suite(suite: Suite, node: str, tools: Path, url: str) -> Outcome:
    tool_root = tools / suite.tool_dir
    cli = tool_root / "node_modules" / PACKAGE / "dist" / "index.js"
    out_dir = RESULTS / suite.name
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    baseline = read_baseline(suite.baseline)
    command = [
        node,
        str(cli),
        "server",
        "--url",
        url,
        *suite.args,
        "--expected-failures",
        str(suite.baseline),
        "--output-dir",
        str(out_dir),
    ]
    log_path = RESULTS / f"{suite.name}.log"
    with log_path.open("wb") as log:
        try:
            # The suite runs inside RESULTS so any stray default-path output stays git-ignored.
            exit_code = subprocess.run(  # noqa: S603
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=RESULTS,
                timeout=SUITE_TIMEOUT_S,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            exit_code = -1
    outcome = Outcome(suite, tool_version(tool_root), exit_code, read_results(out_dir), baseline)
    if exit_code == -1:
        outcome.problems.append(f"timed out after {SUITE_TIMEOUT_S:.0f} s")
    if not outcome.scenarios:
        outcome.problems.append("no scenario results were written")
    outcome.problems.extend(
        f"baseline entry not seen failing: {e}" for e in unconfirmed_entries(baseline, outcome.scenarios)
    )
    for scenario, check in unexpected_failures(baseline, outcome.scenarios):
        message = check.get("errorMessage") or json.dumps(check.get("details"))
        outcome.problems.append(
            f"not in the baseline: {scenario}:{check['id']} {check['status']}: {message[:300]}"
        )
    return outcome


def _covered(baseline: list[str], scenario: str, check: dict[str, Any]) -> bool:
    return scenario in baseline or f"{scenario}:{check['id']}" in baseline


def summary(outcome: Outcome) -> str:
    """The verdict and the counts, with expected (baselined) failures apart from unexpected ones.

    A scenario counts once: passed (no failing check), failed as expected (every failing check
    is baselined), or failed unexpectedly (any failing check is not).
    """
    suite, scenarios, baseline = outcome.suite, outcome.scenarios, outcome.baseline
    checks = {"passed": 0, "expected": 0, "unexpected": 0, "skipped": 0}
    runs = {"passed": 0, "expected": 0, "unexpected": 0}
    for scenario, results in scenarios.items():
        failing = [c for c in results if c["status"] in FAILING]
        uncovered = [c for c in failing if not _covered(baseline, scenario, c)]
        checks["passed"] += sum(c["status"] == "SUCCESS" for c in results)
        checks["skipped"] += sum(c["status"] == "SKIPPED" for c in results)
        checks["expected"] += len(failing) - len(uncovered)
        checks["unexpected"] += len(uncovered)
        runs["unexpected" if uncovered else "expected" if failing else "passed"] += 1
    stale = unconfirmed_entries(baseline, scenarios)
    verdict = "PASS" if outcome.ok else "FAIL"
    lines = [
        f"[{verdict}] conformance {suite.name}: {PACKAGE}@{outcome.version}, {suite.era}",
        f"  scenarios: {len(scenarios)} run: {runs['passed']} passed,"
        f" {runs['expected']} failed as expected (baselined), {runs['unexpected']} failed unexpectedly",
        f"  checks:    {checks['passed']} passed, {checks['expected']} failed as expected (baselined),"
        f" {checks['unexpected']} failed unexpectedly, {checks['skipped']} skipped"
        " (a warning counts as a failure)",
        f"  baseline:  {len(baseline)} entries, "
        + (f"{len(stale)} not seen failing" if stale else "all seen failing"),
    ]
    lines.extend(f"  ! {problem}" for problem in outcome.problems)
    return "\n".join(lines)


def report(outcome: Outcome) -> None:
    print("\n" + summary(outcome))
    if outcome.ok:
        return
    if not outcome.problems:
        # The tool failed for a reason of its own (a crash, a bad baseline file): show its last words.
        text = (RESULTS / f"{outcome.suite.name}.log").read_text(errors="replace")
        print(re.sub(r"\x1b\[[0-9;]*m", "", text[-3000:]).rstrip())
    print(f"  details: {RESULTS / outcome.suite.name}/*/checks.json, {RESULTS / outcome.suite.name}.log")


def _raise_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--node", required=True, help="a Node >= 22 executable")
    parser.add_argument("--tools", required=True, type=Path, help="where the suites are installed")
    parser.add_argument("--aws-mcp", default="aws-mcp", help="the aws-mcp executable")
    parser.add_argument("--suite", action="append", choices=sorted(SUITES), help="run only these suites")
    args = parser.parse_args(argv)

    # SIGTERM / SIGHUP unwind like Ctrl+C, so the server is always stopped.
    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGHUP, _raise_on_signal)

    suites = [SUITES[name] for name in (args.suite or SUITES)]
    for suite in suites:
        read_baseline(suite.baseline)  # fail fast on an unreasoned entry
    RESULTS.mkdir(exist_ok=True)
    started = time.monotonic()
    with (RESULTS / "server.log").open("wb") as server_log, demo_server(args.aws_mcp, server_log) as url:
        print(f"conformance: aws-mcp serve --demo at {url}")
        node, tools = os.path.abspath(args.node), args.tools.resolve()
        outcomes = [run_suite(suite, node, tools, url) for suite in suites]
    for outcome in outcomes:
        report(outcome)
    ok = all(o.ok for o in outcomes)
    print(f"\nconformance {'passed' if ok else 'FAILED'} in {time.monotonic() - started:.1f} s")
    if not ok:
        print(f"server log: {RESULTS / 'server.log'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
