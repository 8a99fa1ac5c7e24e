"""Find the apps under a directory for `init`: walk it, read sources, detect each app (edge)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from connectfile.files.selection import DEFAULT_EXCLUDES
from connectfile.files.walk import venv_marker
from connectfile.scaffold.detect import FoundApp, app_key, choose_entrypoint, detect_type

# Directories never searched: the bundle's default excludes and other tools' caches and outputs.
SKIP_DIRS: Final = frozenset(
    {p.strip("/") for p in DEFAULT_EXCLUDES if p.endswith("/")}
    | {"site-packages", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
       "build", "dist"}
)
MAX_SOURCE_BYTES: Final = 1_000_000


def find_apps(root: Path) -> Iterator[FoundApp]:
    """App directories under `root`, top-down; an app's own subdirectories are not searched."""
    taken: set[str] = set()
    fallback = root.resolve().name
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(d for d in dirs if not _skipped(here / d))
        scripts = sorted(f for f in files if f.endswith(".py"))
        if not scripts:
            continue
        sources = {name: _read(here / name) or "" for name in scripts}
        requirements = _read(here / "requirements.txt")
        detected = detect_type(sources, requirements)
        if detected is None:
            continue
        dirs[:] = []
        app_type, evidence = detected
        rel = here.relative_to(root).as_posix()
        path = "." if rel in ("", ".") else rel

        def read(name: str, base: Path = here) -> str | None:
            return _read(base / name)

        key = app_key(path, taken, fallback)
        taken.add(key)
        yield FoundApp(
            key=key, type=app_type, path=path,
            entrypoint=choose_entrypoint(app_type, sorted(files), read),
            evidence=evidence, has_requirements=requirements is not None,
        )


def _skipped(path: Path) -> bool:
    name = path.name
    if name in SKIP_DIRS or name.startswith(".") or path.is_symlink():
        return True
    return venv_marker(path) is not None


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
            return None
        return path.read_text("utf-8", errors="replace")
    except OSError:
        return None
