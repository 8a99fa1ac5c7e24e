"""The `plan` command: show what apply would change, optionally save it, exit 0/1/2."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from connectfile.commands.common import load, local_note, write_markdown
from connectfile.engine.planning import plan_target
from connectfile.errors import ExitCode
from connectfile.plans.saved import save_plan
from connectfile.plans.values import Action
from connectfile.remote.target import open_target
from connectfile.views.plan_markdown import render_markdown
from connectfile.views.plan_text import render_json, render_plan
from connectfile.views.progress import progress_for

log = logging.getLogger("connectfile")

def run(
    *,
    config: Path | None,
    target: str | None,
    apps: Sequence[str],
    out: Path | None,
    as_json: bool,
    detailed_exitcode: bool,
    color: bool,
    force_generate: bool,
    python: str | None,
    markdown: Path | None = None,
    retries: int | None = None,
) -> int:
    project = load(config)
    with open_target(project, target, retries=retries) as session:
        # A plan file written inside an app directory is never one of its files.
        plan = plan_target(project, session, apps=apps, python=python,
                           force_generate=force_generate,
                           skip=() if out is None else (out,), progress=progress_for(),
                           keep_prepared=False).plan
        note = local_note(session, project.root)
    if out is not None:
        save_plan(out, plan)
    if markdown is not None:
        write_markdown(markdown, render_markdown(plan))
    if as_json:
        print(render_json(plan), end="")
    else:
        print(render_plan(plan, color=color, note=note), end="")
    if out is not None:
        log.info("Saved the plan to %s; `connectfile apply %s` applies exactly it.", out, out)
    if plan.count(Action.REFUSED):
        refused = ", ".join(a.key for a in plan.apps if a.action is Action.REFUSED)
        log.error("%s cannot be applied as configured (see the plan above)", refused)
        return ExitCode.ERROR
    return ExitCode.CHANGES if detailed_exitcode and plan.has_changes else ExitCode.OK
