"""One apply at a time per project: a lock file under `.connect/`, waited for with a message."""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from filelock import FileLock, Timeout

from connectfile.errors import ConnectfileError

log = logging.getLogger("connectfile")

LOCK_NAME: Final = "apply.lock"
DEFAULT_WAIT: Final = 300.0  # seconds; `--lock-timeout` changes it, 0 fails at once


class LockedError(ConnectfileError):
    """Another connectfile run holds the project's lock."""


@contextmanager
def project_lock(root: Path, *, timeout: float = DEFAULT_WAIT) -> Iterator[None]:
    """Hold `.connect/apply.lock` for the block; wait up to `timeout` s for another run.

    The OS releases the lock when its holder dies (even by SIGKILL), so a crashed run never
    leaves the project locked; the holder's pid and start time sit beside it for messages.
    """
    directory = root / ".connect"
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():  # records may be committed; locks and temp bundles never
        ignore.write_text("# created by connectfile\n*.lock\n*.holder\ntmp/\n")
    path = directory / LOCK_NAME
    lock = FileLock(str(path))
    holder = directory / (LOCK_NAME + ".holder")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        who = _holder(holder)
        if timeout <= 0:
            raise LockedError(
                f"another connectfile apply is running in this project ({who}; lock "
                f"{path}); wait for it, or pass --lock-timeout SECONDS to wait"
            ) from None
        log.info("waiting up to %.0f s for another connectfile apply in this project (%s)",
                 timeout, who)
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise LockedError(
                f"another connectfile apply still holds {path} after {timeout:.0f} s ({who}); "
                "try again later or raise --lock-timeout"
            ) from None
    try:
        holder.write_text(f"pid {os.getpid()} since {time.strftime('%H:%M:%S')}\n")
        yield
    finally:
        holder.unlink(missing_ok=True)
        lock.release()


def sweep_tmp(root: Path) -> Path:
    """Empty `.connect/tmp/` (bundles a killed run left behind) and return it.

    Called under the project lock, so no running apply owns anything in it.
    """
    tmp = root / ".connect" / "tmp"
    if tmp.is_dir():
        for entry in tmp.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    return tmp


def _holder(path: Path) -> str:
    try:
        return path.read_text("utf-8").strip()[:60] or "holder unknown"
    except (OSError, ValueError):
        return "holder unknown"
