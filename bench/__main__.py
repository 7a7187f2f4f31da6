"""``make bench``: every benchmark, each figure beside its floor, the targets, and bench/RESULTS.md.

    python -m bench [--out bench/RESULTS.md] [--note TEXT]
                    [--only size,cold,warm,overhead,throughput,fleet,executor]

Builds McpFunction for x86_64 first when its sources changed (scripts/lambda_emulator.py
caches the build on a source digest), and the floor function beside it.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import cold_start, executor_cost, fleet_registry, overhead, package_size, throughput, warm_latency
from bench.demo_aws import demo_aws_process
from bench.emulated import Runtime, floor_function, our_function
from bench.paths import REPO, lambda_emulator
from bench.report import Table, cpu_model, load_average, megabytes

SECTIONS = ("size", "cold", "warm", "overhead", "throughput", "fleet", "executor")
OURS = "McpFunction"
FLOOR = "floor"
LOCAL = "aws-mcp serve"
# The targets (issue 5; the round trips and the registry's budget: the resilience issue).
INIT_X_FLOOR = 2.0
FIRST_CALL_MS = 25.0
LIST_PLUS_MS = 0.3
READ_PLUS_MS = 1.0
RSS_BYTES = 160e6
OVERHEAD_US = 1000.0


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool


def _targets(results: dict[str, object]) -> list[Verdict]:
    verdicts = []
    cold = results.get("cold")
    if isinstance(cold, cold_start.ColdStart):
        init, floor_init = cold.init_ms[OURS].p50, cold.init_ms[FLOOR].p50
        verdicts.append(
            Verdict(
                f"cold start: INIT <= {INIT_X_FLOOR:.1f}x the floor",
                f"{init:.0f} ms = {init / floor_init:.2f}x {floor_init:.0f} ms",
                init <= INIT_X_FLOOR * floor_init,
            )
        )
        first = cold.first_call_ms[OURS].p50
        verdicts.append(
            Verdict(
                f"cold start: first tools/call <= {FIRST_CALL_MS:.0f} ms after init",
                f"{first:.1f} ms (floor {cold.first_call_ms[FLOOR].p50:.1f} ms)",
                first <= FIRST_CALL_MS,
            )
        )
    warm = results.get("warm")
    if isinstance(warm, warm_latency.WarmLatency):
        for label, budget in (
            ("tools/list", LIST_PLUS_MS),
            ("tools/call aws_whoami", READ_PLUS_MS),
            ("tools/call ec2_list_instances", READ_PLUS_MS),
        ):
            ours, floor = warm.latency_ms[label][OURS].p50, warm.latency_ms[label][FLOOR].p50
            verdicts.append(
                Verdict(
                    f"warm: {label} p50 <= floor + {budget} ms",
                    f"{ours:.2f} ms, floor {floor:.2f} ms ({ours - floor:+.2f})",
                    ours - floor <= budget,
                )
            )
        rss = warm.peak_rss_kib.get(OURS)
        verdicts.append(
            Verdict(
                f"memory: peak RSS <= {megabytes(RSS_BYTES)}",
                megabytes(rss * 1024) if rss else "not measured",
                bool(rss) and (rss or 0) * 1024 <= RSS_BYTES,
            )
        )
    size = results.get("size")
    if isinstance(size, package_size.PackageSize):
        zipped = size.layer.zipped_bytes
        verdicts.append(
            Verdict(
                f"size: layer <= {megabytes(package_size.LAYER_ZIPPED_TARGET)} zipped",
                megabytes(zipped),
                zipped <= package_size.LAYER_ZIPPED_TARGET,
            )
        )
    costs = results.get("overhead")
    if isinstance(costs, overhead.Overhead):
        verdicts.append(
            Verdict(
                f"DynamoDB round trips per read-only call = {overhead.READ_ROUND_TRIPS_TARGET}",
                f"{costs.read_round_trips:.2f}",
                costs.read_round_trips <= overhead.READ_ROUND_TRIPS_TARGET,
            )
        )
        verdicts.append(
            Verdict(
                f"DynamoDB round trips per mutating call <= {overhead.WRITE_ROUND_TRIPS_TARGET}",
                f"{costs.write_round_trips:.2f}",
                costs.write_round_trips <= overhead.WRITE_ROUND_TRIPS_TARGET,
            )
        )
        paths = list(costs.paths_us.values())
        added = paths[-1].p50 - paths[0].p50
        verdicts.append(
            Verdict(
                f"in process: dispatcher path adds < {OVERHEAD_US:.0f} us to the tool",
                f"{added:.0f} us",
                added < OVERHEAD_US,
            )
        )
    load = results.get("throughput")
    if isinstance(load, throughput.Throughput):
        failed = throughput.errors(load, LOCAL)
        verdicts.append(
            Verdict("local throughput: zero errors at 1, 8 and 32 clients", f"{failed} errors", failed == 0)
        )
    return verdicts


def _verdict_table(verdicts: list[Verdict]) -> Table:
    table = Table("Targets", ["target", "measured", "met"])
    for v in verdicts:
        table.add(v.target, v.measured, "yes" if v.met else "**no**")
    return table


def _source() -> str:
    """The commit measured, and whether the build's inputs had uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--", *lambda_emulator.BUILD_INPUTS)
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"commit {commit}" + (" with uncommitted changes to the function or layer" if changed else "")


