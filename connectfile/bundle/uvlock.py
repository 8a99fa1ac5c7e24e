"""uv.lock -> requirements text, as `uv export --frozen --no-hashes --no-emit-project
--no-header --no-annotate` writes it, without the uv binary (pure).

Walks the dependency graph from the project at the lock's root (its dependencies and its
default dependency groups, `dev` unless `[tool.uv] default-groups` says otherwise). A
package reached only through conditional edges gets the conjunction of the markers on the
way, the alternatives joined with `or`; a package reached unconditionally once has no
marker. Lines are sorted by name. uv simplifies markers with a full boolean algebra; this
does the absorption cases real lock files need (tests/data/uvlock/ holds uv's own output
for real lock files), and may otherwise write a longer but equivalent marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from connectfile.errors import UsageError

Conjunction = frozenset[str]
_NAME = re.compile(r"[-_.]+")


def normalize(name: str) -> str:
    """PEP 503 name normalization."""
    return _NAME.sub("-", name).lower()


def export(lock: Mapping[str, Any], pyproject: Mapping[str, Any] | None, where: str) -> bytes:
    """The requirements bytes for `lock` (a parsed uv.lock); `where` names it in errors."""
    packages = [p for p in lock.get("package", []) if isinstance(p, dict)]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for package in packages:
        by_name.setdefault(normalize(str(package.get("name", ""))), []).append(package)
    root = _root(packages, pyproject, where)
    reach: dict[tuple[str, str], set[Conjunction]] = {}
    chosen: dict[tuple[str, str], dict[str, Any]] = {}
    queue: list[tuple[dict[str, Any], Conjunction]] = []
    for edge in _root_edges(root, pyproject):
        queue.append((edge, frozenset()))
    while queue:
        edge, via = queue.pop()
        target = _resolve(edge, by_name, where)
        key = (normalize(str(target["name"])), str(target.get("version", "")))
        here = via | _atoms(edge.get("marker"))
        known = reach.setdefault(key, set())
        if any(c <= here for c in known):
            continue  # already reached under a weaker (or equal) condition
        known.difference_update({c for c in known if here <= c})
        known.add(here)
        chosen[key] = target
        onward = list(_edges(target.get("dependencies")))
        optional = target.get("optional-dependencies") or {}
        for extra in edge.get("extra") or ():
            onward.extend(_edges(optional.get(extra)))
        for nxt in onward:
            queue.append((nxt, here))
    root_key = (normalize(str(root["name"])), str(root.get("version", "")))
    lines = []
    for key in sorted(chosen, key=lambda k: (k[0], _version_key(k[1]))):
        if key == root_key:
            continue  # --no-emit-project
        lines.append(_line(chosen[key], _marker(reach[key])))
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def _root(packages: list[dict[str, Any]], pyproject: Mapping[str, Any] | None,
          where: str) -> dict[str, Any]:
    at_root = [p for p in packages if _source(p) in ({"editable": "."}, {"virtual": "."})]
    if len(at_root) == 1:
        return at_root[0]
    project = (pyproject or {}).get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if isinstance(name, str):
        for package in packages:
            if normalize(str(package.get("name", ""))) == normalize(name):
                return package
    raise UsageError(f"{where}: cannot find the project at the root of the lock file "
                     "(export the requirements with `uv export` and set requirements)")


def _root_edges(root: Mapping[str, Any], pyproject: Mapping[str, Any] | None) -> list[Any]:
    edges = list(_edges(root.get("dependencies")))
    groups = root.get("dev-dependencies") or {}
    tool = (pyproject or {}).get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    default = uv.get("default-groups", ["dev"]) if isinstance(uv, dict) else ["dev"]
    wanted = list(groups) if default == "all" else list(default or [])
    for group in wanted:
        edges.extend(_edges(groups.get(group)))
    return edges


def _edges(value: Any) -> Iterable[dict[str, Any]]:
    return [e for e in value or () if isinstance(e, dict) and e.get("name")]


def _resolve(edge: Mapping[str, Any], by_name: Mapping[str, list[dict[str, Any]]],
             where: str) -> dict[str, Any]:
    candidates = by_name.get(normalize(str(edge["name"])), [])
    if "version" in edge:
        candidates = [c for c in candidates if c.get("version") == edge["version"]]
    if "source" in edge:
        candidates = [c for c in candidates if c.get("source") == edge["source"]] or candidates
    if not candidates:
        raise UsageError(f"{where}: {edge['name']} is a dependency but has no [[package]] "
                         "entry (is the lock file complete? run `uv lock`)")
    return candidates[0]


def _source(package: Mapping[str, Any]) -> dict[str, Any]:
    source = package.get("source")
    return dict(source) if isinstance(source, dict) else {}


def _atoms(marker: Any) -> Conjunction:
    """A marker as the set of terms it requires together (one term when it has an `or`)."""
    if not isinstance(marker, str) or not marker.strip():
        return frozenset()
    text = marker.strip()
    if " or " in text or "(" in text:
        return frozenset({f"({text})" if " or " in text else text})
    return frozenset(part.strip() for part in text.split(" and "))


def _marker(conditions: set[Conjunction]) -> str:
    if any(not c for c in conditions):
        return ""
    alternatives = sorted(" and ".join(sorted(c, key=_atom_key)) for c in conditions)
    if len(alternatives) == 1:
        only = alternatives[0]
        return only[1:-1] if only.startswith("(") and only.count("(") == 1 else only
    return " or ".join(f"({a})" if " and " in a else a for a in alternatives)


def _atom_key(atom: str) -> str:
    return atom.lstrip("(")


def _line(package: Mapping[str, Any], marker: str) -> str:
    name, version = str(package["name"]), str(package.get("version", ""))
    source = _source(package)
    if "git" in source:
        url, _, commit = str(source["git"]).partition("#")
        requirement = f"{name} @ git+{url.split('?')[0]}@{commit}"
    elif "url" in source:
        requirement = f"{name} @ {source['url']}"
    elif "editable" in source:
        requirement = f"-e ./{str(source['editable']).removeprefix('./')}"
    elif "path" in source or "directory" in source:
        path = str(source.get("path") or source.get("directory"))
        requirement = f"./{path.removeprefix('./')}"
    else:
        requirement = f"{name}=={version}"
    return f"{requirement} ; {marker}" if marker else requirement


def _version_key(version: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.+-]", version))
