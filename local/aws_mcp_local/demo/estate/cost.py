"""The demo's Cost Explorer: two months of the account's bill by service (USD 1,234.50 in all).

moto tracks no costs: it answers GetCostAndUsage from a queue of results set through its own
API (``/moto-api/static/ce/cost-and-usage-results``), each new question taking the next one.
The same bill is queued a few times, so the demo's first few cost questions, whatever their
period or grouping, are answered with it (and again from the cost cache when asked again).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Final

from aws_mcp_local.demo.estate import DemoClients

__all__ = ["BILL", "queue_results", "seed"]

BILL: Final = {
    "2026-09-01": {
        "Amazon Elastic Compute Cloud - Compute": "300.00",
        "Amazon Relational Database Service": "160.00",
        "Elastic Load Balancing": "80.00",
        "Amazon Simple Storage Service": "48.00",
        "AmazonCloudWatch": "20.00",
        "AWS Lambda": "6.00",
    },
    "2026-10-01": {
        "Amazon Elastic Compute Cloud - Compute": "312.40",
        "Amazon Relational Database Service": "158.20",
        "Elastic Load Balancing": "73.50",
        "Amazon Simple Storage Service": "49.10",
        "AmazonCloudWatch": "21.00",
        "AWS Lambda": "6.30",
    },
}
_NEXT_MONTH: Final = {"2026-09-01": "2026-10-01", "2026-10-01": "2026-11-01"}
# How many distinct questions the demo answers with the bill before moto answers "no costs".
_QUEUED: Final = 20
# In-process moto (tests) intercepts this host; a moto server answers it at its own address.
_IN_PROCESS_API: Final = "http://motoapi.amazonaws.com"


def bill_result(bill: dict[str, dict[str, str]] = BILL) -> dict[str, Any]:
    """A GetCostAndUsage answer grouped by SERVICE, a month a result."""
    return {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": start, "End": _NEXT_MONTH.get(start, start)},
                "Total": {},
                "Groups": [
                    {"Keys": [service], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}
                    for service, amount in services.items()
                ],
                "Estimated": False,
            }
            for start, services in bill.items()
        ],
        "DimensionValueAttributes": [],
    }


def queue_results(clients: DemoClients, results: list[dict[str, Any]]) -> None:
    """Queue GetCostAndUsage answers in the moto that ``clients`` reach."""
    endpoint = clients("ce").meta.endpoint_url
    base = endpoint if endpoint.startswith("http://127.0.0.1") else _IN_PROCESS_API
    url = f"{base}/moto-api/static/ce/cost-and-usage-results"
    body = json.dumps({"results": results}).encode()
    if base == _IN_PROCESS_API:
        import requests  # moto's in-process mock patches requests, not urllib

        requests.post(url, data=body, timeout=10).raise_for_status()
        return
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - our moto on 127.0.0.1
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def seed(clients: DemoClients) -> None:
    queue_results(clients, [bill_result()] * _QUEUED)
