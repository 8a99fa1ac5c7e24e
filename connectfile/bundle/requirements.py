"""Where an app's dependencies come from, and the requirements text each source gives (pure).

Sources, in order, when `requirements` is not set (reference/publisher.md §1.2,
reference/rsconnect-python.md §3): requirements.txt, pylock.toml (PEP 751), uv.lock,
pyproject.toml `[project].dependencies`, PEP 723 inline metadata in the entrypoint file,
and only then freezing an interpreter. A converted source becomes a requirements file inside
the bundle with no timestamp, so the same input gives the same bytes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from connectfile.bundle import uvlock
from connectfile.errors import UsageError

DEFAULT_FILE: Final = "requirements.txt"
UV_FILE: Final = "requirements.txt.lock"  # the name rsconnect gives the uv export
_PYLOCK: Final = re.compile(r"pylock(\.[^./]+)?\.toml")
# PEP 723's reference regular expression for a metadata block.
_BLOCK: Final = re.compile(
    r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$"
)
LABELS: Final = {"file": "requirements file", "pylock": "pylock.toml", "uv": "uv.lock",
                 "pyproject": "pyproject.toml [project].dependencies",
                 "script": "inline script metadata (PEP 723)", "freeze": "pip freeze"}


@dataclass(frozen=True, kw_only=True, slots=True)
class DepSource:
    """Where requirements come from: `kind` (see LABELS), the file read (`path`, relative to
    the app directory; None when freezing) and the bundle file (`dest`) the manifest names."""

    kind: str
    path: str | None
    dest: str
    explicit: bool  # named by `requirements` in connect.toml

    @property
    def generated(self) -> bool:
        return self.kind != "file"

    @property
    def manager(self) -> str:
        """The manifest's package manager name, as rsconnect writes it for this source."""
        return "uv" if self.kind == "uv" else "pip"

    @property
    def label(self) -> str:
        return LABELS[self.kind] if self.kind != "file" else str(self.path)


def kind_of(path: str) -> str:
    """The source kind a file name stands for."""
    name = path.rsplit("/", 1)[-1]
    if name == "uv.lock":
        return "uv"
    if _PYLOCK.fullmatch(name):
        return "pylock"
    if name == "pyproject.toml":
        return "pyproject"
    if name.endswith(".py"):
        return "script"
    return "file"


def choose(
    requirements: str | None,
    read: Callable[[str], str | None],
    script: str | None,
    *,
    force_generate: bool = False,
) -> DepSource:
    """The app's dependency source. `read(rel)` gives a file's text or None when absent;
    `script` is the entrypoint file (for PEP 723). An explicit `requirements` is returned
    whether or not it exists: the caller reports a missing one."""
    if force_generate:
        dest = requirements if requirements and kind_of(requirements) == "file" else DEFAULT_FILE
        return DepSource(kind="freeze", path=None, dest=dest, explicit=False)
    if requirements is not None:
        kind = kind_of(requirements)
        dest = requirements if kind == "file" else UV_FILE if kind == "uv" else DEFAULT_FILE
        return DepSource(kind=kind, path=requirements, dest=dest, explicit=True)
    if read(DEFAULT_FILE) is not None:
        return DepSource(kind="file", path=DEFAULT_FILE, dest=DEFAULT_FILE, explicit=False)
    for path, kind, dest in (("pylock.toml", "pylock", DEFAULT_FILE), ("uv.lock", "uv", UV_FILE)):
        if read(path) is not None:
            return DepSource(kind=kind, path=path, dest=dest, explicit=False)
    text = read("pyproject.toml")
    if text is not None and _has_dependencies(text):
        return DepSource(kind="pyproject", path="pyproject.toml", dest=DEFAULT_FILE,
                         explicit=False)
    if script is not None and script_metadata(read(script) or "") is not None:
        return DepSource(kind="script", path=script, dest=DEFAULT_FILE, explicit=False)
    return DepSource(kind="freeze", path=None, dest=DEFAULT_FILE, explicit=False)


