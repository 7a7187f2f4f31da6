"""The integrations REST API served by `aws-mcp serve --demo` beside /mcp, on the same port."""

from __future__ import annotations

import httpx

from aws_mcp_local.serve import background_server


def test_the_demo_serves_the_integrations_api_beside_mcp_with_one_failing_integration() -> None:
    with background_server(demo=True) as mcp_url:
        api = mcp_url.removesuffix("/mcp") + "/api/v1/integrations"
        with httpx.Client(timeout=60) as http:
            failing = http.get(api, params={"status": "ERROR"}).json()
            assert [i["name"] for i in failing["items"]] == ["demo-chat-webhook"]
            assert "demo-chat-token" not in http.get(api).text
            made = http.post(
                api,
                json={
                    "name": "probe",
                    "type": "EVENT_BUS",
                    "direction": "OUTBOUND",
                    "endpoint": "ops-events",
                },
            )
            assert made.status_code == 201
            url = f"{api}/{made.json()['id']}"
            assert http.post(f"{url}/test").json()["healthy"] is True
            assert http.delete(url, params={"revision": 2}).status_code == 204
            assert http.get(url).status_code == 404
            assert http.get(api, headers={"host": "evil.example"}).status_code == 421
            assert http.get(mcp_url.removesuffix("/mcp") + "/api/v1/docs").status_code == 200
