"""The `validate` command (not yet implemented)."""

from __future__ import annotations

from typing import Any

from connectfile.errors import UsageError


def run(**kwargs: Any) -> int:
    raise UsageError("error: `validate` is not implemented yet")
