"""Remember file checksums between runs, keyed by what stat says (edge: a small cache file).

A no-change `plan` of a big monorepo would otherwise re-read every byte. An entry is
reused only when size, mtime, ctime and inode all still match; ctime cannot be set by
tools like `touch -d`, and entries for files modified in the last two seconds are not
stored (they could change again within the same timestamp tick, as git's "racy" rule
says). The bundle writer re-checks every md5 while streaming, so a wrong entry could
never ship a bundle whose manifest lies. The cache lives in `.connect/cache/` under the
project root, with a `.gitignore` so it is never committed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Final

from connectfile.files.atomic import write_atomic
from connectfile.files.walk import digest

log = logging.getLogger("connectfile")

CACHE_DIR: Final = Path(".connect") / "cache"
VERSION: Final = 1
RACY_NS: Final = 2_000_000_000


class ChecksumCache:
    """md5 and size of files, reused while their stat signature is unchanged."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._entries: dict[str, list[int | str]] = {}
        self._used: dict[str, list[int | str]] = {}
        self._dirty = False
        if path is not None:
            self._entries = _load(path)

    @classmethod
    def for_app(cls, project_root: Path, app_key: str) -> ChecksumCache:
        name = hashlib.sha256(app_key.encode("utf-8")).hexdigest()[:16]
        return cls(project_root / CACHE_DIR / f"md5-{name}.json")

    def digest(self, path: str) -> tuple[int, str]:
        """Size and md5 hex of `path`, from the cache when its stat signature still matches.

        Called once per file of every app on every plan: the path is the key as given
        (no Path, no str()) and the signature is compared field by field (no lists).
        """
        st = os.stat(path)
        cached = self._entries.get(path)
        if (cached is not None and cached[0] == st.st_size and cached[1] == st.st_mtime_ns
                and cached[2] == st.st_ctime_ns and cached[3] == st.st_ino
                and isinstance(md5 := cached[4], str)):
            self._used[path] = cached
            return st.st_size, md5
        size, md5 = digest(path)
        racy = time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < RACY_NS
        if size == st.st_size and not racy:
            self._used[path] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, md5]
            self._dirty = True
        return size, md5

    def save(self) -> None:
        """Write the entries used by this run (so deleted files drop out); never fails."""
        if self._path is None or (not self._dirty and self._used.keys() == self._entries.keys()):
            return
        data = json.dumps({"version": VERSION, "files": self._used}, separators=(",", ":"))
        try:
            write_cache_file(self._path, data.encode("utf-8"))
        except OSError as exc:  # a read-only checkout still works, just slower
            log.debug("checksum cache not written: %s", exc)


def write_cache_file(path: Path, data: bytes) -> None:
    """Write a file of `.connect/cache/` atomically, creating the folder and its .gitignore."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by connectfile: a cache, never commit it\n*\n")
    write_atomic(path, data)


def _load(path: Path) -> dict[str, list[int | str]]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError):
        # A cache only saves time: a damaged one is rebuilt (and overwritten) by this run.
        log.warning("ignoring the damaged checksum cache %s (it is rebuilt)", path)
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return {}
    files = data.get("files")
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(v, list) and len(v) == 5}
