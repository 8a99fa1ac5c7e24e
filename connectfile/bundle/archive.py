"""Write an app's bundle: a reproducible gzip tar streamed to disk (edge: files, tar).

Members: `manifest.json` first, then the files sorted by bundle path, all relative to the
app root, as regular files with mtime 0, uid/gid 0, empty owner names and mode 0644; no
directory entries. The gzip header has mtime 0 and no file name. The same inputs give the
same bytes, and files are copied in chunks, so memory does not grow with bundle size.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from connectfile.bundle.manifest import MANIFEST_NAME
from connectfile.bundle.prepared import BundleFile, LocalApp
from connectfile.errors import SelectionError
from connectfile.files.atomic import atomic_file
from connectfile.files.meter import Meter

COMPRESSLEVEL: Final = 6  # fixed, so output bytes do not depend on a library default
CHUNK: Final = 1 << 20


@dataclass(frozen=True, kw_only=True, slots=True)
class BundleInfo:
    """The written bundle: where, how big, and the md5 the upload sends as X-Content-Checksum."""

    path: Path
    size: int
    md5: str  # hex of the whole .tar.gz


def _ignore(_: int) -> None:
    pass


class _Counting(io.RawIOBase):
    """A write-only sink that hashes and counts what passes through to `target`."""

    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        data = bytes(b)
        self._target.write(data)
        self.md5.update(data)
        self.size += len(data)
        return len(data)


class _Checked(io.RawIOBase):
    """A reader that hashes what tarfile copies, to catch files changed since they were hashed."""

    def __init__(self, source: IO[bytes], meter: Meter | None = None) -> None:
        self._source = source
        self._meter = meter or _ignore
        self.md5 = hashlib.md5(usedforsecurity=False)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(min(size, CHUNK) if size and size > 0 else CHUNK)
        self.md5.update(data)
        self._meter(len(data))
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


def write_bundle(local: LocalApp, out: Path, meter: Meter | None = None) -> BundleInfo:
    """Write `local`'s bundle to `out` atomically and describe it.

    `meter` hears how many bytes of the app's files have gone in (of `local.total_size()`).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as raw:
        counting = _Counting(raw)
        with (
            gzip.GzipFile(filename="", mode="wb", fileobj=counting,
                          compresslevel=COMPRESSLEVEL, mtime=0) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            tar.addfile(_member(MANIFEST_NAME, len(local.manifest_bytes)),
                        io.BytesIO(local.manifest_bytes))
            for f in local.files:
                _add(tar, f, meter or _ignore)
    return BundleInfo(path=out, size=counting.size, md5=counting.md5.hexdigest())


def _add(tar: tarfile.TarFile, f: BundleFile, meter: Meter) -> None:
    if f.data is not None:
        tar.addfile(_member(f.dest, len(f.data)), io.BytesIO(f.data))
        meter(len(f.data))
        return
    assert f.source is not None  # a BundleFile has either data or a source
    with open(f.source, "rb") as src:
        if os.fstat(src.fileno()).st_size != f.size:
            raise _changed(f)
        checked = _Checked(src, meter)
        tar.addfile(_member(f.dest, f.size), checked)
        if checked.md5.hexdigest() != f.md5:
            raise _changed(f)


def _changed(f: BundleFile) -> SelectionError:
    return SelectionError(
        f"{f.source}: changed while the bundle was being written; run the command again"
    )
