"""Parse connect.toml text into the frozen model: tomlkit, the schema, then cross-field rules."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError

from connectfile.config import schema
from connectfile.config.lines import duplicate_line, format_path, line_map
from connectfile.config.model import (
    DEFAULT_API_KEY_ENV,
    IMPLICIT_TARGET,
    App,
    FileMapping,
    Project,
    Resources,
    Runtime,
    Target,
)
from connectfile.config.rules import anchored, check_rules, memory_bytes, merge, project_path
from connectfile.errors import ConfigError, Issue

_MEMORY_KEYS = ("memory_request", "memory_limit")
_FLOAT_KEYS = ("load_factor", "cpu_request", "cpu_limit")


class Checked(Protocol):
    """Fingerprints (`schema.fingerprint`) of texts known to pass the schema; a set will do."""

    def __contains__(self, fingerprint: object, /) -> bool: ...

    def add(self, fingerprint: str, /) -> None: ...


def load_project(path: Path, *, checked: Checked | None = None) -> Project:
    """Read and parse the connect.toml at `path` (messages name it as given, or relative to cwd).

    `checked` skips the schema check (and the jsonschema import) for a text it already passed.
    """
    source = str(path)
    if path.is_absolute():
        try:
            source = os.path.relpath(path)
        except ValueError:  # another drive on Windows
            source = str(path)
    # Absolute, so the kept path still names the file after a change of directory.
    return load_bytes(path.read_bytes(), source=source, root=path.absolute().parent,
                      path=path.absolute(), checked=checked)


def load_bytes(
    data: bytes, *, source: str, root: Path, path: Path | None = None,
    checked: Checked | None = None,
) -> Project:
    """Decode connect.toml bytes (UTF-8, an optional BOM) and parse them; the bytes are kept."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError([Issue(
            source=source, line=line, path="",
            message=f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at column "
            f"{column}); save it as UTF-8",
        )]) from None
    # The same text read_text() would give (universal newlines), without a BOM editors add.
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return parse_project(text, source=source, root=root, path=path, config_bytes=data,
                         checked=checked)


def parse_project(
    text: str, *, source: str, root: Path, path: Path | None = None,
    config_bytes: bytes | None = None, checked: Checked | None = None,
) -> Project:
    """Parse connect.toml `text`; raise ConfigError listing every problem, sorted by line.

    `config_bytes` are the bytes `text` was decoded from (its UTF-8 encoding when omitted).
    """
    text = text.removeprefix("\ufeff")
    try:
        data: dict[str, Any] = tomlkit.parse(text).unwrap()
    except TOMLKitError as exc:
        raise ConfigError([_syntax_issue(source, text, exc)]) from None
    except RecursionError:  # tomlkit caps nesting at 100; this is a guard, not a path
        raise ConfigError([Issue(source=source, line=1, path="",
                                 message="values are nested too deeply")]) from None
    lines = line_map(text)

    def issue(path: tuple[str | int, ...], message: str) -> Issue:
        return Issue(source=source, line=_line_of(lines, path), path=format_path(path),
                     message=message)

    raw = text.encode("utf-8") if config_bytes is None else config_bytes
    fingerprint = None if checked is None else schema.fingerprint(raw)
    if checked is not None and fingerprint in checked:
        issues: list[Issue] = []  # this exact text passed the schema before
    else:
        issues = [issue(path, message) for path, message in schema.check(data)]
        if checked is not None and fingerprint is not None and not issues:
            checked.add(fingerprint)
    issues += [issue(path, message) for path, message in check_rules(data)]
    if issues:
        raise ConfigError(issues)
    project = _build(data, source=source, root=root, lines=lines)
    return replace(project, path=path, config_bytes=raw)


def _line_of(lines: Mapping[str, int], path: tuple[str | int, ...]) -> int:
    for end in range(len(path), 0, -1):
        line = lines.get(format_path(path[:end]))
        if line:
            return line
    return 1  # top-level problems (a missing `version`) belong to the top of the file


def _syntax_issue(source: str, text: str, exc: TOMLKitError) -> Issue:
    message = str(exc)
    if message.startswith("Key ") and " already exists." in message:
        message = message.replace("Key ", "key ", 1).split(" already exists.")[0]
        message += " is defined twice (remove one of them)"
    if isinstance(exc, ParseError):
        message = message.removesuffix(f" at line {exc.line} col {exc.col}")
        message = _SYNTAX_HINTS.get(message, message)
        line, col = _true_position(text, exc.line, exc.col)
        return Issue(source=source, line=line, path="",
                     message=f"syntax error at column {col + 1}: {message}")
    # Errors tomlkit raises without a position (a table or key defined twice).
    return Issue(source=source, line=duplicate_line(text), path="",
                 message=f"syntax error: {message[:1].lower()}{message[1:]}")