def _machine(python: str, load_before: float, load_after: float, note: str) -> list[str]:
    cores = os.cpu_count() or 0
    lines = [
        f"- Source: {_source()}",
        f"- CPU: {cpu_model()}, {cores} cores; {platform.system()} {platform.release()}",
        f"- Python: {python} for the function (`-S`, precompiled layer); "
        f"{platform.python_version()} for the harness",
        f"- Load average (1 min): {load_before:.2f} at the start, {load_after:.2f} at the end",
    ]
    # The load at the end is mostly the benchmark's own (the throughput clients); the start tells.
    if load_before > 0.5 * cores:
        lines.append(
            "- Other work was running when the run started, so absolute figures are noisy; "
            "compare each figure with its floor, measured in the same run."
        )
    if note:
        lines.append(f"- Note: {note}")
    return lines


def _document(tables: list[Table], machine: list[str], started: datetime, seconds: float, out: Path) -> str:
    command = f"python -m bench --out {out.relative_to(REPO) if out.is_relative_to(REPO) else out}"
    parts = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`{command}`) on {started:%Y-%m-%d %H:%M} UTC; "
        f"the run took {seconds / 60:.1f} minutes. Methods: bench/ (one module per benchmark; the floor "
        "is bench/floor/). Every figure is shown beside a floor measured in the same run.",
        "",
        "## Machine",
        "",
        *machine,
        "",
        "## Commands",
        "",
        "```bash",
        "make bench                                  # everything; writes this file",
        "make bench BENCH_OUT=/tmp/results.md        # elsewhere",
        ".venv/bin/python -m bench --only cold,warm  # some: size,cold,warm,overhead,...",
        ".venv/bin/python scripts/lambda_emulator.py build   # the x86_64 build the benchmarks run",
        "```",
        "",
        "## Results",
        "",
    ]
    for table in tables:
        parts += [table.markdown(), ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "RESULTS.md", help="markdown to write")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}")
    parser.add_argument("--note", default="", help="a line for the Machine section of the results")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")

    started, clock, load_before = datetime.now(UTC), time.monotonic(), load_average()
    results: dict[str, object] = {}
    tables: list[Table] = []

    def show(new: list[Table]) -> None:
        tables.extend(new)
        for table in new:
            print(table.text(), end="\n\n", flush=True)

    function_python = platform.python_version() if chosen == ["fleet"] else subprocess.run(
        [lambda_emulator.find_python313(), "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    with ExitStack() as stack:
        if {"size", "cold", "warm"} & set(chosen):
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="aws-mcp-bench-")))
            runtime = Runtime(work, stack.enter_context(demo_aws_process()))
            ours, floor = our_function(), floor_function(runtime.python)
            targets = [ours, floor]
        if "size" in chosen:
            results["size"] = found = package_size.measure(ours, floor)
            show(package_size.tables(found, OURS))
        if "executor" in chosen:
            layer = ours.build.layer_dir if "size" in chosen else None
            results["executor"] = cost = executor_cost.measure(layer)
            show(executor_cost.tables(cost))
        if "cold" in chosen:
            results["cold"] = cold = cold_start.measure(runtime, targets)
            show(cold_start.tables(cold, OURS, FLOOR))
        if "warm" in chosen:
            results["warm"] = warm = warm_latency.measure(runtime, targets)
            show(warm_latency.tables(warm, OURS, FLOOR))
    if "overhead" in chosen:
        results["overhead"] = costs = overhead.measure()
        show(overhead.tables(costs))
    if "throughput" in chosen:
        results["throughput"] = load = throughput.measure(LOCAL, FLOOR)
        show(throughput.tables(load, LOCAL, FLOOR))
    if "fleet" in chosen:
        results["fleet"] = fleet = fleet_registry.measure()
        show(fleet_registry.tables(fleet))

    verdicts = _verdict_table(_targets(results))
    print(verdicts.text(), flush=True)
    seconds = time.monotonic() - clock
    machine = _machine(function_python, load_before, load_average(), args.note)
    args.out.write_text(_document([verdicts, *tables], machine, started, seconds, args.out), encoding="utf-8")
    print(f"\n{seconds / 60:.1f} minutes; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
