"""The `apply` command: show the plan, ask for `yes`, carry it out, summarise per app."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from connectfile.bundle.archive import write_bundle
from connectfile.bundle.prepared import LocalApp
from connectfile.commands.common import load, local_note, write_markdown
from connectfile.commands.interrupt import cancel_on_sigint
from connectfile.engine.executor import ApplyContext, apply_plan
from connectfile.engine.planning import plan_target
from connectfile.engine.provenance import Provenances
from connectfile.engine.saved import check_saved, prepare_saved
from connectfile.errors import ExitCode, UsageError
from connectfile.files.meter import Progress
from connectfile.plans.saved import load_plan
from connectfile.plans.values import Plan
from connectfile.remote.lock import DEFAULT_WAIT, project_lock, sweep_tmp
from connectfile.remote.records import cache_dir, load_record, save_record
from connectfile.remote.target import open_target, remember_manifest
from connectfile.views.apply_text import EventPrinter, outcome_json, print_summary
from connectfile.views.plan_markdown import render_apply_markdown, render_markdown
from connectfile.views.plan_text import render_plan
from connectfile.views.progress import progress_for

PROMPT = "Do you want to perform these actions? Only 'yes' will be accepted: "


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
    markdown: Path | None = None,
    retries: int | None = None,
    lock_timeout: float = DEFAULT_WAIT,
) -> int:
    project = load(config)
    saved = load_plan(planfile) if planfile is not None else None
    if saved is not None:
        _check_flags(saved, planfile, target, apps)
        target = saved.target
    progress = progress_for()
    # The record is read, planned from and written under the lock: a run that waited sees
    # what the one before it deployed and recorded, and keeps its entries.
    with project_lock(project.root, timeout=lock_timeout), \
            open_target(project, target, retries=retries) as session:
        if saved is None:
            planned = plan_target(project, session, apps=apps, python=python,
                                  force_generate=force_generate,
                                  resend_secrets=resend_secrets, progress=progress)
            plan, locals_, record = planned.plan, planned.prepared, planned.record
        else:
            assert planfile is not None
            plan = check_saved(saved, project, session)
            locals_ = prepare_saved(project, plan, session.target.name, python, force_generate,
                                    planfile)
            record = load_record(project.root, session.target.name, server=session.record_server)
        note = local_note(session, project.root)
        if not as_json:
            print(render_plan(plan, color=color, note=note), end="")
        if not plan.has_changes:
            if as_json:
                print(json.dumps(outcome_json(plan, None), indent=2))
            if markdown is not None:
                write_markdown(markdown, render_markdown(plan))
            return 0
        if not auto_approve and saved is None:
            _confirm()  # a saved plan is the approval, as in Terraform
        apps_by_key = {a.key: a for a in project.apps_for(session.target.name)}
        provenance = Provenances(project, session)
        cancel = threading.Event()
        tmp_dir = sweep_tmp(project.root)  # under the lock: what is there is a dead run's
        context = ApplyContext(
            api=session.client,
            project=project,
            apps=apps_by_key,
            owner_guid=session.user_guid,
            server_url=session.server_url,
            record_server=session.record_server,
            environ=os.environ,
            local_digests={k: v.digest for k, v in locals_.items()},
            write_bundle=lambda key, out: _write(locals_[key], key, out, progress),
            record=record,
            save_record=lambda r: save_record(project.root, session.target.name, r),
            on_event=EventPrinter(sys.stderr),
            supports_drafts=session.supports_drafts,
            principal=session.principal,
            progress=progress,
            bundle_metadata=lambda key: provenance.upload_metadata(apps_by_key[key]),
            parallelism=parallelism,
            uploaded=lambda key, guid, bundle_id: remember_manifest(
                cache_dir(project.root, session.target.name), guid, bundle_id,
                locals_[key].manifest),
            tmp_dir=tmp_dir,
            cancel=cancel,
        )
        with cancel_on_sigint(cancel):
            result = apply_plan(plan, context)
    if markdown is not None:
        write_markdown(markdown, render_apply_markdown(plan, result))
    if as_json:
        print(json.dumps(outcome_json(plan, result), indent=2))
    else:
        print_summary(result, sys.stdout, sys.stderr, note)
    if result.interrupted:
        return ExitCode.INTERRUPTED
    return ExitCode.OK if result.ok else ExitCode.ERROR


def _write(local: LocalApp, key: str, out: Path, progress: Progress) -> str:
    with progress.transfer(f"{key}: bundle", local.size) as meter:
        return write_bundle(local, out, meter).md5


def _check_flags(saved: Plan, planfile: Path | None, target: str | None,
                 apps: Sequence[str]) -> None:
    """A saved plan is applied whole, to the target it was made for: never a silent re-plan."""
    if apps:
        raise UsageError(
            f"--app cannot be used with a saved plan ({planfile} applies every app it "
            "holds); make the plan with `plan --app A -o FILE` instead"
        )
    if target is not None and target != saved.target:
        raise UsageError(
            f"-t {target}: {planfile} was made for target {saved.target!r}; drop -t "
            f"or make a plan for {target!r} with `plan -t {target} -o FILE`"
        )


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise UsageError(
            "apply asks for confirmation, but stdin is not a terminal; "
            "pass --auto-approve to apply unattended"
        )
    try:
        answer = input(PROMPT)
    except EOFError:  # Ctrl-D: no answer is a refusal
        print(file=sys.stderr)
        answer = ""
    if answer.strip() != "yes":
        raise UsageError("Apply cancelled (only 'yes' is accepted); nothing was changed.")


