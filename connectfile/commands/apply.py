"""The `apply` command: show the plan, ask for `yes`, carry it out, summarise per app."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from connectfile.bundle.archive import write_bundle
from connectfile.bundle.prepare import LocalApp, prepare
from connectfile.commands.common import find_config
from connectfile.config.load import load_project
from connectfile.config.model import Project
from connectfile.engine.executor import (
    ApplyContext,
    ApplyResult,
    AppOutcome,
    Event,
    EventKind,
    apply_plan,
)
from connectfile.engine.planning import config_digest, plan_target
from connectfile.errors import StalePlanError, UsageError
from connectfile.plans.saved import load_plan
from connectfile.plans.values import Action, Plan
from connectfile.remote.records import load_record, save_record
from connectfile.remote.target import TargetSession, open_target
from connectfile.views.plan_text import plan_to_json, render_plan

PROMPT = "Do you want to perform these actions? Only 'yes' will be accepted: "
STATUS_MARK = {"created": "+", "redeployed": "~", "updated": "~", "unchanged": " ", "failed": "!"}


def run(
    *,
    config: Path | None,
    planfile: Path | None,
    target: str | None,
    apps: Sequence[str],
    auto_approve: bool,
    parallelism: int,
    as_json: bool,
    color: bool,
    resend_secrets: bool,
    force_generate: bool,
    python: str | None,
) -> int:
    project = load_project(find_config(config))
    saved = load_plan(planfile) if planfile is not None else None
    if saved is not None and target is None:
        target = saved.target
    with open_target(project, target) as session:
        if saved is None:
            plan, locals_ = plan_target(project, session, apps=apps, python=python,
                                        force_generate=force_generate,
                                        resend_secrets=resend_secrets)
        else:
            plan = _checked_saved(saved, project, session, apps)
            locals_ = _prepare(project, plan, session.target.name, python, force_generate)
        record = load_record(project.root, session.target.name, server=session.record_server)
        if not as_json:
            print(render_plan(plan, color=color), end="")
        if not plan.has_changes:
            if as_json:
                print(json.dumps(_outcome_json(plan, None), indent=2))
            return 0
        if not auto_approve:
            _confirm()
        result = apply_plan(plan, ApplyContext(
            api=session.client,
            apps={a.key: a for a in project.apps_for(session.target.name)},
            owner_guid=session.user_guid,
            server_url=session.server_url,
            record_server=session.record_server,
            environ=os.environ,
            local_digests={k: v.digest for k, v in locals_.items()},
            write_bundle=lambda key, out: write_bundle(locals_[key], out).md5,
            record=record,
            save_record=lambda r: save_record(project.root, session.target.name, r),
            on_event=_EventPrinter(sys.stderr),
            supports_drafts=session.supports_drafts,
            parallelism=parallelism,
        ))
    if as_json:
        print(json.dumps(_outcome_json(plan, result), indent=2))
    else:
        _print_summary(result, sys.stdout, sys.stderr)
    return 0 if result.ok else 1


def _prepare(
    project: Project, plan: Plan, target: str, python: str | None, force_generate: bool
) -> dict[str, LocalApp]:
    """Prepare the saved plan's apps again: their digests show whether files moved since."""
    apps = {a.key: a for a in project.apps_for(target)}
    gone = sorted(a.key for a in plan.apps if a.key not in apps)
    if gone:
        raise StalePlanError(
            f"error: the saved plan is stale, nothing was changed: {', '.join(gone)} no longer "
            f"in {project.source}; run `connectfile plan` again"
        )
    return {
        a.key: prepare(project, apps[a.key], python=python, force_generate=force_generate)
        for a in plan.apps
        if a.action is not Action.REFUSED
    }


def _checked_saved(
    plan: Plan, project: Project, session: TargetSession, apps: Sequence[str]
) -> Plan:
    """A saved plan applies only to the config and server it was made for."""
    if plan.config_digest and plan.config_digest != config_digest(project):
        raise StalePlanError(
            f"error: the saved plan is stale, nothing was changed: {project.source} changed "
            "since the plan was made; run `connectfile plan` again"
        )
    # The embedded emulator's port changes every run; a local plan is bound to its name only.
    same_server = session.target.is_local or plan.server == session.server_url
    if plan.target != session.target.name or not same_server:
        raise StalePlanError(
            f"error: the saved plan was made for target {plan.target!r} ({plan.server}), not "
            f"{session.target.name!r} ({session.server_url}); nothing was changed"
        )
    if apps:
        unknown = sorted(set(apps) - {a.key for a in plan.apps})
        if unknown:
            raise UsageError(f"error: --app {', '.join(unknown)}: not in the saved plan")
        plan = replace(plan, apps=tuple(a for a in plan.apps if a.key in apps))
    return plan


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise UsageError(
            "error: apply asks for confirmation, but stdin is not a terminal; "
            "pass --auto-approve to apply unattended"
        )
    answer = input(PROMPT)
    if answer.strip() != "yes":
        raise UsageError("Apply cancelled (only 'yes' is accepted); nothing was changed.")


class _EventPrinter:
    """Renders executor events as `app-key: message` lines; one line at a time across threads."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        if event.kind is EventKind.FAILED:
            return  # the closing summary says it once, with the log tail
        with self._lock:
            print(f"{event.app}: {event.message}", file=self.stream, flush=True)


def _print_summary(result: ApplyResult, out: TextIO, err: TextIO) -> None:
    for o in result.outcomes:
        if o.ok:
            continue
        print(f"\n{o.key}: {o.error}", file=err)
        if o.log_tail:
            print(f"{o.key}: last {len(o.log_tail)} log lines:", file=err)
            for line in o.log_tail:
                print(f"  {line}", file=err)
    counts = {s: sum(1 for o in result.outcomes if o.status == s) for s in STATUS_MARK}
    print("", file=out)
    width = max((len(o.key) for o in result.outcomes), default=0)
    for o in result.outcomes:
        where = o.url or ""
        print(f"  {STATUS_MARK[o.status]} {o.key:<{width}}  {o.status:<10}  {where}".rstrip(),
              file=out)
    print(
        f"\nApply {'complete' if result.ok else 'finished with errors'}: "
        f"{counts['created']} created, {counts['redeployed']} redeployed, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged, "
        f"{counts['failed']} failed.",
        file=out,
    )


def _outcome_json(plan: Plan, result: ApplyResult | None) -> dict[str, Any]:
    outcomes: Mapping[str, AppOutcome] = {o.key: o for o in result.outcomes} if result else {}
    apps = []
    for a in plan.apps:
        o = outcomes.get(a.key)
        apps.append({
            "key": a.key,
            "action": a.action.value,
            "status": o.status if o else "unchanged",
            "guid": (o.guid if o else None) or a.guid,
            "url": (o.url if o else None) or a.content_url,
            "bundle_id": o.bundle_id if o else None,
            "error": o.error if o else None,
            "log_tail": list(o.log_tail) if o else [],
        })
    return {
        "format_version": 1,
        "target": plan.target,
        "server": plan.server,
        "plan": plan_to_json(plan),
        "apps": apps,
        "ok": result.ok if result else True,
    }

