"""Warm latency through the emulator, and the function's peak memory after it.

Ours and the floor run side by side, each behind one persistent HTTP connection to its
RIE. Each request is measured in a loop of its own (a warm-up, then the timed calls), a
steady stream of one kind as a busy client sends it; every round sends it once to each
function, alternating which goes first, so both see the same machine load. The tool calls reach the demo AWS
(moto on 127.0.0.1, in its own process); the floor makes the same boto3 call as the tool,
so the difference is what our protocol handling, validation and safety nets add.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

from bench.emulated import EVENT_FILES, Connection, Runtime, Target, event_payload
from bench.report import Summary, Table, megabytes, ratio, summarize

CALLS = 300
WARM_UP = 30


@dataclass(frozen=True)
class WarmLatency:
    calls: int
    latency_ms: dict[str, dict[str, Summary]]  # label -> target name -> summary
    reply_bytes: dict[str, dict[str, int]]  # label -> target name -> size of the response body
    peak_rss_kib: dict[str, int | None]  # target name -> VmHWM after the loop


def measure(runtime: Runtime, targets: list[Target], calls: int = CALLS) -> WarmLatency:
    labels = list(EVENT_FILES)
    payloads = {label: event_payload(label) for label in labels}
    samples: dict[str, dict[str, list[float]]] = {label: {t.name: [] for t in targets} for label in labels}
    sizes: dict[str, dict[str, int]] = {label: {} for label in labels}
    with ExitStack() as stack:
        emulators = {t.name: stack.enter_context(runtime.emulator(t)) for t in targets}
        connections = {name: Connection(emulator) for name, emulator in emulators.items()}
        for connection in connections.values():
            stack.callback(connection.close)
        for label in labels:
            for round_ in range(WARM_UP + calls):
                order = list(connections.items()) if round_ % 2 == 0 else list(connections.items())[::-1]
                for name, connection in order:
                    elapsed_ms, response = connection.invoke(payloads[label])
                    if round_ >= WARM_UP:
                        samples[label][name].append(elapsed_ms)
                    sizes[label][name] = len(response.get("body") or "")
        rss = {name: emulator.peak_rss_kib() for name, emulator in emulators.items()}
    return WarmLatency(
        calls=calls,
        latency_ms={label: {n: summarize(s) for n, s in by.items()} for label, by in samples.items()},
        reply_bytes=sizes,
        peak_rss_kib=rss,
    )


def tables(result: WarmLatency, ours: str, floor: str) -> list[Table]:
    warm = Table(
        f"Warm latency through the emulator: {result.calls} calls each after {WARM_UP} warm-up rounds, "
        "one keep-alive connection per function (client side, ms)",
        [
            "request",
            f"{ours} p50",
            f"{ours} p99",
            "floor p50",
            "floor p99",
            "p50 - floor",
            "p50 x floor",
            "reply bytes (ours / floor)",
        ],
    )
    for label, by in result.latency_ms.items():
        a, b = by[ours], by[floor]
        size = result.reply_bytes[label]
        warm.add(
            label,
            f"{a.p50:.2f}",
            f"{a.p99:.2f}",
            f"{b.p50:.2f}",
            f"{b.p99:.2f}",
            f"{a.p50 - b.p50:+.2f}",
            ratio(a.p50, b.p50),
            f"{size.get(ours, 0)} / {size.get(floor, 0)}",
        )
    warm.notes.append(
        "The floor answers tools/list with a fixed reply holding our catalogue's definitions (the "
        "bytes any server of these tools sends), and each tools/call with the same boto3 call the "
        "tool makes (sts GetCallerIdentity, ec2 DescribeInstances)."
    )

    memory = Table(
        "Peak RSS of the function's runtime process after the warm loop (VmHWM)",
        ["function", "peak RSS", "x floor"],
    )
    floor_kib = result.peak_rss_kib.get(floor)
    for name, kib in result.peak_rss_kib.items():
        memory.add(
            name,
            megabytes(kib * 1024) if kib else "n/a",
            ratio(kib, floor_kib) if kib and floor_kib else "-",
        )
    return [warm, memory]
