"""A local Posit Connect double speaking the API subset of connect-api.md §15."""

from __future__ import annotations

from connectfile.emulator.server import Emulator

__all__ = ["Emulator"]
