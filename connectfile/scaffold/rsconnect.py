"""rsconnect-python's deployment records and `[tool.rsconnect]` as connect.toml apps (pure).

Formats: reference/rsconnect-python.md §8.1 (`rsconnect-python/<dir>.json`, keyed by
server URL) and §2 (`[tool.rsconnect]` in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from connectfile.config.model import APP_MODES
from connectfile.scaffold.peers import ImportedApp, Pin, Skipped, app_key, app_table

# Connect app mode -> connect.toml type; python-api is any WSGI app, so the generic "api".
MODES: Final[Mapping[str, str]] = {
    mode: kind for kind, mode in reversed(list(APP_MODES.items()))
}


def from_records(
    name: str, records: Any, *, path: str, source: str,
    tool: Mapping[str, Any] | None = None,
) -> ImportedApp | Skipped:
    """The app deployed from the directory at `path`, named `name` (rsconnect's default title).

    `records` is the parsed JSON of its record file (None when there is none); `tool` the
    `[tool.rsconnect]` table of its pyproject.toml, which wins for type, entrypoint, title.
    """
    entries = [e for e in (records.values() if isinstance(records, Mapping) else ())
               if isinstance(e, Mapping)]
    tool = tool or {}
    modes = [str(e.get("app_mode")) for e in entries if e.get("app_mode")]
    mode = str(tool.get("app_mode") or (modes[0] if modes else ""))
    if mode not in MODES:
        return Skipped(source=source, reason=f"app mode {mode!r} is not a Python app or API "
                       f"(connectfile deploys {', '.join(sorted(MODES))})")
    ours = MODES[mode]
    table = app_table(ours, path, tool.get("entrypoint"))
    dropped: list[str] = []
    titles = [str(e["title"]) for e in entries if isinstance(e.get("title"), str)]
    title = tool.get("title") or (titles[0] if titles else None)
    if isinstance(title, str) and 3 <= len(title) <= 1024:
        table["title"] = title
    requirements = tool.get("requirements_file")
    if isinstance(requirements, str) and requirements:
        table["requirements"] = requirements
    if len(set(modes)) > 1:
        dropped.append(f"app modes differ between servers ({', '.join(sorted(set(modes)))}); "
                       f"imported as {ours}")
    pins = tuple(
        Pin(server_url=str(e.get("server_url") or url), guid=str(e["app_guid"]), source=source)
        for url, e in (records.items() if isinstance(records, Mapping) else ())
        if isinstance(e, Mapping) and e.get("app_guid")
    )
    return ImportedApp(key=app_key(name), table=table, source=source, pins=pins,
                       dropped=tuple(dropped))
