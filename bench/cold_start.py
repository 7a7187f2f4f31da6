"""Cold start: INIT duration over fresh emulator processes, the first tools/call after it, import profile.

Each start is a new RIE + runtime process answering one ``tools/call aws_whoami`` as its
first invocation; ours and the floor take turns, and the first round is discarded (it
warms the page cache). The RIE runs init when the first event arrives, so the client's
time for that event minus the INIT REPORT duration is what the first call itself cost,
including anything the function put off until then (imports, clients, a breaker read).
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass

from bench.emulated import Connection, Runtime, Target, event_payload
from bench.paths import lambda_emulator
from bench.report import Summary, Table, ratio, summarize

STARTS = 10
FIRST_CALL = "tools/call aws_whoami"
TOP_IMPORTS = 15
IMPORT_RUNS = 3
_IMPORT_LINE = re.compile(r"import time:\s+(?P<self>\d+) \|\s+(?P<cumulative>\d+) \| (?P<name>.+)$")


@dataclass(frozen=True)
class Imported:
    name: str  # with its nesting depth as leading spaces, as -X importtime prints it
    self_us: int
    cumulative_us: int


@dataclass(frozen=True)
class ColdStart:
    starts: int
    init_ms: dict[str, Summary]  # by target name
    first_call_ms: dict[str, Summary]  # client side, minus the INIT duration
    first_invoke_ms: dict[str, Summary]  # the RIE's own measure of that first invocation
    import_ms: dict[str, float]  # `import app` under -X importtime
    top_imports: list[Imported]  # ours, most expensive (cumulative) first


def _init_report(emulator: lambda_emulator.Emulator) -> float:
    # The RIE logs INIT REPORT before it answers; allow its log a moment to reach the file.
    for _ in range(50):
        init = emulator.init_duration_ms()
        if init is not None:
            return init
        time.sleep(0.02)
    raise lambda_emulator.EmulatorError(f"no INIT REPORT in the emulator log:\n{emulator.log_tail()}")


def import_profile(runtime: Runtime, target: Target) -> list[Imported]:
    """``python -X importtime -c 'import app'`` in the function's environment, each line's best of a few runs.

    The first run only warms the page cache. Imports happen in the same order every run,
    so the lines of the runs line up.
    """
    command = [runtime.python, "-S", "-X", "importtime", "-c", "import app"]
    environment = runtime.environment(target)
    runs: list[list[Imported]] = []
    for _ in range(IMPORT_RUNS + 1):
        done = subprocess.run(
            command,
            cwd=target.build.function_dir,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise lambda_emulator.EmulatorError(
                f"importing {target.name}'s handler failed:\n{done.stderr[-3000:]}"
            )
        runs.append(
            [
                Imported(m["name"].rstrip(), int(m["self"]), int(m["cumulative"]))
                for m in map(_IMPORT_LINE.match, done.stderr.splitlines())
                if m
            ]
        )
    return [
        Imported(lines[0].name, min(i.self_us for i in lines), min(i.cumulative_us for i in lines))
        for lines in zip(*runs[1:], strict=True)
    ]


def measure(runtime: Runtime, targets: list[Target], starts: int = STARTS) -> ColdStart:
    payload = event_payload(FIRST_CALL)
    init: dict[str, list[float]] = {t.name: [] for t in targets}
    first_call: dict[str, list[float]] = {t.name: [] for t in targets}
    first_invoke: dict[str, list[float]] = {t.name: [] for t in targets}
    for round_ in range(starts + 1):
        # Alternate who goes first, so a drift in machine load hits both alike.
        for target in targets if round_ % 2 == 0 else targets[::-1]:
            with runtime.emulator(target) as emulator:
                connection = Connection(emulator)
                elapsed_ms, _ = connection.invoke(payload)
                connection.close()
                init_ms = _init_report(emulator)
                invoked = emulator.invoke_durations_ms()
            if round_ == 0:
                continue
            init[target.name].append(init_ms)
            first_call[target.name].append(elapsed_ms - init_ms)
            if invoked:
                first_invoke[target.name].append(invoked[0])
    profiles = {t.name: import_profile(runtime, t) for t in targets}
    ours = targets[0].name
    # The handler module itself is the total (a row of the cold start table), not one of its imports.
    imported = [i for i in profiles[ours] if i.name != "app"]
    top = sorted(imported, key=lambda i: i.cumulative_us, reverse=True)[:TOP_IMPORTS]
    return ColdStart(
        starts=starts,
        init_ms={k: summarize(v) for k, v in init.items()},
        first_call_ms={k: summarize(v) for k, v in first_call.items()},
        first_invoke_ms={k: summarize(v) for k, v in first_invoke.items() if v},
        import_ms={k: _app_import_ms(v) for k, v in profiles.items()},
        top_imports=top,
    )


def _app_import_ms(profile: list[Imported]) -> float:
    return next((i.cumulative_us for i in profile if i.name == "app"), 0) / 1000


def _spread(s: Summary) -> str:
    return f"{s.p50:.1f} ms ({s.low:.1f}-{s.high:.1f})"


def tables(result: ColdStart, ours: str, floor: str) -> list[Table]:
    cold = Table(
        f"Cold start: {result.starts} fresh emulator processes each, after one discarded start",
        ["figure", f"{ours} median (min-max)", "floor median (min-max)", "x floor", "ours - floor"],
    )
    rows = [
        ("INIT duration (INIT REPORT)", result.init_ms),
        (f"first {FIRST_CALL}, client side - INIT", result.first_call_ms),
        (f"first {FIRST_CALL}, RIE invoke duration", result.first_invoke_ms),
    ]
    for label, figures in rows:
        if ours in figures and floor in figures:
            a, b = figures[ours], figures[floor]
            cold.add(label, _spread(a), _spread(b), ratio(a.p50, b.p50), f"{a.p50 - b.p50:+.1f} ms")
    a_imp, b_imp = result.import_ms[ours], result.import_ms[floor]
    cold.add(
        f"`import app` (-X importtime, best of {IMPORT_RUNS})",
        f"{a_imp:.1f} ms",
        f"{b_imp:.1f} ms",
        ratio(a_imp, b_imp),
        f"{a_imp - b_imp:+.1f} ms",
    )
    cold.notes.append("The floor imports boto3 and json and creates its boto3 client on the first call.")

    imports = Table(
        f"Import profile of {ours}'s handler (`python3.13 -S -X importtime -c 'import app'`): "
        f"the {TOP_IMPORTS} most expensive imports by cumulative time, best of {IMPORT_RUNS} runs",
        ["#", "module", "cumulative", "self", "share of `import app`"],
    )
    for n, imp in enumerate(result.top_imports, 1):
        name = imp.name.strip()
        # -X importtime indents by two spaces per level; the handler's own imports are level 1.
        depth = (len(imp.name) - len(name)) // 2 - 1
        share = imp.cumulative_us / 1000 / a_imp if a_imp else 0
        imports.add(
            n,
            "· " * depth + name,
            f"{imp.cumulative_us / 1000:.1f} ms",
            f"{imp.self_us / 1000:.1f} ms",
            f"{share:.0%}",
        )
    imports.notes.append(
        "Unmarked: imported by app.py itself; one `·` per level below that. A module's cumulative "
        "time includes every module it was first to import."
    )
    return [cold, imports]
