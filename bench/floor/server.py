"""The floor under uvicorn: the floor handler's answers from a bare ASGI app, with the demo AWS in process.

Shaped like ``aws-mcp serve --demo`` (uvicorn on 127.0.0.1, moto seeded with the demo
fleet in the same process) and nothing more: no routing, no header checks, no safety
nets. Blocking boto3 calls run in a worker thread, as any ASGI server must run them.

    python -m bench.floor.server --port 8123
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from typing import Any

from bench.floor import app as floor

Receive = Any
Send = Any


async def application(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["method"] != "POST":
        reply = b'{"status":"ok"}'
    else:
        request = json.loads(body)
        if request.get("method") == "tools/call":
            answer = await asyncio.to_thread(floor.answer, request)
        else:
            answer = floor.answer(request)
        reply = json.dumps(answer).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(reply)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": reply})


def main() -> None:
    import uvicorn

    from aws_mcp_local.demo import DEMO_KEY, DEMO_REGIONS, running_demo

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    with running_demo() as aws:
        os.environ.update(
            AWS_ENDPOINT_URL=aws.endpoint_url,
            AWS_ACCESS_KEY_ID=DEMO_KEY,
            AWS_SECRET_ACCESS_KEY=DEMO_KEY,
            AWS_REGION=DEMO_REGIONS[0],
        )
        uvicorn.run(application, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
