"""Parse connect.toml text into the frozen model (stub until the config work lands)."""

from __future__ import annotations

from pathlib import Path

from connectfile.model import Project


def load_project(path: Path) -> Project:
    raise NotImplementedError