def convert(source: DepSource, read: Callable[[str], str | None]) -> bytes:
    """Requirements bytes from a pylock/uv/pyproject/script source (UsageError naming the file
    when it cannot be read)."""
    assert source.path is not None
    text = read(source.path)
    where = source.path
    if text is None:
        raise UsageError(f"{where}: cannot read it")
    if source.kind == "uv":
        pyproject_text = read("pyproject.toml")
        pyproject = load_toml(pyproject_text, "pyproject.toml") if pyproject_text else None
        return uvlock.export(load_toml(text, where), pyproject, where)
    if source.kind == "pylock":
        return from_pylock(load_toml(text, where), where)
    if source.kind == "pyproject":
        return _lines(_dependencies(load_toml(text, where), where), where)
    metadata = script_metadata(text)
    if metadata is None:
        raise UsageError(f"{where}: no `# /// script` block with dependencies (PEP 723)")
    return _lines(_dependencies({"project": load_toml(metadata, where)}, where), where)


def load_toml(text: str, where: str) -> dict[str, Any]:
    """Parse TOML (tomllib where the interpreter has it: uv.lock files run to megabytes)."""
    try:
        if sys.version_info >= (3, 11):
            import tomllib

            return tomllib.loads(text)
        import tomlkit

        return dict(tomlkit.parse(text).unwrap())
    except Exception as exc:  # tomllib and tomlkit raise different types
        raise UsageError(f"{where}: not valid TOML ({exc})") from None


def script_metadata(source: str) -> str | None:
    """The TOML of a PEP 723 `script` block, or None when there is none."""
    for match in _BLOCK.finditer(source):
        if match.group("type") == "script":
            return "".join(
                line[2:] if line.startswith("# ") else line[1:]
                for line in match.group("content").splitlines(keepends=True)
            )
    return None


def from_pylock(data: Mapping[str, Any], where: str) -> bytes:
    """`name==version` (or a direct reference) for every package of a PEP 751 lock, with its
    marker, sorted by name; read and checked with `packaging.pylock` (packaging 26+)."""
    from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

    try:
        lock = Pylock.from_dict(dict(data))
    except (PylockValidationError, PylockUnsupportedVersionError) as exc:
        raise UsageError(f"{where}: not a valid pylock.toml ({exc})") from None
    lines = []
    raw = [p for p in data.get("packages", ()) if isinstance(p, Mapping)]
    for package, written in zip(lock.packages, raw, strict=True):
        if package.vcs is not None:
            ref = package.vcs.url or package.vcs.path or ""
            requirement = f"{package.name} @ {package.vcs.type}+{ref}@{package.vcs.commit_id}"
        elif package.archive is not None and package.archive.url:
            requirement = f"{package.name} @ {package.archive.url}"
        elif package.directory is not None:
            requirement = f"./{package.directory.path.removeprefix('./')}"
        elif package.version is not None:
            requirement = f"{package.name}=={package.version}"
        else:
            requirement = str(package.name)
        # The marker as written: packaging would re-quote it ('win32' -> "win32").
        marker = f" ; {written['marker']}" if package.marker is not None else ""
        lines.append((uvlock.normalize(str(package.name)), f"{requirement}{marker}"))
    return "".join(f"{line}\n" for _, line in sorted(lines)).encode("utf-8")


def _has_dependencies(text: str) -> bool:
    try:
        data = load_toml(text, "pyproject.toml")
    except UsageError:
        return False
    project = data.get("project")
    return isinstance(project, dict) and isinstance(project.get("dependencies"), list)


def _dependencies(data: Mapping[str, Any], where: str) -> list[str]:
    project = data.get("project")
    deps = project.get("dependencies") if isinstance(project, dict) else None
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise UsageError(f"{where}: dependencies must be a list of strings")
    return [d.strip() for d in deps]


def _lines(requirements: list[str], where: str) -> bytes:
    from packaging.requirements import InvalidRequirement, Requirement

    for line in requirements:
        try:
            Requirement(line)
        except InvalidRequirement as exc:
            raise UsageError(f"{where}: {line!r} is not a valid requirement ({exc})") from None
    return "".join(f"{line}\n" for line in requirements).encode("utf-8")
