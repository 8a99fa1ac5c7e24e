"""The offline checks of `validate` over a parsed project (pure: the file system is a view)."""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from connectfile.bundle import requirements
from connectfile.config.locate import key_location, key_path
from connectfile.config.model import App, Project
from connectfile.engine.secrets import unset_secrets
from connectfile.errors import Issue, Location
from connectfile.files import entrypoints


class FileView(Protocol):
    """Read-only questions about the project tree; paths are POSIX, relative to the root."""

    def kind(self, path: str) -> str | None:
        """`"file"`, `"dir"`, or None when nothing is there (broken symlinks count as nothing)."""

    def escapes(self, path: str) -> bool:
        """True when `path` resolves (through symlinks) outside the project root."""

    def read_text(self, path: str) -> str | None:
        """A file's text, or None when it is not a readable file."""

    def file_names(self, path: str) -> list[str]:
        """Names of the regular files directly in directory `path`."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Report:
    """What validate found: errors make it fail, warnings do not."""

    errors: tuple[Issue, ...]
    warnings: tuple[str, ...]


def check_project(project: Project, files: FileView, environ: Mapping[str, str]) -> Report:
    """Check every app (as merged for each target) and every target against the files on disk."""
    errors: dict[str, Issue] = {}
    warnings: dict[str, None] = {}
    seen: set[tuple[object, ...]] = set()
    variants: list[tuple[App, str | None]] = [(a, None) for a in project.apps]
    for declared in project.targets:
        variants += [(a, declared.name) for a in project.apps_for(declared.name)]
    for app, target in variants:
        fingerprint = (app.key, app.type, app.path, app.entrypoint, app.files, app.mappings,
                       app.requirements, app.secrets)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        checker = _AppChecker(project, app, target, files)
        for issue in checker.run():
            errors.setdefault(str(issue), issue)
        for warning in checker.warnings(environ):
            warnings.setdefault(warning, None)
    for declared in project.targets:
        at = f"targets.{declared.name}"
        bundle = declared.ca_bundle
        # "system" is the OS trust store (remote/tls.py), not a file.
        if bundle and bundle != "system" and files.kind(_join(".", bundle)) != "file":
            issue = Issue(source=project.source, line=project.line_of(f"{at}.ca_bundle"),
                          path=f"{at}.ca_bundle",
                          message=f'"{declared.ca_bundle}" is not a file (the path is relative '
                                  'to the directory holding connect.toml; "system" means the '
                                  "operating system's trust store)")
            errors.setdefault(str(issue), issue)
        if declared.insecure:
            where = Location(source=project.source, line=project.line_of(f"{at}.insecure"),
                             path=f"{at}.insecure")
            warnings.setdefault(f"{where}: TLS certificates will not be verified", None)
    return Report(errors=tuple(errors.values()), warnings=tuple(warnings))


class _AppChecker:
    def __init__(self, project: Project, app: App, target: str | None, files: FileView) -> None:
        self.project, self.app, self.target, self.files = project, app, target, files

    def issue(self, key: str, message: str, index: int | None = None) -> Issue:
        return Issue.at(key_location(self.project, self.app.key, key, self.target, index),
                        message)

    def run(self) -> Iterator[Issue]:
        app, files = self.app, self.files
        if files.escapes(app.path):
            yield self.issue("path", f'"{app.path}" resolves outside the project root '
                             "(through a symlink); keep apps inside the project")
            return
        if files.kind(app.path) != "dir":
            yield self.issue("path", f'"{app.path}" is not a directory (app paths are '
                             "relative to the directory holding connect.toml)")
            return
        yield from self._entrypoint()
        if app.requirements is not None:
            requirements = _join(app.path, app.requirements)
            if files.kind(requirements) == "dir":
                yield self.issue("requirements", f'"{app.requirements}" is a directory, '
                                 "not a requirements file")
            elif files.escapes(requirements):
                yield self.issue("requirements", f'"{app.requirements}" resolves outside the '
                                 "project root (through a symlink)")
            elif files.kind(requirements) is None:
                yield self.issue("requirements", f'"{app.requirements}" does not exist in the '
                                 f'app directory "{app.path}" (fix the path, or remove '
                                 "requirements to use requirements.txt, pylock.toml, uv.lock, "
                                 "pyproject.toml or inline script metadata, whichever comes "
                                 "first)")
        yield from self._files()

    def _entrypoint(self) -> Iterator[Issue]:
        app = self.app
        entrypoint = app.entrypoint
        prefix = ""

        def read(rel: str) -> str | None:
            path = _join(app.path, rel)
            if self.files.escapes(path):
                return None
            return self.files.read_text(path)

        if entrypoint is None:
            try:
                entrypoint = entrypoints.infer(app.type, self.files.file_names(app.path), read)
            except entrypoints.EntrypointError as exc:
                yield self.issue("entrypoint", str(exc))
                return
            prefix = f"inferred entrypoint {entrypoint!r}: "

        problem = entrypoints.check(app.type, entrypoint, read)
        if problem:
            yield self.issue("entrypoint", prefix + problem)

    def _files(self) -> Iterator[Issue]:
        app, files = self.app, self.files
        plain, tables = _positions(self.project, app, self.target)
        for index, entry in zip(plain, app.files, strict=True):
            path = _join(app.path, entry)
            if files.escapes(path):
                yield self.issue("files", f'"{entry}" resolves outside the project root '
                                 "(through a symlink); copy it into the project", index)
            elif files.kind(path) is None:
                yield self.issue("files", f'"{entry}" does not exist in the app directory '
                                 f'"{app.path}" (fix the path or remove the entry)', index)
        for index, mapping in zip(tables, app.mappings, strict=True):
            if files.escapes(mapping.source):
                yield self.issue("files", f'from: "{mapping.source}" resolves outside the '
                                 "project root (through a symlink)", index)
            elif files.kind(mapping.source) is None:
                yield self.issue("files", f'from: "{mapping.source}" does not exist (from is '
                                 "relative to the app directory)", index)

    def _source(self) -> requirements.DepSource:
        app = self.app

        def read(rel: str) -> str | None:
            path = _join(app.path, rel)
            return None if self.files.escapes(path) else self.files.read_text(path)

        entrypoint = app.entrypoint
        if entrypoint is None:
            try:
                entrypoint = entrypoints.infer(app.type, self.files.file_names(app.path))
            except entrypoints.EntrypointError:
                entrypoint = None
        script = None
        if entrypoint is not None:
            script = (entrypoint if entrypoints.takes_file(app.type, entrypoint)
                      else entrypoint.partition(":")[0].replace(".", "/"))
            script = script if script.endswith(".py") else f"{script}.py"
        return requirements.choose(None, read, script)

    def warnings(self, environ: Mapping[str, str]) -> Iterator[str]:
        app, project = self.app, self.project
        if self.files.escapes(app.path) or self.files.kind(app.path) != "dir":
            return
        if app.requirements is None and self._source().kind == "freeze":
            where = key_location(project, app.key, "requirements", self.target)
            yield (f"{where}: no requirements.txt, "
                   "pylock.toml, uv.lock, pyproject.toml dependencies or inline script "
                   "metadata; requirements will be generated by freezing a Python environment "
                   "(commit a requirements file to pin versions)")
        for issue in unset_secrets(project, app, environ, target=self.target):
            yield str(issue)  # the error plan and apply give, as a warning here


def _positions(project: Project, app: App, target: str | None) -> tuple[list[int], list[int]]:
    """Indices in the written `files` array of plain entries and of `{from, to}` tables."""
    where = key_path(project, app.key, "files", target)
    total = len(app.files) + len(app.mappings)
    tables = [n for n in range(total) if f"{where}[{n}].from" in project.lines]
    if len(tables) != len(app.mappings):
        return list(range(len(app.files))), list(range(len(app.files), total))
    return [n for n in range(total) if n not in tables], tables


def _join(base: str, rel: str) -> str:
    return posixpath.normpath(posixpath.join(base, rel))


@dataclass(frozen=True, kw_only=True, slots=True)
class RemoteFacts:
    """What `validate --online` learned from a target's server."""

    target: str
    server: str
    python_versions: tuple[str, ...]  # installations the server offers
    wanted_python: Mapping[str, tuple[str, str]]  # app key -> (version, where it came from)
    existing: Mapping[str, Mapping[str, object] | None]  # app key -> content with its name/guid
    missing_guids: frozenset[str]  # keys of apps whose pinned guid is not on the server
    server_version: str = ""  # "" when the server did not say
    vanities: Mapping[str, str] | None = None  # vanity path -> content guid; None: not readable
    identity: str = ""  # who the key is: `user 'pat'` or a trusted-publishing principal
    names_taken: Mapping[str, str] | None = None  # app key -> guid of other content with its name


