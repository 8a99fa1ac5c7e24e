"""Remember connect.toml texts that passed the schema check (edge: one small cache file).

The schema's verdict depends only on the schema and the config bytes, so a text seen valid
once need not be checked again: a no-change plan then never imports jsonschema. Entries
are `schema.fingerprint` digests (schema + config bytes), so an edited config or a new
schema is always checked. The cross-field rules still run on every load.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from connectfile.files.hashcache import CACHE_DIR, write_cache_file

log = logging.getLogger("connectfile")

KEEP: Final = 8  # a few texts, so switching between branches stays fast


class ConfigMemo:
    """The fingerprints stored in `.connect/cache/config-ok` beside connect.toml."""

    def __init__(self, project_root: Path) -> None:
        self._path = project_root / CACHE_DIR / "config-ok"
        try:
            self._known = self._path.read_text("ascii").split()
        except (OSError, ValueError):
            self._known = []

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self._known

    def add(self, fingerprint: str) -> None:
        """Remember `fingerprint` (most recent first); never fails."""
        self._known = [fingerprint, *(f for f in self._known if f != fingerprint)][:KEEP]
        try:
            write_cache_file(self._path, "".join(f"{f}\n" for f in self._known).encode("ascii"))
        except OSError as exc:  # a read-only checkout still works, just slower
            log.debug("config memo not written: %s", exc)
