"""connectfile: deploy Python apps to Posit Connect from a checked-in connect.toml."""

from __future__ import annotations

# The one place the version is written: pyproject.toml reads it from here (hatch), so no
# run pays for importlib.metadata (~50 ms) just to print it.
__version__ = "0.1.0"
