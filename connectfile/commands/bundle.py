"""The `bundle` command: write the tar.gz that would be uploaded for an app."""

from __future__ import annotations

from pathlib import Path

from connectfile.bundle.archive import write_bundle
from connectfile.bundle.prepare import find_app, prepare
from connectfile.commands.common import load
from connectfile.views.plan_text import size_text
from connectfile.views.progress import progress_for


def run(
    *, config: Path | None, app: str, output: Path, force_generate: bool, python: str | None
) -> int:
    """Write APP's bundle to `output` (atomically) and print what was written."""
    project = load(config)
    local = prepare(project, find_app(project, app), python=python, force_generate=force_generate)
    with progress_for().transfer(f"{app}: bundle", local.size) as meter:
        info = write_bundle(local, output, meter)
    count = local.file_count + 1  # the archive holds manifest.json too
    print(f"wrote {info.path}: {count} files, {size_text(info.size)}, md5 {info.md5}")
    return 0
