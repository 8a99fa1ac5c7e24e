"""The `manifest` command: write manifest.json (and generated requirements) beside each app,
or with `--check` fail when the one on disk is stale."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from connectfile.bundle.manifest import MANIFEST_NAME, differences
from connectfile.bundle.prepare import find_app, prepare
from connectfile.bundle.prepared import LocalApp
from connectfile.commands.common import load
from connectfile.errors import ExitCode
from connectfile.files.atomic import write_atomic

log = logging.getLogger("connectfile")


def run(
    *,
    config: Path | None,
    apps: Sequence[str],
    check: bool,
    force_generate: bool,
    python: str | None,
) -> int:
    """Write (or `check`) the manifest of each named app, or of every app when none is named."""
    project = load(config)
    chosen = [find_app(project, key) for key in apps] if apps else list(project.apps)
    stale = 0
    for app in chosen:
        local = prepare(project, app, python=python, force_generate=force_generate)
        if check:
            problems = _stale(local)
            if problems:
                stale += 1
                print(f"{app.key}: {_shown(local)} is stale:")
                for line in problems:
                    print(f"  {line}")
            else:
                print(f"{app.key}: {_shown(local)} is up to date")
            continue
        for f in local.files:
            if f.data is not None:
                write_atomic(local.directory / f.dest, f.data)
                print(f"{app.key}: wrote {_shown(local, f.dest)} ({local.requirements_source})")
        write_atomic(local.directory / MANIFEST_NAME, local.manifest_bytes)
        print(f"{app.key}: wrote {_shown(local)}")
    if stale:
        log.error("%d manifest%s stale; run `connectfile manifest` and commit the result",
                  stale, " is" if stale == 1 else "s are")
        return ExitCode.ERROR
    return ExitCode.OK


def _shown(local: LocalApp, name: str = MANIFEST_NAME) -> str:
    path = local.directory / name
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _stale(local: LocalApp) -> list[str]:
    """What differs between the files on disk and what `manifest` would write."""
    path = local.directory / MANIFEST_NAME
    if not path.is_file():
        return [f"missing (no {MANIFEST_NAME} in {_shown(local, '.')})"]
    raw = path.read_bytes()
    problems: list[str] = []
    if raw != local.manifest_bytes:
        try:
            old: Any = json.loads(raw)
        except ValueError as exc:
            return [f"not valid JSON ({exc})"]
        if not isinstance(old, dict):
            return ["not a JSON object"]
        problems.extend(differences(old, local.manifest) or ["formatting differs"])
    for f in local.files:
        if f.data is not None:
            on_disk = local.directory / f.dest
            if not on_disk.is_file() or on_disk.read_bytes() != f.data:
                problems.append(f"{f.dest} would be regenerated ({local.requirements_source})")
    return problems
