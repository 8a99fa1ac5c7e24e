"""The `import` command: turn Publisher configs and rsconnect-python records into apps."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from connectfile.commands.common import CONFIG_NAME, find_config
from connectfile.config.load import parse_project
from connectfile.config.model import DEFAULT_SERVER_ENV, IMPLICIT_TARGET
from connectfile.errors import ConfigError, UsageError
from connectfile.files.atomic import write_atomic
from connectfile.scaffold.adding import Outcome, add_apps
from connectfile.scaffold.peer_files import read_publisher, read_rsconnect
from connectfile.scaffold.peers import Found


def run(*, config: Path | None, publisher: Path | None, rsconnect: Path | None,
        dry_run: bool) -> int:
    """Add one app per peer configuration to connect.toml (or print the TOML with --dry-run)."""
    if publisher is None and rsconnect is None:
        raise UsageError("import needs --from-publisher DIR or --from-rsconnect DIR "
                         "(the directory holding .posit/publish/ or rsconnect-python/)")
    path = _config_path(config)
    existing = path.read_text("utf-8") if path.exists() else None
    _parsed(existing, path)  # a broken connect.toml is reported before anything is read
    root = path.absolute().parent
    apps_found: list[tuple[str, Found]] = []
    for tool, directory, reader in (("Posit Publisher", publisher, read_publisher),
                                    ("rsconnect-python", rsconnect, read_rsconnect)):
        if directory is None:
            continue
        if not directory.is_dir():
            raise UsageError(f"{directory}: not a directory")
        apps_found.append((tool, reader(directory, root)))
    text = existing
    outcomes: list[Outcome] = []
    for tool, found in apps_found:
        outcome = _add_valid(text, path, found, tool)
        outcomes.append(outcome)
        text = outcome.text
    added = [a for o in outcomes for a in o.added]
    if added:
        _validate(outcomes[-1].text, path)
    _report(apps_found, outcomes, path, dry_run=dry_run)
    if not added:
        return 0
    if dry_run:
        sys.stdout.write("".join(o.fragment for o in outcomes if o.fragment))
        return 0
    write_atomic(path, outcomes[-1].text.encode("utf-8"))
    return 0


def _add_valid(text: str | None, path: Path, found: Found, tool: str) -> Outcome:
    """Add `found`'s apps, leaving out (and reporting) each one that would not validate."""
    current = _parsed(text, path)
    apps = list(found.apps)
    rejected: list[str] = []
    while True:
        outcome = add_apps(text, current.get("apps", {}), _targets(current), apps, tool=tool)
        bad = _invalid(outcome, path)
        if not bad:
            return replace(outcome, notes=outcome.notes + tuple(rejected))
        sources = set()
        for item in outcome.added:
            if item.app.key in bad:
                sources.add(item.app.source)
                rejected.append(f"{item.app.source}: skipped: apps.{item.app.key} would not "
                                f"be valid ({bad[item.app.key]})")
        apps = [a for a in apps if a.source not in sources]


def _invalid(outcome: Outcome, path: Path) -> dict[str, str]:
    """Problems of the new apps in `outcome.text`, by app key (the first one of each)."""
    if not outcome.added:
        return {}
    try:
        parse_project(outcome.text, source=str(path), root=path.absolute().parent)
    except ConfigError as exc:
        keys = {item.app.key for item in outcome.added}
        bad: dict[str, str] = {}
        for issue in exc.issues:
            parts = issue.path.split(".")
            key = parts[1].split("[")[0] if len(parts) > 1 and parts[0] == "apps" else None
            if key in keys:
                bad.setdefault(key, f"{issue.path}: {issue.message}")
        if not bad:  # not the new apps' fault: say so rather than guess
            _validate(outcome.text, path)
        return bad
    return {}


def _config_path(explicit: Path | None) -> Path:
    """The connect.toml to add to: the one found as usual, else a new one here."""
    try:
        found = find_config(explicit)
        return Path(os.path.relpath(found)) if found.is_absolute() else found
    except UsageError:
        if explicit is not None:
            return explicit if explicit.parent.is_dir() else find_config(explicit)
        return Path(CONFIG_NAME)


def _parsed(text: str | None, path: Path) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        data: dict[str, Any] = tomlkit.parse(text).unwrap()
    except TOMLKitError:
        parse_project(text, source=str(path), root=path.parent)  # raises the usual syntax error
        raise
    return data


def _targets(data: dict[str, Any]) -> dict[str, str | None]:
    targets = data.get("targets")
    if isinstance(targets, dict) and targets:
        return {str(n): t.get("server") if isinstance(t, dict) else None
                for n, t in targets.items()}
    return {IMPLICIT_TARGET: os.environ.get(DEFAULT_SERVER_ENV)}


def _validate(text: str, path: Path) -> None:
    try:
        parse_project(text, source=str(path), root=path.absolute().parent)
    except ConfigError as exc:
        raise UsageError(
            f"the imported apps would make {path} invalid, so nothing was written:\n"
            f"{exc}\n(run with --dry-run to see the TOML, fix the source files or connect.toml, "
            "and import again)") from None


def _report(found: list[tuple[str, Found]], outcomes: list[Outcome], path: Path, *,
            dry_run: bool) -> None:
    out = sys.stderr if dry_run else sys.stdout
    added = [a for o in outcomes for a in o.added]
    verb = "Would add" if dry_run else "Added"
    if added:
        print(f"{verb} {len(added)} app{'s' * (len(added) != 1)} to {path}:", file=out)
    for item in added:
        pins = ", ".join(f"guid pinned for {t}" for t in item.pins) or "no guid pin"
        print(f"  {item.app.key}: {item.app.table['type']} from {item.app.source} ({pins})",
              file=out)
    for _, result in found:
        for skip in result.skipped:
            print(f"  skipped {skip.source}: {skip.reason}", file=out)
    for outcome in outcomes:
        for note in outcome.notes:
            print(f"  {note}", file=out)
    for tool, result in found:
        if not result.apps and not result.skipped:
            looked = (".posit/publish/*.toml" if tool == "Posit Publisher"
                      else "rsconnect-python/*.json or [tool.rsconnect] in pyproject.toml")
            print(f"  {tool}: found no {looked} under the directory given", file=out)
    if not added:
        print(f"Nothing to import: no app was added to {path}.", file=out)
    elif not dry_run:
        print("Next: run `connectfile validate`, then `connectfile plan`.", file=out)
