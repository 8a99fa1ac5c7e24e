"""Persistent emulator state: one JSON document plus bundle archives, atomic writes, one lock."""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STATE_FILE = "state.json"
SCHEMA = 1

State = dict[str, Any]


class StoreError(Exception):
    """The data dir cannot be used (unreadable or foreign state file)."""


def _empty_state() -> State:
    return {"schema": SCHEMA, "next_content_id": 1, "next_bundle_id": 1,
            "next_tag_id": 1, "next_permission_id": 1,
            "users": {}, "content": {}, "bundles": {}, "env": {}, "vanities": {},
            "groups": {}, "tags": {}, "content_tags": {}, "permissions": {}}


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see either the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Store:
    """The emulator's database. Every read and mutation happens under `self.lock`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.lock = threading.RLock()
        path = data_dir / STATE_FILE
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            (data_dir / "bundles").mkdir(exist_ok=True)
            self._state: State = (json.loads(path.read_text("utf-8")) if path.exists()
                                  else _empty_state())
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: cannot read the emulator's state ({exc}); fix it or "
                             "start with an empty data dir") from None
        if not isinstance(self._state, dict) or self._state.get("schema") != SCHEMA:
            raise StoreError(f"{path}: not an emulator state file (schema {SCHEMA}); "
                             "start with an empty data dir")
        # Collections added since a data dir was made start empty.
        for key, value in _empty_state().items():
            self._state.setdefault(key, value)

    @contextmanager
    def read(self) -> Iterator[State]:
        with self.lock:
            yield self._state

    @contextmanager
    def mutate(self) -> Iterator[State]:
        """Yield the live state; save it on success, roll it back if the block raises."""
        with self.lock:
            snapshot = copy.deepcopy(self._state)
            try:
                yield self._state
            except BaseException:
                self._state = snapshot
                raise
            self._save()

    def _save(self) -> None:
        text = json.dumps(self._state, indent=1, sort_keys=True)
        atomic_write(self.data_dir / STATE_FILE, text.encode("utf-8"))

    def bundle_path(self, bundle_id: str) -> Path:
        return self.data_dir / "bundles" / f"{int(bundle_id)}.tar.gz"

    def write_bundle(self, bundle_id: str, data: bytes) -> None:
        atomic_write(self.bundle_path(bundle_id), data)

    def read_bundle(self, bundle_id: str) -> bytes | None:
        try:
            return self.bundle_path(bundle_id).read_bytes()
        except FileNotFoundError:
            return None

    def delete_bundle_file(self, bundle_id: str) -> None:
        self.bundle_path(bundle_id).unlink(missing_ok=True)
