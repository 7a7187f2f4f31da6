"""Where things are, and scripts/lambda_emulator.py (the build and the emulator) imported once."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EVENTS = REPO / "events"
WORK = REPO / ".aws-sam" / "bench"

sys.path.insert(0, str(REPO / "scripts"))
import lambda_emulator  # noqa: E402

__all__ = ["EVENTS", "REPO", "WORK", "lambda_emulator"]
