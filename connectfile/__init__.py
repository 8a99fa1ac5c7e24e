"""connectfile: deploy Python apps to Posit Connect from a checked-in connect.toml."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("connectfile")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
