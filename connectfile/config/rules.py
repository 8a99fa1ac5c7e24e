"""Rules of connect.toml that JSON Schema cannot express: merging, targets, ranges, path shapes."""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from connectfile.config.model import APP_MODES, IMPLICIT_TARGET
from connectfile.config.schema import memory_message

Path = tuple[str | int, ...]
Found = Iterator[tuple[Path, str]]

MERGED_TABLES = frozenset({"env", "runtime", "resources", "metadata"})
MAX_MEMORY = 9_007_198_180_999_168  # Connect's bound (reference/connect-api.md §4.1, code 181)

_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15}
_MEMORY = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?)(i?)(b?)\s*", re.IGNORECASE)


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`: env/runtime/resources merge key by key, everything else replaces.

    An app's own `targets` table is never carried into the merged result.
    """
    out = {k: v for k, v in base.items() if k != "targets"}
    for key, value in over.items():
        if key == "targets":
            continue
        if key in MERGED_TABLES and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def memory_bytes(value: int | str) -> int:
    """`2GiB` -> 2147483648; K/M/G/T/P are powers of 1000, Ki/Mi/... (with or without B) of 1024."""
    if isinstance(value, int):
        return value
    match = _MEMORY.fullmatch(value)
    if not match or (match.group(3) and not match.group(2)):
        raise ValueError(memory_message(value))
    number, prefix, binary, _ = match.groups()
    scale = 1024 ** "kmgtp".index(prefix.lower()) * 1024 if binary else _UNITS[prefix.lower()]
    try:
        amount = Decimal(number) * scale
    except InvalidOperation:
        raise ValueError(memory_message(value)) from None
    if amount != amount.to_integral_value():
        raise ValueError(f'"{value}" is not a whole number of bytes ({amount} bytes)')
    return int(amount)


def check_rules(data: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """Cross-field problems in parsed (possibly schema-invalid) data; never raises."""
    found: list[tuple[Path, str]] = []
    targets = data.get("targets")
    declared = list(targets) if isinstance(targets, dict) and targets else [IMPLICIT_TARGET]
    if isinstance(targets, dict):
        found += _default_targets(targets)
    defaults = data.get("defaults") if isinstance(data.get("defaults"), dict) else {}
    apps = data.get("apps")
    if not isinstance(apps, dict):
        return found
    assert isinstance(defaults, dict)
    found += _memory(("defaults",), defaults)
    found += _paths(("defaults",), defaults, defaults)
    for key, raw in apps.items():
        if not isinstance(raw, dict):
            continue
        app = merge(defaults, raw)
        found += _app_shape(key, raw, app)
        found += _memory(("apps", key), raw)
        found += _ranges(("apps", key), app, raw, None)
        overrides = raw.get("targets")
        if not isinstance(overrides, dict):
            continue
        for name, over in overrides.items():
            where: Path = ("apps", key, "targets", name)
            if name not in declared:
                found.append((where, _undefined_target(name, declared)))
            if isinstance(over, dict):
                found += _memory(where, over)
                found += _ranges(("apps", key), merge(app, over), raw, name)
                found += _paths(where, over, merge(app, over))
    found += _duplicate_names(apps, defaults, declared)
    return found


def _default_targets(targets: Mapping[str, Any]) -> Found:
    marked = [n for n, t in targets.items() if isinstance(t, dict) and t.get("default") is True]
    for name in marked[1:]:
        yield (("targets", name, "default"),
               f"targets {', '.join(marked)} are all marked default = true (keep only one)")


def _undefined_target(name: str, declared: list[str]) -> str:
    if declared == [IMPLICIT_TARGET]:
        return (f"override for undefined target {name!r} (with no [targets] table the only "
                f"target is the implicit {IMPLICIT_TARGET!r}; add a [targets.{name}] table)")
    near = difflib.get_close_matches(name, declared, n=1)
    hint = f"did you mean {near[0]!r}? " if near else ""
    return (f"override for undefined target {name!r} ({hint}defined: {', '.join(declared)}; "
            f"add a [targets.{name}] table or fix the name)")


def _app_shape(key: str, raw: Mapping[str, Any], app: Mapping[str, Any]) -> Found:
    where: Path = ("apps", key)
    if "type" not in app:
        yield (*where, "type"), (
            f"missing required key 'type' (one of {', '.join(APP_MODES)})")
    if "name" not in app and isinstance(key, str) and not 3 <= len(key) <= 64:
        yield where, (f"the content name defaults to the app key {key!r}, which is not 3 to 64 "
                      "characters long (set name = \"...\")")
    yield from _paths(where, raw, app)


def _paths(where: Path, raw: Mapping[str, Any], app: Mapping[str, Any]) -> Found:
    """Path shapes: the app dir inside the project, files inside the app dir, mapping targets."""
    path = app.get("path", ".")
    if isinstance(path, str) and "path" in raw and _escapes(path):
        yield (*where, "path"), (f"{path!r} is outside the project root (app paths are relative "
                                 "to the directory holding connect.toml)")
    app_dir = path if isinstance(path, str) and not _escapes(path) else "."
    for index, entry in enumerate(raw.get("files", ()) if isinstance(raw.get("files"), list)
                                  else ()):
        at: Path = (*where, "files", index)
        if isinstance(entry, str) and _escapes(anchored(entry, app_dir)):
            yield at, (f"{entry!r} is outside the app directory (to bundle shared code, use "
                       f'{{ from = "{entry}", to = "{posixpath.basename(entry) or "shared"}" }})')
        elif isinstance(entry, dict):
            source, dest = entry.get("from"), entry.get("to")
            if isinstance(source, str) and _escapes(project_path(source, app_dir)):
                yield (*at, "from"), (f"{source!r} is outside the project root (from is "
                                      "relative to the app directory; a leading / means "
                                      "the project root)")
            if isinstance(dest, str) and (_escapes(dest) or posixpath.normpath(dest) == "."):
                yield (*at, "to"), (f"{dest!r} is not a path inside the bundle "
                                    "(use a relative path such as \"common\")")
    requirements = raw.get("requirements")
    if isinstance(requirements, str) and _escapes(requirements):
        yield (*where, "requirements"), (f"{requirements!r} is outside the app directory "
                                         "(requirements are bundled beside the app)")
    entrypoint = raw.get("entrypoint")
    if isinstance(entrypoint, str) and _escapes(entrypoint):
        yield (*where, "entrypoint"), f"{entrypoint!r} is outside the app directory"


def project_path(path: str, app_dir: str) -> str:
    """A `files` path as seen from the project root: a leading `/` anchors it there (so one
    line in [defaults] means the same for every app), otherwise it is relative to `app_dir`."""
    path = path.replace("\\", "/")
    if path.startswith("/") and not path.startswith("//"):
        return "." + path
    return posixpath.join(app_dir, path)


def anchored(path: str, app_dir: str) -> str:
    """A `files` path relative to `app_dir`, resolving a leading `/` to the project root."""
    if path.startswith("/") and not path.startswith("//"):
        return posixpath.relpath(posixpath.normpath("." + path), posixpath.normpath(app_dir))
    return path


def _escapes(path: str) -> bool:
    path = path.replace("\\", "/")
    if path.startswith("/") or re.match(r"[A-Za-z]:[/\\]", path):
        return True
    norm = posixpath.normpath(path)
    return norm == ".." or norm.startswith("../")


def _memory(where: Path, table: Mapping[str, Any]) -> Found:
    resources = table.get("resources")
    if not isinstance(resources, dict):
        return
    for key in ("memory_request", "memory_limit"):
        value = resources.get(key)
        if not isinstance(value, str) or not _MEMORY.fullmatch(value):
            continue  # wrong types and unknown units are the schema's to report
        try:
            amount = memory_bytes(value)
        except ValueError as exc:
            yield (*where, "resources", key), str(exc)
            continue
        if amount > MAX_MEMORY:
            yield (*where, "resources", key), (
                f'"{value}" is {amount} bytes, more than the maximum of {MAX_MEMORY}')


def _ranges(
    where: Path, app: Mapping[str, Any], raw: Mapping[str, Any], target: str | None
) -> Found:
    """min <= max for processes, CPU and memory (Connect codes 114, 190, 185)."""
    pairs = (("runtime", "min_processes", "max_processes"),
             ("resources", "cpu_request", "cpu_limit"),
             ("resources", "memory_request", "memory_limit"))
    for table, low_key, high_key in pairs:
        values = app.get(table)
        if not isinstance(values, dict):
            continue
        memory = table == "resources" and low_key.startswith("memory")
        low = _number(values.get(low_key), memory)
        high = _number(values.get(high_key), memory)
        if low is None or high is None or low <= high:
            continue
        if target is not None and not _overridden(raw, target, table, (low_key, high_key)):
            continue  # same values as without the target: reported once already
        at = _origin(where, raw, target, table, low_key)
        yield at, (f"{low_key} ({_shown(values[low_key])}) is more than {high_key} "
                   f"({_shown(values[high_key])}): lower {low_key} or raise {high_key}")


def _number(value: Any, memory: bool) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and memory:
        try:
            return float(memory_bytes(value))
        except ValueError:
            return None
    return None


def _shown(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _overridden(raw: Mapping[str, Any], target: str, table: str, keys: tuple[str, ...]) -> bool:
    over = raw.get("targets", {}).get(target, {})
    section = over.get(table) if isinstance(over, dict) else None
    return isinstance(section, dict) and any(k in section for k in keys)


def _origin(where: Path, raw: Mapping[str, Any], target: str | None, table: str, key: str) -> Path:
    if target is not None and _overridden(raw, target, table, (key,)):
        return (*where, "targets", target, table, key)
    section = raw.get(table)
    if isinstance(section, dict) and key in section:
        return (*where, table, key)
    return ("defaults", table, key)


def _duplicate_names(apps: Mapping[str, Any], defaults: Mapping[str, Any],
                     declared: list[str]) -> Found:
    """Two apps with one content name (or vanity URL) on one target would overwrite each other."""
    clashes: dict[tuple[Path, str], list[str]] = {}
    for target in declared:
        for field in ("name", "vanity_url"):
            seen: dict[str, str] = {}
            for key, raw in apps.items():
                if not isinstance(raw, dict):
                    continue
                overrides = raw.get("targets")
                over = overrides.get(target) if isinstance(overrides, dict) else None
                over = over if isinstance(over, dict) else {}
                value = merge(merge(defaults, raw), over).get(
                    field, key if field == "name" else None)
                if not isinstance(value, str):
                    continue
                folded = value if field == "name" else value.strip("/")
                if folded not in seen:
                    seen[folded] = key
                    continue
                where: Path = ("apps", key, field) if field in raw else ("apps", key)
                if field in over:
                    where = ("apps", key, "targets", target, field)
                message = f"{field} {value!r} is also used by app {seen[folded]!r}"
                clashes.setdefault((where, message), []).append(target)
    for (where, message), targets in clashes.items():
        on = f"target {targets[0]!r}" if len(targets) == 1 else f"targets {', '.join(targets)}"
        yield where, f"{message} on {on} (each app needs its own {where[-1]})"
