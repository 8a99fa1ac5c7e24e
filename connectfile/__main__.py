"""Allow `python -m connectfile`."""

from __future__ import annotations

from connectfile.cli import entry

entry()