# App modes newer than the oldest Connect supported, with the release that added them
# (reference/connect-api.md §4.6 for Gradio; issue #12 for Panel, which the emulator mirrors).
APP_MODE_SINCE: Final[Mapping[str, tuple[int, int]]] = {
    "python-gradio": (2024, 12), "python-panel": (2025, 11),
}


def check_remote(project: Project, facts: RemoteFacts, apps: Collection[str] | None = None,
                 *, mode_changes: bool = True) -> tuple[Issue, ...]:
    """Problems deploying would meet on the server: Python versions, pinned guids, app modes
    (changed, or too new for the server's version), vanity URLs taken; `apps` limits the
    check to those keys; a plan shows mode changes itself (`mode_changes=False`)."""
    issues: list[Issue] = []
    offered = sorted({_minor(v) for v in facts.python_versions}, key=_version_key)
    for app in project.apps_for(facts.target):
        if apps is not None and app.key not in apps:
            continue
        def issue(key: str, message: str, app: App = app) -> None:
            issues.append(Issue.at(key_location(project, app.key, key, facts.target), message))

        if app.key in facts.missing_guids:
            issue("guid", f"no content with guid {app.guid} on {facts.server} "
                          "(remove the pin to find the app by name)")
        wanted = facts.wanted_python.get(app.key)
        if wanted and offered and _minor(wanted[0]) not in offered:
            issue("python", f"Python {_minor(wanted[0])} (from {wanted[1]}) is not installed on "
                            f"{facts.server} (it offers {', '.join(offered)}; set python "
                            "to one of them)")
        since = APP_MODE_SINCE.get(app.app_mode)
        if since and facts.server_version and _version_key(facts.server_version)[:2] < since:
            issue("type", f'type = "{app.type}" needs Connect {since[0]}.{since[1]:02d} or '
                          f"later; {facts.server} runs {facts.server_version}")
        content = facts.existing.get(app.key)
        holder = (facts.names_taken or {}).get(app.key)
        if holder:
            issue("name", f"name {app.name!r} is taken on {facts.server} by your content "
                          f"{holder}, and Connect keeps names unique per owner (choose "
                          "another name, or delete that content)")
        if app.vanity_url and facts.vanities:
            taken = _vanity_taken(app.vanity_url, facts.vanities,
                                  str(content.get("guid")) if content else None)
            if taken:
                issue("vanity_url", f"vanity URL {app.vanity_url!r} conflicts with {taken[0]!r}, "
                                    f"used by content {taken[1]} on {facts.server} (choose "
                                    "another path)")
        mode = content.get("app_mode") if content and mode_changes else None
        if isinstance(mode, str) and mode not in ("unknown", "", app.app_mode):
            # Found through the record, the content may still carry the name it had then.
            name = (content.get("name") if content else None) or app.name
            issue("type", f"content {name!r} already exists on {facts.server} as {mode}, "
                          f"and Connect cannot change it to {app.app_mode} (use another name, "
                          "or delete that content)")
    return tuple(issues)


def _vanity_taken(wanted: str, vanities: Mapping[str, str],
                  own: str | None) -> tuple[str, str] | None:
    """The (path, guid) of another content's vanity equal to, above or below `wanted`."""
    mine = "/" + wanted.strip("/") + "/"
    for path, guid in sorted(vanities.items()):
        theirs = "/" + path.strip("/") + "/"
        if guid != own and (mine.startswith(theirs) or theirs.startswith(mine)):
            return path, guid
    return None


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))
