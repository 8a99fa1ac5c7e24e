"""The `apply` command (not yet implemented)."""

from __future__ import annotations

from typing import Any

from connectfile.errors import UsageError


def run(**kwargs: Any) -> int:
    raise UsageError("error: `apply` is not implemented yet")
