"""Where an app's key was written: the one target-aware resolver from key path to line."""

from __future__ import annotations

from connectfile.config.model import Project
from connectfile.errors import Location


def key_path(project: Project, app_key: str, key: str, target: str | None = None) -> str:
    """The dotted path that set `key` (e.g. `exclude`, `runtime.max_processes`) of an app.

    A target's `[apps.X.targets.T]` override wins over the app's own table, which wins over
    `[defaults]` (the merge order, config/rules.merge). A key set nowhere (a default value)
    is placed in the app's own table, so its line is the app's header.
    """
    candidates = [f"apps.{app_key}.{key}", f"defaults.{key}"]
    if target is not None:
        candidates.insert(0, f"apps.{app_key}.targets.{target}.{key}")
    for candidate in candidates:
        if candidate in project.lines:
            return candidate
    return candidates[-2]


def key_location(
    project: Project, app_key: str, key: str, target: str | None = None,
    index: int | None = None,
) -> Location:
    """File, line and key path of `key` (element `index` of an array key) of an app."""
    path = key_path(project, app_key, key, target)
    if index is not None:
        path = f"{path}[{index}]"
    line = project.lines.get(path) or project.line_of(path.rsplit("[", 1)[0])
    return Location(source=project.source, line=line, path=path)
