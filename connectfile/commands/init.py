"""The `init` command: find the apps under a directory and write a commented connect.toml."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from connectfile.commands.common import CONFIG_NAME
from connectfile.config.load import parse_project
from connectfile.engine.validation import validate_offline
from connectfile.errors import ConfigError, Issue, UsageError
from connectfile.files.atomic import write_atomic
from connectfile.scaffold.detect import FRAMEWORKS, FoundApp, render
from connectfile.scaffold.discover import Skipped, discover


def run(*, directory: Path) -> int:
    """Write DIR/connect.toml describing the apps found under DIR; never overwrite one."""
    if not directory.is_dir():
        raise UsageError(f"{directory}: not a directory")
    target = directory / CONFIG_NAME
    if target.exists():
        raise UsageError(f"{target} already exists; init never overwrites it "
                         "(edit it, or remove it and run init again)")
    found = list(discover(directory))
    apps = [f for f in found if isinstance(f, FoundApp)]
    skipped = [f for f in found if isinstance(f, Skipped)]
    apps, left_out = _valid(apps, target, directory)
    if not apps:
        _report(skipped, left_out)
        kinds = ", ".join(module for module, _ in FRAMEWORKS)
        raise UsageError(f"no apps found under {directory} (looked for .py files "
                         f"importing {kinds}, or naming them in requirements.txt)")
    text = render(apps)
    try:
        write_atomic(target, text.encode("utf-8"), exclusive=True)
    except FileExistsError:
        raise UsageError(f"{target} already exists; init never overwrites it") from None
    print(f"Wrote {target} with {len(apps)} app{'s' * (len(apps) != 1)}:")
    for app in apps:
        print(f"  {app.key}: {app.type} in {app.path}/")
    _report(skipped, left_out)
    print("Next: review it, then run `connectfile validate`.")
    return 0


def _report(skipped: Sequence[Skipped], left_out: Sequence[tuple[FoundApp, Issue]]) -> None:
    for item in skipped:
        print(f"Skipped {item.path}/: {item.reason}")
    for app, issue in left_out:
        print(f"Left out {app.path}/ ({app.type}), it would not validate: {issue.message}")


def _valid(apps: Sequence[FoundApp], target: Path,
           root: Path) -> tuple[list[FoundApp], list[tuple[FoundApp, Issue]]]:
    """The apps whose connect.toml passes validate, and each other one with its first error:
    init never writes a file that `validate` rejects."""
    kept = list(apps)
    left_out: list[tuple[FoundApp, Issue]] = []
    while kept:
        try:
            project = parse_project(render(kept), source=str(target), root=root)
            errors = validate_offline(project, os.environ).errors
        except ConfigError as exc:
            errors = exc.issues
        bad = {i.path.split(".")[1]: i for i in errors if i.path.startswith("apps.")}
        if not errors:
            break
        if not bad:  # not about one app: nothing init can leave out
            raise ConfigError(errors)
        left_out += [(a, bad[a.key]) for a in kept if a.key in bad]
        kept = [a for a in kept if a.key not in bad]
    return kept, left_out
