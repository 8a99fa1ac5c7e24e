"""Find and read Publisher and rsconnect-python files under a directory (edge: disk reads)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from connectfile.scaffold import publisher, rsconnect
from connectfile.scaffold.peers import Found, ImportedApp, Skipped

# Never searched: other tools' caches and environments (a virtualenv holds site-packages).
_SKIP = frozenset({".git", ".svn", "__pycache__", "node_modules", ".ipynb_checkpoints",
                   "site-packages", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
                   ".ruff_cache", ".connect", "renv", "packrat"})


def read_publisher(directory: Path, root: Path) -> Found:
    """Every `.posit/publish/<name>.toml` under `directory`; paths are made relative to `root`."""
    apps: list[ImportedApp] = []
    skipped: list[Skipped] = []
    for project in _projects(directory, (".posit", "publish")):
        folder = project / ".posit" / "publish"
        records: list[tuple[str, Mapping[str, Any]]] = []
        for file in sorted((folder / "deployments").glob("*.toml")):
            data = _toml(file)
            if isinstance(data, dict):
                records.append((_shown(file, root), data))
            else:
                skipped.append(Skipped(source=_shown(file, root), reason=data))
        for file in sorted(folder.glob("*.toml")):
            source = _shown(file, root)
            data = _toml(file)
            if not isinstance(data, dict):
                skipped.append(Skipped(source=source, reason=data))
                continue
            result = publisher.from_config(file.stem, data, path=_relative(project, root),
                                           source=source, records=records)
            (apps if isinstance(result, ImportedApp) else skipped).append(result)  # type: ignore[arg-type]
    return Found(apps=tuple(apps), skipped=tuple(skipped))


def read_rsconnect(directory: Path, root: Path) -> Found:
    """Every `rsconnect-python/*.json` record and `[tool.rsconnect]` table under `directory`."""
    apps: list[ImportedApp] = []
    skipped: list[Skipped] = []
    projects = {p: None for p in _projects(directory, ("rsconnect-python",))}
    projects.update({p: None for p in _pyprojects(directory)})
    for project in sorted(projects):
        tool = _tool_table(project / "pyproject.toml")
        files = sorted((project / "rsconnect-python").glob("*.json"))
        sources: list[tuple[str, Any, str]] = []
        for file in files:
            try:
                sources.append((file.stem, json.loads(file.read_text("utf-8")),
                                _shown(file, root)))
            except (OSError, ValueError) as exc:
                skipped.append(Skipped(source=_shown(file, root),
                                       reason=f"not a readable record ({exc})"))
        if not sources and tool:
            sources.append((project.resolve().name, None,
                            _shown(project / "pyproject.toml", root)))
        for name, records, source in sources:
            result = rsconnect.from_records(name, records, path=_relative(project, root),
                                            source=source, tool=tool)
            (apps if isinstance(result, ImportedApp) else skipped).append(result)  # type: ignore[arg-type]
    return Found(apps=tuple(apps), skipped=tuple(skipped))


def _projects(directory: Path, marker: tuple[str, ...]) -> Iterator[Path]:
    """Directories under `directory` (itself included) holding the folder `marker`."""
    for current, dirs, _ in os.walk(directory):
        here = Path(current)
        if here.joinpath(*marker).is_dir():
            yield here
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith(".posit")
                         and d != "rsconnect-python"
                         and not (here / d / "pyvenv.cfg").exists())


def _pyprojects(directory: Path) -> Iterator[Path]:
    for current, dirs, files in os.walk(directory):
        if "pyproject.toml" in files and _tool_table(Path(current) / "pyproject.toml"):
            yield Path(current)
        dirs[:] = sorted(d for d in dirs if d not in _SKIP and not d.startswith(".")
                         and not (Path(current) / d / "pyvenv.cfg").exists())


def _tool_table(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = _toml(path)
    if not isinstance(data, dict):
        return None
    tool = data.get("tool", {}).get("rsconnect") if isinstance(data.get("tool"), dict) else None
    return tool if isinstance(tool, dict) and tool else None


def _toml(path: Path) -> dict[str, Any] | str:
    """The parsed file, or why it could not be read."""
    try:
        data: dict[str, Any] = tomlkit.parse(path.read_text("utf-8")).unwrap()
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot be read ({exc})"
    except TOMLKitError as exc:
        return f"not valid TOML ({exc})"
    return data


def _relative(path: Path, root: Path) -> str:
    rel = os.path.relpath(path.resolve(), root.resolve())
    return Path(rel).as_posix()


def _shown(path: Path, directory: Path) -> str:
    try:
        return path.relative_to(directory).as_posix()
    except ValueError:
        return path.as_posix()
