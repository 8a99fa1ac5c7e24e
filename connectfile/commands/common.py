"""Shared command plumbing: find connect.toml and load it; the note a local target needs;
`--markdown` files."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from connectfile.config.load import load_project
from connectfile.config.model import Project
from connectfile.errors import UsageError
from connectfile.files.atomic import write_atomic
from connectfile.files.configmemo import ConfigMemo
from connectfile.remote.target import TargetSession

CONFIG_NAME = "connect.toml"


def find_config(explicit: Path | None, start: Path | None = None) -> Path:
    """`-c FILE` if given, else ./connect.toml, else the nearest one in a parent directory."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"{explicit}: no such config file (check the -c/--config path)")
        return explicit
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise UsageError(
        f"no {CONFIG_NAME} in {here} or any parent directory "
        "(run `connectfile init` to write one, or pass -c FILE)"
    )


def load(explicit: Path | None) -> Project:
    """Find and load the project's connect.toml (a text that passed the schema before is not
    checked against it again: see files/configmemo.py)."""
    path = find_config(explicit)
    return load_project(path, checked=ConfigMemo(path.absolute().parent))


def local_note(session: TargetSession, root: Path) -> str | None:
    """For a `local` target: its URLs outlive this run only if its data dir is served again."""
    if session.local_dir is None:
        return None
    where = root / session.local_dir
    try:
        shown = where.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = where
    port = urlsplit(session.server_url).port
    return (f"Target {session.target.name} is the local emulator: these URLs live only while "
            f"`connectfile emulator --data-dir {shown} --port {port}` serves that data dir.")


def write_markdown(path: Path, text: str, environ: Mapping[str, str] | None = None) -> None:
    """`--markdown FILE`: written atomically; appended when FILE is `$GITHUB_STEP_SUMMARY`,
    which other steps of the job write to as well."""
    env = os.environ if environ is None else environ
    summary = env.get("GITHUB_STEP_SUMMARY")
    try:
        if summary and Path(summary).resolve() == path.resolve():
            with path.open("a", encoding="utf-8") as out:
                out.write(text)
        else:
            write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write the Markdown plan to {path}: {exc.strerror}") \
            from None
