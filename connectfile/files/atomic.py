"""Write a file so readers see the old bytes or the new ones, never a torn file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_file(path: Path, *, exclusive: bool = False) -> Iterator[BinaryIO]:
    """Stream into a temp file beside `path`; on success fsync it and move it into place.

    The file keeps the permissions of the one it replaces, else gets 0644: mkstemp makes
    0600 files, and manifests, records, plans and bundles are meant to be read and shared.
    `exclusive` refuses (FileExistsError) rather than replace an existing `path`.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        if exclusive:
            os.chmod(tmp, 0o644)
            os.link(tmp, path)  # fails if `path` appeared meanwhile; never overwrites
            os.unlink(tmp)
        else:
            os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write `data` to `path` with `atomic_file`."""
    with atomic_file(path, exclusive=exclusive) as f:
        f.write(data)
