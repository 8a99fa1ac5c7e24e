"""The `init` command: find the apps under a directory and write a commented connect.toml."""

from __future__ import annotations

from pathlib import Path

from connectfile.commands.common import CONFIG_NAME
from connectfile.errors import UsageError
from connectfile.files.atomic import write_atomic
from connectfile.scaffold.detect import FRAMEWORKS, render
from connectfile.scaffold.discover import find_apps


def run(*, directory: Path) -> int:
    """Write DIR/connect.toml describing the apps found under DIR; never overwrite one."""
    if not directory.is_dir():
        raise UsageError(f"{directory}: not a directory")
    target = directory / CONFIG_NAME
    if target.exists():
        raise UsageError(f"{target} already exists; init never overwrites it "
                         "(edit it, or remove it and run init again)")
    apps = list(find_apps(directory))
    if not apps:
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
    print("Next: review it, then run `connectfile validate`.")
    return 0
