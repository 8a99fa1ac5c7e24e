"""Compute the plan for a target: select apps, check secrets, read Connect, diff (orchestration)."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from connectfile.bundle.prepare import prepare
from connectfile.bundle.prepared import LocalApp
from connectfile.config.model import App, Project
from connectfile.engine.destroy import prune
from connectfile.engine.governance import Resolver
from connectfile.engine.preflight import check_offline, check_online, read_server
from connectfile.engine.provenance import Provenances
from connectfile.engine.secrets import check_secrets
from connectfile.errors import ConfigError, Issue, UsageError
from connectfile.files.meter import NO_PROGRESS, Progress
from connectfile.plans.access import with_access
from connectfile.plans.diff import (
    build_plan,
    config_digest,
    needs_env_names,
    needs_vanity,
    plan_app,
)
from connectfile.plans.values import AccessChanges, AppPlan, Plan
from connectfile.remote.records import cache_dir, load_record
from connectfile.remote.state import DeployedApp, TargetRecord
from connectfile.remote.target import TargetSession, read_deployed
from connectfile.remote.tls import CONNECTIONS

# Concurrent reads of deployed state (1-3 small requests per app): enough that the reads
# of a big monorepo take a round trip or two, and finish while the files are walked.
READERS: Final = CONNECTIONS - 1  # the other connection serves preflight's server-wide reads


@dataclass(frozen=True, kw_only=True, slots=True)
class Planned:
    """A plan and what apply needs to carry it out, so apply reads nothing a second time."""

    plan: Plan
    # app key -> prepared local state, for the apps whose plan uploads a bundle (apply's
    # only use of it); the others' state is dropped as soon as they are diffed.
    prepared: Mapping[str, LocalApp]
    record: TargetRecord | None  # the deployment record the plan was made against


def plan_target(
    project: Project,
    session: TargetSession,
    *,
    apps: Sequence[str],
    python: str | None,
    force_generate: bool,
    resend_secrets: bool = False,
    environ: Mapping[str, str] | None = None,
    skip: Collection[Path] = (),
    progress: Progress = NO_PROGRESS,
    keep_prepared: bool = True,
) -> Planned:
    """The plan for the selected apps (all when `apps` is empty) and what apply needs with it.

    `keep_prepared=False` (the plan command) keeps no prepared state at all: memory then
    stays flat however many apps would upload a bundle.
    """
    target = session.target.name
    selected = select_apps(project, target, apps)
    env = os.environ if environ is None else environ
    check_secrets(project, selected, env, target=target)
    check_offline(project, selected, env)
    record = load_record(project.root, target, server=session.record_server)
    if session.principal:
        check_pinned(project, selected, record)
    with ThreadPoolExecutor(max_workers=_readers(selected) + 1) as pool:
        server = pool.submit(read_server, project, session, selected)  # with the app reads
        try:
            plans, prepared, deployed = _plan_apps(
                project, session, selected, record, pool,
                Resolver(session.client, project, target), python=python,
                force_generate=force_generate, skip=skip, resend_secrets=resend_secrets,
                progress=progress, keep_prepared=keep_prepared)
        except BaseException:
            server.cancel()
            raise
        if session.principal:
            for app, found in zip(selected, deployed, strict=True):
                if found is None:  # the recorded content is gone: a principal cannot create it
                    raise UsageError(
                        f"apps.{app.key}: its recorded content is not on {session.server_url}, "
                        "and trusted publishing (OIDC) cannot create content: pin the app's "
                        "content with `guid`, or create it once with an API key"
                    )
        check_online(project, session, selected, deployed, server.result())
    plan = build_plan(
        target=target,
        # A local target's URL has this run's random port; the plan names it "local".
        server=session.record_server,
        apps=plans,
        config_keys=[a.key for a in project.apps_for(target)],
        record=record,
        config_digest=config_digest(project),
    )
    if session.target.prune and not apps:
        plan = prune(session.client, plan, record)  # only a whole plan knows its orphans
    plan = Provenances(project, session).attach(plan, {a.key: a for a in selected})
    return Planned(plan=plan, prepared=prepared, record=record)


def _plan_apps(
    project: Project,
    session: TargetSession,
    selected: Sequence[App],
    record: TargetRecord | None,
    pool: ThreadPoolExecutor,
    resolver: Resolver,
    *,
    python: str | None,
    force_generate: bool,
    skip: Collection[Path],
    resend_secrets: bool,
    progress: Progress = NO_PROGRESS,
    keep_prepared: bool = True,
) -> tuple[list[AppPlan], dict[str, LocalApp], list[DeployedApp | None]]:
    """Each app's plan, the prepared state of those that upload a bundle, and what Connect
    runs for each (without its manifest).

    Connect is read while the files are walked and hashed: the reads mostly wait on the
    network, the local half mostly on this thread. Each app is diffed as soon as both halves
    are in, and only what apply needs is kept, so memory does not grow with the monorepo;
    reads run at most READERS apps ahead. A local error still wins over a failed read.
    """
    reads: dict[int, Future[tuple[DeployedApp | None, AccessChanges]]] = {}

    def read(i: int) -> None:
        if i < len(selected):
            reads[i] = pool.submit(_read, project, session, selected[i], record, resolver)

    for i in range(READERS):
        read(i)
    plans: list[AppPlan] = []
    prepared: dict[str, LocalApp] = {}
    deployed: list[DeployedApp | None] = []
    failed: Exception | None = None
    try:
        for i, app in enumerate(selected):
            read(i + READERS)
            # A first plan of a big monorepo hashes for a while: say which app.
            with progress.working(f"hashing {app.key}"):
                local = prepare(project, app, python=python, force_generate=force_generate,
                                skip=skip)
            try:
                remote, access = reads.pop(i).result()
            except Exception as exc:  # reported once every app's files are known good
                failed = failed or exc
                continue
            if failed is not None:
                continue
            entry = record.apps.get(app.key) if record else None
            plans.append(with_access(
                plan_app(app, local, remote, entry, resend_secrets=resend_secrets), access))
            if keep_prepared and plans[-1].needs_bundle:
                prepared[app.key] = local
            deployed.append(None if remote is None else replace(remote, manifest=None))
    except BaseException:
        for future in reads.values():
            future.cancel()
        raise
    if failed is not None:
        raise failed
    return plans, prepared, deployed


def _readers(selected: Sequence[App]) -> int:
    return max(1, min(READERS, len(selected)))


def _read(
    project: Project, session: TargetSession, app: App, record: TargetRecord | None,
    resolver: Resolver,
) -> tuple[DeployedApp | None, AccessChanges]:
    """What Connect runs for `app`, and the changes its viewers, collaborators and tags need."""
    entry = record.apps.get(app.key) if record else None
    # Reads whose answer the diff would ignore are skipped: a no-change plan of a big
    # monorepo is mostly round trips.
    deployed = read_deployed(session.client, app, entry, owner_guid=session.user_guid,
                             cache_dir=cache_dir(project.root, session.target.name),
                             read_env=needs_env_names(app, entry),
                             read_vanity=needs_vanity(app))
    return deployed, resolver.changes(app, deployed)


def select_apps(project: Project, target: str, keys: Sequence[str]) -> tuple[App, ...]:
    """The apps named by `--app` (in config order), or all of them; unknown names are an error."""
    apps = project.apps_for(target)
    if not keys:
        return apps
    known = {a.key for a in apps}
    unknown = [k for k in dict.fromkeys(keys) if k not in known]
    if unknown:
        names = ", ".join(a.key for a in apps) or "none"
        raise UsageError(
            f"--app {', '.join(unknown)}: no such app in {project.source} "
            f"(apps: {names})"
        )
    wanted = set(keys)
    return tuple(a for a in apps if a.key in wanted)



def check_pinned(project: Project, apps: Sequence[App], record: TargetRecord | None) -> None:
    """Under trusted publishing each app needs a `guid` pin or a record: a service
    principal reaches only content granted to it, and never looks content up by name."""
    problems = [
        Issue(source=project.source, line=project.line_of(f"apps.{app.key}"),
              path=f"apps.{app.key}",
              message="trusted publishing (OIDC) deploys only to existing content, and this "
              "app has no `guid` pin and no deployment record: add "
              f'guid = "<content GUID>" to [apps.{app.key}]')
        for app in apps
        if app.guid is None and not (record and app.key in record.apps)
    ]
    if problems:
        raise ConfigError(problems)
