"""Add imported apps to connect.toml text without touching a byte of what is there (pure).

New apps are appended as `[apps.KEY]` tables, values written by tomlkit, so the file's
comments and layout survive exactly: the old text is a prefix of the new one.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import tomlkit

from connectfile.scaffold.peers import ImportedApp, Pin, normalise_url

NEW_FILE = "version = 1\n"
_TABLES = ("runtime", "resources")


@dataclass(frozen=True, kw_only=True, slots=True)
class Added:
    """An app the import adds, with the targets its guid is pinned for."""

    app: ImportedApp
    pins: Mapping[str, str]  # target -> guid


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """The new file text, the TOML appended to it, and what to tell the user."""

    text: str
    fragment: str
    added: tuple[Added, ...]
    notes: tuple[str, ...]  # clashes, records with no target, settings not carried over


def add_apps(
    existing: str | None, existing_apps: Iterable[str], targets: Mapping[str, str | None],
    apps: Sequence[ImportedApp], *, tool: str,
) -> Outcome:
    """Append `apps` to `existing` (None: a new file), skipping keys already taken.

    `targets` maps each target name to its server URL (None when unknown); a record pins
    its guid for every target whose URL is the same server.
    """
    taken = set(existing_apps)
    servers = {name: normalise_url(url) for name, url in targets.items()
               if url and url != "local"}
    notes: list[str] = []
    added: list[Added] = []
    keys = _unique_keys(apps)
    for app, key in zip(apps, keys, strict=True):
        if key in taken:
            notes.append(f"{app.source}: app {key!r} is already in connect.toml: skipped "
                         "(never overwritten; rename the existing app to import this one)")
            continue
        taken.add(key)
        pins = _pins(key, app.pins, servers, notes)
        added.append(Added(app=_rekeyed(app, key), pins=pins))
        notes.extend(f"{app.source}: not carried over: {item}" for item in app.dropped)
    fragment = "\n".join(_render(a, tool) for a in added)
    text = existing if existing is not None else NEW_FILE
    if fragment:
        text = (text if text.endswith("\n") or not text else text + "\n") + "\n" + fragment
    return Outcome(text=text, fragment=fragment, added=tuple(added), notes=tuple(notes))


def _unique_keys(apps: Sequence[ImportedApp]) -> list[str]:
    """Keys for `apps`; two files with one name (two projects' `default.toml`) get their
    directory's name in front."""
    counts: dict[str, int] = {}
    for app in apps:
        counts[app.key] = counts.get(app.key, 0) + 1
    keys: list[str] = []
    for app in apps:
        key = app.key
        if counts[key] > 1:
            folder = posixpath.basename(str(app.table.get("path", ".")).rstrip("/"))
            key = f"{re.sub(r'[^A-Za-z0-9_-]+', '-', folder).strip('-')}-{key}".lstrip("-")
        while key in keys:
            key += "-2"
        keys.append(key)
    return keys


def _rekeyed(app: ImportedApp, key: str) -> ImportedApp:
    if key == app.key:
        return app
    return ImportedApp(key=key, table=app.table, source=app.source, pins=app.pins,
                       dropped=app.dropped)


def _pins(key: str, pins: Sequence[Pin], servers: Mapping[str, str],
          notes: list[str]) -> dict[str, str]:
    chosen: dict[str, Pin] = {}
    for pin in sorted(pins, key=lambda p: p.deployed_at):
        url = normalise_url(pin.server_url)
        matching = [name for name, server in servers.items() if server == url]
        if not matching:
            name = _target_name(url)
            notes.append(
                f"{pin.source}: {key} was deployed to {url}, which no target names: add "
                f'[targets.{name}] with server = "{url}" and [apps.{key}.targets.{name}] '
                f'with guid = "{pin.guid}" to keep updating that content')
        for name in matching:
            if name in chosen and chosen[name].guid != pin.guid:
                notes.append(f"{pin.source}: {key} has two records for target {name!r}; "
                             f"pinned the newer one ({pin.guid})")
            chosen[name] = pin
    return {name: pin.guid for name, pin in sorted(chosen.items())}


def _target_name(url: str) -> str:
    host = urlsplit(url).hostname or "server"
    label = host.split(".")[0] if not host.replace(".", "").isdigit() else "server"
    return re.sub(r"[^A-Za-z0-9_-]+", "-", label) or "server"


def _render(added: Added, tool: str) -> str:
    app = added.app
    lines = [f"# Imported from {app.source} ({tool})."]
    lines += [f"# Not carried over: {item}" for item in app.dropped]
    lines.append(f"[apps.{app.key}]")
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in app.table.items():
        if key in _TABLES and isinstance(value, Mapping):
            tables.append((key, value))
        else:
            lines.append(f"{key} = {_value(value)}")
    for name, values in tables:
        lines += ["", f"[apps.{app.key}.{name}]"]
        lines += [f"{k} = {_value(v)}" for k, v in values.items()]
    for target, guid in added.pins.items():
        lines += ["", f"[apps.{app.key}.targets.{target}]", f"guid = {_value(guid)}"]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    """`value` as TOML, quoted and escaped by tomlkit; tables inline (`{ A = "1" }`)."""
    if isinstance(value, Mapping):
        table = tomlkit.inline_table()
        table.update(dict(value))
        return str(table.as_string()).strip()
    return str(tomlkit.item(value).as_string())
