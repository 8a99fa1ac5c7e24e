"""The `files` command: list what would be uploaded for an app, or say why a path is in or out."""

from __future__ import annotations

import os
from pathlib import Path

from connectfile.bundle.prepare import explain, find_app, select_files
from connectfile.commands.common import load
from connectfile.views.plan_text import size_text


def run(*, config: Path | None, app: str, why: str | None) -> int:
    """Print each file with its size and a total line; with `why`, the rule for that path."""
    project = load(config)
    chosen = find_app(project, app)
    if why is not None:
        decision = explain(project, chosen, why)
        missing = decision.rule.kind != "mapping" and not (
            project.root / chosen.path / decision.path
        ).exists()
        print(f"{decision} (no such file; this rule would apply)" if missing else decision)
        return 0
    selection = select_files(project, chosen)
    rows = [(os.stat(f.source).st_size, f.dest) for f in selection.kept]
    width = max((len(size_text(size)) for size, _ in rows), default=1)
    for size, dest in rows:
        print(f"{size_text(size):>{width}}  {dest}")
    generated = selection.generates_requirements()
    if generated:
        print(f"{'?':>{width}}  {selection.requirements} "
              f"(generated from {selection.source.label} when deploying)")
    total = sum(size for size, _ in rows)
    count = len(rows) + (1 if generated else 0)
    plural = "" if count == 1 else "s"
    print(f"{count} file{plural}, {size_text(total)} (plus manifest.json)")
    return 0
