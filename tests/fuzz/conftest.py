"""Hypothesis settings for the fuzz suite: bounded and reproducible.

The ``fuzz`` profile (the default) is derandomized, so CI runs the same examples every time
and the whole suite stays well under a minute; ``HYPOTHESIS_PROFILE=explore`` draws fresh,
more numerous examples on a developer's machine.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    "database": None,
}
settings.register_profile("fuzz", max_examples=60, derandomize=True, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("explore", max_examples=500, **_COMMON)  # type: ignore[arg-type]
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fuzz"))
