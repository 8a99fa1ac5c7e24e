"""The `init` command (not yet implemented)."""

from __future__ import annotations

from typing import Any

from connectfile.errors import UsageError


def run(**kwargs: Any) -> int:
    raise UsageError("error: `init` is not implemented yet")
