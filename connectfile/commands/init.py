"""The `init` command: find the apps under a directory and write a commented connect.toml."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from connectfile.commands.common import CONFIG_NAME
from connectfile.errors import UsageError
from connectfile.scaffold.detect import (
    FRAMEWORKS,
    FoundApp,
    app_key,
    choose_entrypoint,
    detect_type,
    render,
)

# Directories never searched: the default excludes of SPEC §3 and other tools' caches.
SKIP_DIRS = frozenset({
    ".git", ".svn", "__pycache__", "node_modules", ".ipynb_checkpoints", ".Rproj.user",
    "packrat", "renv", "rsconnect", "rsconnect-python", ".posit", ".connect", "site-packages",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist",
})
MAX_SOURCE_BYTES = 1_000_000


def run(*, directory: Path) -> int:
    """Write DIR/connect.toml describing the apps found under DIR; never overwrite one."""
    if not directory.is_dir():
        raise UsageError(f"error: {directory}: not a directory")
    target = directory / CONFIG_NAME
    if target.exists():
        raise UsageError(f"error: {target} already exists; init never overwrites it "
                         "(edit it, or remove it and run init again)")
    apps = list(find_apps(directory))
    if not apps:
        kinds = ", ".join(module for module, _ in FRAMEWORKS)
        raise UsageError(f"error: no apps found under {directory} (looked for .py files "
                         f"importing {kinds}, or naming them in requirements.txt)")
    text = render(apps)
    try:
        with target.open("x", encoding="utf-8") as handle:  # "x": fail rather than overwrite
            handle.write(text)
    except FileExistsError:
        raise UsageError(f"error: {target} already exists; init never overwrites it") from None
    print(f"Wrote {target} with {len(apps)} app{'s' * (len(apps) != 1)}:")
    for app in apps:
        print(f"  {app.key}: {app.type} in {app.path}/")
    print("Next: review it, then run `connectfile validate`.")
    return 0


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
    return (path / "pyvenv.cfg").exists() or (path / "bin" / "python").exists()


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
            return None
        return path.read_text("utf-8", errors="replace")
    except OSError:
        return None