def _true_position(text: str, line: int, col: int) -> tuple[int, int]:
    """tomlkit counts lines with str.splitlines(), which also breaks at U+0085, U+2028 and
    friends; TOML (and every editor showing the file) breaks only at "\\n"."""
    offset = sum(len(part) for part in text.splitlines(keepends=True)[: line - 1]) + col
    offset = min(max(offset, 0), len(text))
    start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - start


_SYNTAX_HINTS = {
    "Unexpected character: '\\x00'": "unexpected end of file (is a quote, ] or } missing?)",
    "Unexpected character: '\\n'": "unexpected end of line (is a value missing after =?)",
    "Control characters (codes less than 0x1f and 0x7f) are not allowed in strings, use "
    "\\u000a instead": "the string is not closed on this line (add the closing quote; "
    'use """ for text over several lines)',
}


def _build(data: Mapping[str, Any], *, source: str, root: Path, lines: dict[str, int]) -> Project:
    targets = tuple(_targets(data.get("targets", {})))
    defaults = data.get("defaults", {})
    apps_raw: Mapping[str, Any] = data["apps"]
    base = {key: merge(defaults, raw) for key, raw in apps_raw.items()}
    apps = tuple(_app(key, raw) for key, raw in base.items())
    target_apps = {
        t.name: tuple(
            _app(key, merge(raw, apps_raw[key].get("targets", {}).get(t.name, {})), t.name)
            for key, raw in base.items()
        )
        for t in targets
    }
    return Project(
        source=source,
        root=root,
        version=int(data["version"]),
        targets=targets,
        apps=apps,
        target_apps=MappingProxyType(target_apps),
        lines=MappingProxyType(lines),
    )


def _targets(raw: Mapping[str, Any]) -> Iterator[Target]:
    if not raw:
        yield Target(name=IMPLICIT_TARGET, server=None, default=True)
        return
    for name, table in raw.items():
        yield Target(
            name=name,
            server=table["server"],
            api_key_env=table.get("api_key_env", DEFAULT_API_KEY_ENV),
            ca_bundle=table.get("ca_bundle"),
            insecure=bool(table.get("insecure", False)),
            auth=table.get("auth", "key"),
            audience=table.get("audience"),
            default=bool(table.get("default", len(raw) == 1)),
            prune=bool(table.get("prune", False)),
        )


def _app(key: str, raw: Mapping[str, Any], target: str | None = None) -> App:
    path = _clean(raw.get("path", "."))
    files: list[str] = []
    mappings: list[FileMapping] = []
    for entry in raw.get("files", ()):
        if isinstance(entry, str):
            inside = anchored(entry, path)
            # One outside the app dir stays as written, for the message that refuses it.
            files.append(_strip_dot(entry if inside.startswith("../") else inside))
        else:
            source = _clean(project_path(entry["from"], path))
            mappings.append(FileMapping(source=source, dest=_clean(entry["to"])))
    runtime: dict[str, Any] = {
        k: float(v) if k in _FLOAT_KEYS else v for k, v in raw.get("runtime", {}).items()
    }
    resources: dict[str, Any] = {
        k: memory_bytes(v) if k in _MEMORY_KEYS else float(v) if k in _FLOAT_KEYS else v
        for k, v in raw.get("resources", {}).items()
    }
    return App(
        key=key,
        type=raw["type"],
        path=path,
        entrypoint=raw.get("entrypoint"),
        name=raw.get("name", key),
        title=raw.get("title"),
        description=raw.get("description"),
        files=tuple(files),
        mappings=tuple(mappings),
        exclude=tuple(raw.get("exclude", ())),
        include=tuple(raw["include"]) if "include" in raw else None,
        requirements=_clean(raw["requirements"]) if "requirements" in raw else None,
        package_manager=raw.get("package_manager"),
        python=raw.get("python"),
        env=MappingProxyType(dict(raw.get("env", {}))),
        secrets=tuple(raw.get("secrets", ())),
        access=raw.get("access"),
        vanity_url=raw.get("vanity_url"),
        runtime=Runtime(**runtime),
        resources=Resources(**resources),
        guid=raw.get("guid"),
        viewers=_listed(raw, "viewers"),
        collaborators=_listed(raw, "collaborators"),
        tags=_listed(raw, "tags"),
        metadata=MappingProxyType(dict(raw.get("metadata", {}))),
        git_metadata=bool(raw.get("git_metadata", True)),
        target=target,
    )


def _listed(raw: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    """A list key that is the whole truth when present (empty too) and unmanaged when absent."""
    return tuple(raw[key]) if key in raw else None


def _clean(path: str) -> str:
    """A POSIX path without `./`, `//` or inner `..` (a leading `..` stays: checks flag it)."""
    return posixpath.normpath(path.replace("\\", "/"))


def _strip_dot(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path
