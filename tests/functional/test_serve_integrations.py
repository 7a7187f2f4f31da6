"""The integrations REST API served by `aws-mcp serve --demo` beside /mcp, on the same port."""

from __future__ import annotations

import httpx
import pytest

from aws_mcp.config import ENV
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


def test_a_demo_served_to_a_viewer_lets_it_read_but_not_change_integrations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV.LOCAL_ROLE, "viewer")
    with background_server(demo=True) as mcp_url:
        api = mcp_url.removesuffix("/mcp") + "/api/v1/integrations"
        with httpx.Client(timeout=60) as http:
            listed = http.get(api).json()
            assert listed["count"] >= 1
            refused = http.post(f"{api}/{listed['items'][0]['id']}/test")
            assert refused.status_code == 403
            assert (refused.json()["required_role"], refused.json()["role"]) == ("admin", "viewer")
