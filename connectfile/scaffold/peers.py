"""What an import from Posit Publisher or rsconnect-python produces, tool-neutral (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from connectfile.config.model import FILE_ENTRYPOINT_TYPES

_DEFAULT_PORTS = {"http": 80, "https": 443}
_KEY_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True, kw_only=True, slots=True)
class Pin:
    """A peer tool's deployment record: content `guid` on the server at `server_url`."""

    server_url: str
    guid: str
    source: str  # the record file, as shown in the report
    deployed_at: str = ""  # for choosing the newest of two records for one server


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportedApp:
    """One app as connect.toml keys, the records found for it, and what was left behind."""

    key: str
    table: Mapping[str, Any]  # app keys in connect.toml's format, in writing order
    source: str  # the peer file it came from, relative to the import directory
    pins: tuple[Pin, ...] = ()
    dropped: tuple[str, ...] = ()  # "validate = false (…)": settings not carried over


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    """A peer file that gave no app, and why."""

    source: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Found:
    """Everything one importer read: apps to add and files it could not use."""

    apps: tuple[ImportedApp, ...] = ()
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)


def normalise_url(url: str) -> str:
    """A server URL compared as Publisher does: lowercase scheme and host, no default port,
    no trailing slash or `/__api__`, duplicate slashes collapsed (reference/publisher.md §4.1,
    rsconnect-python PR #830)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    path = path.removesuffix("/__api__").rstrip("/")
    return urlunsplit((scheme, host, path, "", ""))


def app_key(name: str) -> str:
    """A connect.toml app key (letters, digits, '-', '_') made from a file or directory name."""
    key = _KEY_CHARS.sub("-", name).strip("-")
    if len(key) < 3:  # the key is the default content name, which needs 3 to 64 characters
        key = f"{key or 'app'}-app"
    return key[:64]


def module_entrypoint(entrypoint: str) -> str:
    """`app.py` -> `app`, `pkg/main.py:api` -> `pkg.main:api`; `module:object` unchanged."""
    module, colon, obj = entrypoint.partition(":")
    if module.endswith(".py"):
        module = module[: -len(".py")].replace("/", ".")
    return f"{module}{colon}{obj}"


def app_table(app_type: str, path: str, entrypoint: object) -> dict[str, Any]:
    """The start of an imported app's table: its type, its path unless ".", its entrypoint."""
    table: dict[str, Any] = {"type": app_type}
    if path != ".":
        table["path"] = path
    if isinstance(entrypoint, str) and entrypoint:
        table["entrypoint"] = (entrypoint if app_type in FILE_ENTRYPOINT_TYPES
                               else module_entrypoint(entrypoint))
    return table
