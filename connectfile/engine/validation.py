"""What `validate` checks beyond the pure rules: the apps on disk and, with --online, the server."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from connectfile.bundle.prepare import select_files, warn_secrets
from connectfile.config.model import Project
from connectfile.engine.checks import RemoteFacts, check_project, check_remote
from connectfile.errors import ConnectfileError, Issue, Location, SelectionError
from connectfile.files.entrypoints import EntrypointError

log = logging.getLogger("connectfile")


@dataclass(frozen=True, slots=True)
class Validation:
    """Everything `validate` found: errors fail the command, warnings are only shown."""

    errors: tuple[Issue, ...]
    warnings: tuple[str, ...]


def validate_offline(project: Project, environ: Mapping[str, str]) -> Validation:
    """The pure checks over the tree on disk, then (if they pass) the real file selection."""
    report = check_project(project, DiskView(project.root), environ)
    errors = tuple(report.errors) or tuple(_selection_issues(project))
    warnings = list(report.warnings)
    if not errors:
        warnings += [w for w in _python_warnings(project) if w not in warnings]
    return Validation(errors=errors, warnings=tuple(warnings))


class _Collect(logging.Filter):
    """Holds back the warnings logged while it is installed, keeping their text."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        self.messages.append(record.getMessage())
        return False


def _python_warnings(project: Project) -> list[str]:
    """What plan would warn about each app's Python version and left-out `.env` files,
    found by running the code plan runs (so the wording cannot drift)."""
    from connectfile.bundle import python as pyenv

    collect = _Collect()
    log.addFilter(collect)
    try:
        for app in project.apps:
            directory = project.root / app.path
            if directory.is_dir():
                try:
                    pyenv.resolve_python(app, directory, python=None)
                    warn_secrets(select_files(project, app))
                except ConnectfileError:
                    continue  # plan reports it as an error, with its own message
    finally:
        log.removeFilter(collect)
    return collect.messages


def validate_online(project: Project, target: str | None) -> tuple[RemoteFacts, Sequence[Issue]]:
    """Ask the target about each app; the facts name the server for the summary."""
    facts = remote_facts(project, target)
    return facts, check_remote(project, facts)


def remote_facts(project: Project, target: str | None) -> RemoteFacts:
    """Open the target (server, key and role are checked there) and ask about each app."""
    from connectfile.bundle import python as pyenv
    from connectfile.remote import target as remote  # the HTTP edge, only needed with --online
    from connectfile.remote.lookup import PinnedContentMissing, find_existing
    from connectfile.remote.records import load_record

    with remote.open_target(project, target) as session:
        client = session.client
        record = load_record(project.root, session.target.name, server=session.record_server)
        settings = client.python_settings()
        installations = settings.get("installations")
        versions = tuple(str(i.get("version")) for i in installations or ()
                         if isinstance(i, dict) and i.get("version"))
        wanted: dict[str, tuple[str, str]] = {}
        existing: dict[str, Mapping[str, object] | None] = {}
        missing: set[str] = set()
        for app in project.apps_for(session.target.name):
            directory = project.root / app.path
            if app.python or (directory / ".python-version").is_file():
                info = pyenv.resolve_python(app, directory, python=None)
                wanted[app.key] = (info.version, info.source)
            entry = record.apps.get(app.key) if record else None
            try:
                existing[app.key] = find_existing(client, app, entry, owner_guid=session.user_guid)
            except PinnedContentMissing:
                existing[app.key] = None
                missing.add(app.key)
        apps = project.apps_for(session.target.name)
        vanities = client.list_vanities() if any(a.vanity_url for a in apps) else None
        return RemoteFacts(target=session.target.name, server=session.server_url,
                           python_versions=versions, wanted_python=wanted, existing=existing,
                           missing_guids=frozenset(missing), identity=session.who,
                           server_version=session.server_version, vanities=vanities)


def _selection_issues(project: Project) -> list[Issue]:
    """Run the real file selection for each app as merged for every target (overrides may
    change its files), which also meets symlinks deep inside app directories."""
    issues: dict[str, Issue] = {}
    seen: set[tuple[object, ...]] = set()
    apps = [*project.apps, *(a for t in project.targets for a in project.apps_for(t.name))]
    for app in apps:
        fingerprint = (app.key, app.type, app.path, app.entrypoint, app.files, app.mappings,
                       app.exclude, app.include, app.requirements)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        try:
            select_files(project, app)
        except (SelectionError, EntrypointError) as exc:
            where = exc.location or Location(source=project.source,
                                             line=project.line_of(f"apps.{app.key}"),
                                             path=f"apps.{app.key}")
            issue = Issue.at(where, exc.message)
            issues.setdefault(str(issue), issue)
    return list(issues.values())


class DiskView:
    """The project tree on disk, answering checks.FileView's questions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = root.resolve()

    def _path(self, rel: str) -> Path:
        return self.root / rel

    def kind(self, path: str) -> str | None:
        full = self._path(path)
        if full.is_dir():
            return "dir"
        return "file" if full.is_file() else None

    def escapes(self, path: str) -> bool:
        try:
            resolved = self._path(path).resolve()
        except (OSError, RuntimeError):  # symlink loops
            return False
        return not resolved.is_relative_to(self.real_root)

    def read_text(self, path: str) -> str | None:
        full = self._path(path)
        if not full.is_file():
            return None
        try:
            return full.read_text("utf-8", errors="replace")
        except OSError:
            return None

    def file_names(self, path: str) -> list[str]:
        try:
            return sorted(e.name for e in os.scandir(self._path(path)) if e.is_file())
        except OSError:
            return []
