"""What plan and apply check before diffing: validate's offline checks for the selected apps,
then what the server would reject (Python installations, app modes its version knows, vanity
URLs and content names taken) from facts the plan reads anyway, plus a GET or two."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connectfile.bundle import python as pyenv
from connectfile.config.model import App, Project
from connectfile.engine.checks import RemoteFacts, check_project, check_remote
from connectfile.engine.validation import DiskView
from connectfile.errors import ConfigError, ConnectApiError, Issue
from connectfile.remote.state import DeployedApp
from connectfile.remote.target import TargetSession


def check_offline(project: Project, selected: Sequence[App], environ: Mapping[str, str]) -> None:
    """Raise ConfigError with every issue `validate` would report for the selected apps."""
    report = check_project(project, DiskView(project.root), environ)
    keys = {a.key for a in selected}
    issues = [i for i in report.errors if _concerns(i, keys)]
    if issues:
        raise ConfigError(issues)


@dataclass(frozen=True, kw_only=True, slots=True)
class ServerReads:
    """What check_online asks the server whatever the apps' content (one or two GETs)."""

    wanted_python: Mapping[str, tuple[str, str]]  # app key -> (version, where it was set)
    python_versions: tuple[str, ...]  # installed on the server; () when nothing was asked
    vanities: dict[str, str] | None  # taken vanity paths; None when no app sets one


def read_server(project: Project, session: TargetSession, selected: Sequence[App]) -> ServerReads:
    """check_online's server-wide GETs; plan sends them alongside its per-app reads."""
    client = session.client
    wanted: dict[str, tuple[str, str]] = {}
    for app in selected:
        if app.python or (project.root / app.path / ".python-version").is_file():
            info = pyenv.resolve_python(app, project.root / app.path, python=None)
            wanted[app.key] = (info.version, info.source)
    versions: tuple[str, ...] = ()
    if wanted:
        try:
            installations = client.python_settings().get("installations")
        except ConnectApiError:  # a server that will not say: the build is the check
            installations = None
        versions = tuple(str(i.get("version")) for i in installations or ()
                         if isinstance(i, dict) and i.get("version"))
    vanities = client.list_vanities() if any(a.vanity_url for a in selected) else None
    return ServerReads(wanted_python=wanted, python_versions=versions, vanities=vanities)


def check_online(
    project: Project,
    session: TargetSession,
    selected: Sequence[App],
    deployed: Sequence[DeployedApp | None],
    reads: ServerReads | None = None,
) -> None:
    """Raise ConfigError when the server would refuse a selected app (see the module doc).

    `reads` are read_server's answers when already fetched, else they are fetched now.
    """
    client = session.client
    got = read_server(project, session, selected) if reads is None else reads
    taken: dict[str, str] = {}
    for app, remote in zip(selected, deployed, strict=True):
        if remote is not None and remote.name != app.name:  # the plan renames it
            other = client.find_content(app.name, session.user_guid)
            if other and other.get("guid") != remote.guid:
                taken[app.key] = str(other.get("guid"))
    existing = {app.key: {"guid": remote.guid, "name": remote.name} if remote else None
                for app, remote in zip(selected, deployed, strict=True)}
    facts = RemoteFacts(target=session.target.name, server=session.server_url,
                        python_versions=got.python_versions,
                        wanted_python=dict(got.wanted_python), existing=existing,
                        missing_guids=frozenset(), server_version=session.server_version,
                        vanities=got.vanities, names_taken=taken)
    issues = check_remote(project, facts, {a.key for a in selected}, mode_changes=False)
    if issues:
        raise ConfigError(issues)


def _concerns(issue: Issue, keys: set[str]) -> bool:
    """True unless the issue is about an app that was not selected."""
    if not issue.path.startswith("apps."):
        return True
    return issue.path.split(".")[1] in keys
