"""What the demo AWS holds, a module a service: each seeds its part with ``seed(aws)``.

A module here registers itself by being here (the catalogue's rule for tools, applied to the
demo): a service module's tools and its demo part are added together. Each part stands on its
own (the default VPC is there for anything that needs subnets), so parts seed in any order and
a test seeds only the parts it reads.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["DEMO_IMAGE", "DEMO_REGIONS", "DemoClients", "EstatePart", "parts"]

DEMO_REGIONS = ("us-east-1", "eu-west-1")
# An Amazon Linux AMI moto ships in every region; looking one up costs a second per region.
DEMO_IMAGE = "ami-760aaa0f"

DemoClients = Callable[..., Any]
"""``clients(service, region=DEMO_REGIONS[0], account=None)``: a boto3 client of the demo AWS (in
a member account, by its id: as that account's role; see :mod:`.accounts`)."""


class EstatePart(Protocol):
    def seed(self, clients: DemoClients) -> None: ...


def parts() -> dict[str, EstatePart]:
    """Every part of the demo estate, by module name."""
    return {
        module.name: importlib.import_module(f"{__name__}.{module.name}")
        for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    }
