"""Find the apps under a directory for `init`: walk it, read sources, detect each app (edge).

An app is a directory whose top-level .py files import a framework, or a directory holding
a dependency file (requirements.txt, pyproject.toml, uv.lock, pylock.toml) whose app lives in
a package below it (`pkg/main.py` with relative imports is deployed from there as
`pkg.main:app`) or under `src/`. Test folders are never apps; folders with only notebooks,
Quarto, R or plain scripts are reported as skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from connectfile.config.model import FILE_ENTRYPOINT_TYPES
from connectfile.files import entrypoints, pysource
from connectfile.files.selection import DEFAULT_EXCLUDES
from connectfile.files.walk import venv_marker
from connectfile.scaffold.detect import FoundApp, app_key, choose_entrypoint, detect_type

# Directories never searched: the bundle's default excludes and other tools' caches and outputs.
SKIP_DIRS: Final = frozenset(
    {p.strip("/") for p in DEFAULT_EXCLUDES if p.endswith("/")}
    | {"site-packages", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
       "build", "dist"}
)
TEST_DIRS: Final = frozenset({"tests", "test", "testing"})
DEP_FILES: Final = ("requirements.txt", "pyproject.toml", "uv.lock", "pylock.toml")
MAX_SOURCE_BYTES: Final = 1_000_000


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    """A folder init looked at and left out, with the reason shown to the user."""

    path: str
    reason: str


def find_apps(root: Path) -> Iterator[FoundApp]:
    """App directories under `root`, top-down; an app's own subdirectories are not searched."""
    for found in discover(root):
        if isinstance(found, FoundApp):
            yield found


def discover(root: Path) -> Iterator[FoundApp | Skipped]:
    """Apps and skipped folders under `root`, top-down."""
    taken: set[str] = set()
    fallback = root.resolve().name
    for current, dirs, files in os.walk(root):
        here = Path(current)
        rel = here.relative_to(root).as_posix()
        path = "." if rel in ("", ".") else rel
        for name in sorted(d for d in dirs if d in TEST_DIRS):
            yield Skipped(path=_join(path, name), reason="tests")
        dirs[:] = sorted(d for d in dirs if d not in TEST_DIRS and not _skipped(here / d))
        found = _app_here(here, sorted(files), path, taken, fallback)
        if found is not None:
            dirs[:] = []
            taken.add(found.key)
            yield found
            continue
        reason = _why_not(files)
        if reason is not None:
            yield Skipped(path=path, reason=reason)


def _app_here(here: Path, files: list[str], path: str, taken: set[str],
              fallback: str) -> FoundApp | None:
    scripts = [f for f in files if f.endswith(".py")]
    sources = {name: _read(here / name) or "" for name in scripts}
    requirements = _read(here / "requirements.txt")

    def read(name: str, base: Path = here) -> str | None:
        return _read(base / name)

    detected = detect_type(sources, requirements) if scripts else None
    has_deps = any((here / name).is_file() for name in DEP_FILES)
    if detected is not None:
        app_type, evidence = detected
        entrypoint = choose_entrypoint(app_type, files, read)
        if not _relative_imports(sources, entrypoint, app_type):
            return FoundApp(key=app_key(path, taken, fallback), type=app_type, path=path,
                            entrypoint=entrypoint, evidence=evidence,
                            has_requirements=has_deps)
        return None  # a module of a package: found from the package's parent
    if not has_deps:
        return None
    nested = _nested_app(here, requirements)
    if nested is None:
        return None
    app_type, entrypoint = nested
    return FoundApp(key=app_key(path, taken, fallback), type=app_type, path=path,
                    entrypoint=entrypoint, evidence="imports", has_requirements=True)


def _relative_imports(sources: dict[str, str], entrypoint: str | None, app_type: str) -> bool:
    """True when the file init would deploy imports from its own package (`from .x import`)."""
    try:
        name = entrypoint or entrypoints.infer(app_type, list(sources))
    except entrypoints.EntrypointError:
        return False
    filename = name if name.endswith(".py") else name.partition(":")[0] + ".py"
    tree, _ = pysource.parse(filename, sources.get(filename, ""))
    return tree is not None and pysource.has_relative_import(tree)


def _nested_app(here: Path, requirements: str | None) -> tuple[str, str] | None:
    """(type, entrypoint) of an app in a package below `here` or under `src/`."""
    for sub in sorted(p for p in here.iterdir() if p.is_dir() and not _skipped(p)
                      and p.name not in TEST_DIRS):
        is_package = (sub / "__init__.py").is_file()
        if not is_package and sub.name != "src":
            continue
        for module in _modules(sub):
            source = _read(module) or ""
            detected = detect_type({module.name: source}, requirements)
            if detected is None or detected[1] != "imports":
                continue
            app_type = detected[0]
            rel = module.relative_to(here).as_posix()
            if app_type in FILE_ENTRYPOINT_TYPES:
                return app_type, rel
            if not is_package:
                continue  # a module under src/ needs `path` pointing there; not guessed
            dotted = rel[:-3].replace("/", ".").removesuffix(".__init__")
            tree, _ = pysource.parse(rel, source)
            obj = entrypoints.app_object(app_type, tree) if tree is not None else None
            candidate = f"{dotted}:{obj}" if obj else dotted
            if entrypoints.check(app_type, candidate, lambda r: _read(here / r)) is None:
                return app_type, candidate
    return None


def _modules(package: Path) -> list[Path]:
    """The package's .py files, its own first, then one level of subpackages."""
    own = sorted(package.glob("*.py"), key=lambda p: (p.name != "__init__.py", p.name))
    deeper = sorted(p for p in package.glob("*/*.py") if (p.parent / "__init__.py").is_file())
    return [*own, *deeper]


def _why_not(files: list[str]) -> str | None:
    suffixes = {os.path.splitext(f)[1].lower() for f in files}
    if ".qmd" in suffixes or "_quarto.yml" in files:
        return "Quarto (not deployed by connectfile)"
    if ".ipynb" in suffixes:
        return "notebooks (not deployed by connectfile)"
    if ".r" in suffixes or ".rmd" in suffixes or "DESCRIPTION" in files:
        return "R (not deployed by connectfile)"
    if ".py" in suffixes and "__init__.py" not in files:
        return "Python scripts that import no app framework"
    return None


def _join(base: str, name: str) -> str:
    return name if base == "." else f"{base}/{name}"


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
