"""The demo AWS (moto, seeded with the demo fleet) in a process of its own, for the emulator benchmarks.

In its own process so that its request handling does not share a GIL with the process
taking the timings. It lives as long as its stdin is open, so it stops by itself when
the benchmark ends, however it ends.

    python -m bench.demo_aws    # prints {"endpoint": ..., "instance_ids": ...}, serves until stdin closes
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from bench.paths import REPO, lambda_emulator


@contextmanager
def demo_aws_process() -> Iterator[str]:
    """Start the demo AWS in a child process; yield its endpoint URL; stop it on exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.demo_aws"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda_emulator.die_with_parent,  # noqa: PLW1509 - prctl only
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the demo AWS did not start (exit {process.wait(timeout=30)})")
        yield str(json.loads(line)["endpoint"])
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    from aws_mcp_local.demo import running_demo

    with running_demo() as aws:
        print(json.dumps({"endpoint": aws.endpoint_url, "instance_ids": aws.instance_ids}), flush=True)
        sys.stdin.read()  # until the parent closes it (or dies)


if __name__ == "__main__":
    main()
