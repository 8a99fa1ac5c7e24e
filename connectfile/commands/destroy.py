"""The `destroy` command: show which content items go, ask for `yes`, delete them."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from connectfile.commands.common import load, local_note
from connectfile.engine.destroy import plan_destroy
from connectfile.engine.executor import ApplyContext, apply_plan
from connectfile.errors import ExitCode, UsageError
from connectfile.remote.lock import DEFAULT_WAIT, project_lock
from connectfile.remote.records import load_record, save_record
from connectfile.remote.target import open_target
from connectfile.views.apply_text import EventPrinter, outcome_json, print_summary
from connectfile.views.plan_text import render_plan

PROMPT = "Do you really want to destroy these content items? Only 'yes' will be accepted: "


def run(
    *,
    config: Path | None,
    target: str | None,
    apps: Sequence[str],
    auto_approve: bool,
    as_json: bool,
    color: bool,
    lock_timeout: float = DEFAULT_WAIT,
) -> int:
    project = load(config)
    with project_lock(project.root, timeout=lock_timeout), \
            open_target(project, target) as session:
        name = session.target.name
        record = load_record(project.root, name, server=session.record_server)
        plan = plan_destroy(session.client, project, target=name,
                            server=session.record_server, keys=apps, record=record,
                            owner_guid=session.user_guid)
        note = local_note(session, project.root)
        if not as_json:
            print(render_plan(plan, color=color, note=note), end="")
        if not plan.has_changes:
            if as_json:
                print(json.dumps(outcome_json(plan, None), indent=2))
            return ExitCode.OK
        if not auto_approve:
            _confirm()
        result = apply_plan(plan, ApplyContext(
            api=session.client,
            project=project,
            apps={a.key: a for a in project.apps_for(name)},
            owner_guid=session.user_guid,
            server_url=session.server_url,
            record_server=session.record_server,
            environ=os.environ,
            local_digests={},
            write_bundle=_no_bundle,
            record=record,
            save_record=lambda r: save_record(project.root, name, r),
            on_event=EventPrinter(sys.stderr),
        ))
    if as_json:
        print(json.dumps(outcome_json(plan, result), indent=2))
    else:
        print_summary(result, sys.stdout, sys.stderr, note)
    return ExitCode.OK if result.ok else ExitCode.ERROR


def _no_bundle(key: str, out: Path) -> str:
    raise AssertionError("destroy uploads no bundle")


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise UsageError(
            "destroy asks for confirmation, but stdin is not a terminal; "
            "pass --auto-approve to destroy unattended"
        )
    answer = input(PROMPT)
    if answer.strip() != "yes":
        raise UsageError("Destroy cancelled (only 'yes' is accepted); nothing was deleted.")
