"""A saved plan applies only to the config, server and files it was made for."""

from __future__ import annotations

from pathlib import Path

from connectfile.bundle.prepare import prepare
from connectfile.bundle.prepared import LocalApp
from connectfile.config.model import Project
from connectfile.errors import StalePlanError
from connectfile.plans.diff import config_digest
from connectfile.plans.values import Action, Plan
from connectfile.remote.target import TargetSession


def check_saved(plan: Plan, project: Project, session: TargetSession) -> Plan:
    """A saved plan applies only to the config and server it was made for."""
    if plan.config_digest and plan.config_digest != config_digest(project):
        raise StalePlanError(
            f"the saved plan is stale, nothing was changed: {project.source} changed "
            "since the plan was made; run `connectfile plan` again"
        )
    # The embedded emulator's port changes every run; a local plan is bound to its name only.
    same_server = session.target.is_local or plan.server == session.server_url
    if plan.target != session.target.name or not same_server:
        raise StalePlanError(
            f"the saved plan was made for target {plan.target!r} ({plan.server}), not "
            f"{session.target.name!r} ({session.server_url}); nothing was changed"
        )
    return plan


def prepare_saved(
    project: Project,
    plan: Plan,
    target: str,
    python: str | None,
    force_generate: bool,
    planfile: Path,
) -> dict[str, LocalApp]:
    """Prepare the saved plan's apps again: their digests show whether files moved since."""
    apps = {a.key: a for a in project.apps_for(target)}
    gone = sorted(a.key for a in plan.apps
                  if a.key not in apps and a.action is not Action.DESTROY)
    if gone:
        raise StalePlanError(
            f"the saved plan is stale, nothing was changed: {', '.join(gone)} no longer "
            f"in {project.source}; run `connectfile plan` again"
        )
    return {
        a.key: prepare(project, apps[a.key], python=python, force_generate=force_generate,
                       skip=(planfile,))
        for a in plan.apps
        if a.action not in (Action.REFUSED, Action.DESTROY)
    }
