"""What the CLI executor costs: the import its parsing adds when a command is first run, and its bytes.

Import: fresh interpreters that first import the server (``aws_mcp.server``, as the function's
init does) and then time importing the executor's parsing and paging (command, shorthand, run);
the floor is the same for the AWS CLI's own argument parsers (``awscli.argprocess``: shorthand
and parameter files), the library a server would otherwise load to read commands. Best of
several alternating runs. Whether the server's import already loads them is checked too (it
should not: the tool loads them on its first call). Size: the executor package in the built
layer (else its sources), and the extra dependencies only it needs (none: jmespath and botocore
are there for the rest of the server too).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.paths import REPO, lambda_emulator
from bench.report import Table, ratio

RUNS = 7
# The parsing and paging: loaded on a command's first run. (Its policy, a few rules, loads with
# the server, which builds it from the settings.)
EXECUTOR_PARTS = ("aws_mcp.executor.command", "aws_mcp.executor.shorthand", "aws_mcp.executor.run")
FLOOR_PARTS = ("awscli.argprocess",)
_PROGRAM = """
import sys, time
import aws_mcp.server
loaded = any(name in sys.modules for name in {parts!r})
started = time.perf_counter()
for name in {parts!r}:
    __import__(name)
print((time.perf_counter() - started) * 1e6, int(loaded))
"""


@dataclass(frozen=True)
class ExecutorCost:
    import_us: float
    floor_import_us: float
    loaded_at_start: bool
    package_bytes: int
    package_zipped_bytes: int
    package_files: int
    where: str  # "built layer" or "sources"
    awscli_bytes: int  # the AWS CLI package installed (what it would add instead)


def _timed(parts: tuple[str, ...]) -> tuple[float, bool]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "layers" / "shared"), "AWS_EC2_METADATA_DISABLED": "true"}
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM.format(parts=parts)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=REPO,
    )
    micros, loaded = done.stdout.split()
    return float(micros), loaded == "1"


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def measure(layer_dir: Path | None = None) -> ExecutorCost:
    ours, floor, loaded = [], [], False
    _timed(EXECUTOR_PARTS)  # warms the page cache
    for _ in range(RUNS):
        micros, was_loaded = _timed(EXECUTOR_PARTS)
        ours.append(micros)
        loaded = loaded or was_loaded
        floor.append(_timed(FLOOR_PARTS)[0])
    built = layer_dir / "aws_mcp" / "executor" if layer_dir is not None else None
    package = (
        built if built is not None and built.is_dir() else REPO / "layers" / "shared" / "aws_mcp" / "executor"
    )
    figures = lambda_emulator.layer_size(package)
    import awscli

    return ExecutorCost(
        import_us=min(ours),
        floor_import_us=min(floor),
        loaded_at_start=loaded,
        package_bytes=figures["unzipped_bytes"],
        package_zipped_bytes=figures["zipped_bytes"],
        package_files=figures["files"],
        where="built layer" if package == built else "sources",
        awscli_bytes=_tree_bytes(Path(awscli.__file__).parent),
    )


def tables(c: ExecutorCost) -> list[Table]:
    table = Table(
        "The CLI executor's cost: import on first use, bytes in the layer",
        ["figure", "measured", "floor", "x floor"],
    )
    table.add(
        f"import of its parsing and paging after the server's, best of {RUNS} fresh interpreters, ms",
        f"{c.import_us / 1000:.2f}",
        f"{c.floor_import_us / 1000:.2f} (awscli.argprocess)",
        ratio(c.import_us, c.floor_import_us),
    )
    table.add(
        "added to cold start (loaded by the server's import?)",
        "0 ms (not loaded)" if not c.loaded_at_start else "loaded at start",
        "",
        "",
    )
    table.add(
        f"executor package ({c.where}): files, unzipped, zipped",
        f"{c.package_files}, {c.package_bytes / 1000:.1f} kB, {c.package_zipped_bytes / 1000:.1f} kB",
        f"awscli installed: {c.awscli_bytes / 1e6:.1f} MB",
        ratio(c.package_bytes, c.awscli_bytes),
    )
    table.add("dependencies only the executor needs", "none (botocore, jmespath: shared)", "", "")
    return [table]


if __name__ == "__main__":
    for t in tables(measure()):
        print(t.text())
