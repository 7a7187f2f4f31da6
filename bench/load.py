"""A bounded load generator: C clients, each on its own keep-alive connection, for a fixed time.

Runs as its own process (so it does not share a GIL with the server it measures) and
prints one JSON line: requests, errors (with a few samples), requests/s, p50 and p99.
Requests made during the warm-up are neither counted nor timed. A reply counts as an
error unless it is HTTP 200 with a JSON-RPC result that is not a tool error.

    python -m bench.load --url http://127.0.0.1:8000/mcp --event events/modern-tools-list.json \\
        --concurrency 8 --duration 5
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.report import percentile

# The event's headers a real MCP client sends (the rest are API Gateway's).
SENT_HEADERS = ("content-type", "accept", "mcp-protocol-version", "mcp-method", "mcp-name")
ERROR_SAMPLES = 5


def _problem(status: int, raw: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}: {raw[:200]!r}"
    try:
        body = json.loads(raw)
    except ValueError:
        return f"not JSON: {raw[:200]!r}"
    if not isinstance(body, dict) or "result" not in body:
        return f"not a JSON-RPC result: {raw[:200]!r}"
    if body["result"].get("isError"):
        return f"tool error: {raw[:200]!r}"
    return None


def run(
    url: str, event: dict[str, Any], concurrency: int, duration: float, warm_up: float
) -> dict[str, object]:
    target = urlsplit(url)
    body = str(event["body"]).encode()
    headers = {k: str(v) for k, v in event["headers"].items() if k.lower() in SENT_HEADERS}
    start = time.monotonic() + warm_up
    stop = start + duration
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
        mine: list[float] = []
        my_errors: list[str] = []
        while (sent := time.monotonic()) < stop:
            try:
                connection.request("POST", target.path, body=body, headers=headers)
                answer = connection.getresponse()
                problem = _problem(answer.status, answer.read())
            except (OSError, http.client.HTTPException) as err:
                problem = f"{type(err).__name__}: {err}"
                connection.close()  # reconnects on the next request
            done = time.monotonic()
            if sent >= start and done <= stop:
                mine.append((done - sent) * 1000)
                if problem:
                    my_errors.append(problem)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors.extend(my_errors)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:ERROR_SAMPLES],
        "rps": len(latencies) / duration,
        "p50_ms": percentile(latencies, 50) if latencies else None,
        "p99_ms": percentile(latencies, 99) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True)
    parser.add_argument("--event", required=True, type=Path, help="an API Gateway event from events/")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured")
    parser.add_argument("--warm-up", type=float, default=1.0, help="seconds before measuring")
    args = parser.parse_args()
    event = json.loads(args.event.read_text(encoding="utf-8"))
    print(json.dumps(run(args.url, event, args.concurrency, args.duration, args.warm_up)))


if __name__ == "__main__":
    main()
