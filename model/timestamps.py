"""The one timestamp format of manifests, registry and retrain logs, artifacts and workspace records."""

from __future__ import annotations

import time


def now() -> str:
    """Local time with its UTC offset, to the second (``2026-12-07T11:30:33+0000``): sortable and unambiguous."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
