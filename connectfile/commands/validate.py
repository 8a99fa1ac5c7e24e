"""The `validate` command: every offline check of connect.toml and the apps it names."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from connectfile.commands.common import load
from connectfile.engine.validation import validate_offline, validate_online
from connectfile.errors import ConfigError, UsageError

log = logging.getLogger("connectfile")


def run(*, config: Path | None, online: bool, target: str | None) -> int:
    """Check the file, then the apps on disk; print one line on success, raise ConfigError else."""
    project = load(config)
    if target is not None and target not in {t.name for t in project.targets}:
        known = ", ".join(t.name for t in project.targets)
        raise UsageError(f"no target {target!r} in {project.source} (targets: {known})")
    found = validate_offline(project, os.environ)
    for warning in found.warnings:
        log.warning(warning)
    if found.errors:
        raise ConfigError(found.errors)
    apps = len(project.apps)
    targets = len(project.targets)
    summary = (f"{project.source} is valid: {apps} app{'s' * (apps != 1)}, "
               f"{targets} target{'s' * (targets != 1)}")
    if online:
        facts, remote_issues = validate_online(project, target)
        if remote_issues:
            raise ConfigError(remote_issues)
        summary += (f"; {facts.server} (target {facts.target}) accepts them, "
                    f"as {facts.identity}")
    print(summary + ".")
    return 0
