"""Reading a bundle archive safely: gzip tar, no member escaping the bundle directory."""

from __future__ import annotations

import io
import posixpath
import tarfile
from typing import Final

# Limits on what an upload may unpack to, so a small gzip bomb cannot exhaust the host. The
# numbers are ours (Connect's are not documented): far above any real Python bundle.
MAX_UNPACKED: Final = 1 << 30  # bytes, all members together
MAX_MEMBERS: Final = 100_000
MAX_PATH: Final = 4096  # characters of a member's path
MAX_NAME: Final = 255  # characters of one path component


class ArchiveError(Exception):
    """The archive cannot be extracted the way Connect would extract it."""


def _normalise(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/")


def _escapes(path: str) -> bool:
    if path.startswith("/") or path.startswith("\\"):
        return True
    normal = posixpath.normpath(path)
    return normal == ".." or normal.startswith("../")


def read_files(data: bytes) -> dict[str, bytes]:
    """Regular files by bundle-relative path; raise ArchiveError for anything unsafe."""
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")  # noqa: SIM115 (closed below)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"the bundle is not a gzip-compressed tar archive ({exc})") from None
    files: dict[str, bytes] = {}
    links: dict[str, str] = {}
    budget = _Budget()
    try:
        with tar:
            for member in tar:
                budget.take(member)
                name = _normalise(member.name)
                if not name or name == ".":
                    continue
                if _escapes(name):
                    raise ArchiveError(f"member {member.name!r} points outside the bundle")
                if member.issym():
                    target = posixpath.join(posixpath.dirname(name), member.linkname)
                    if member.linkname.startswith("/") or _escapes(target):
                        raise ArchiveError(
                            f"link {member.name!r} -> {member.linkname!r} escapes the bundle")
                    links[name] = posixpath.normpath(target)
                elif member.islnk():
                    if _escapes(_normalise(member.linkname)):
                        raise ArchiveError(
                            f"link {member.name!r} -> {member.linkname!r} escapes the bundle")
                    links[name] = _normalise(member.linkname)
                elif member.isfile():
                    handle = tar.extractfile(member)
                    files[name] = handle.read() if handle is not None else b""
                elif not member.isdir():
                    raise ArchiveError(f"member {member.name!r} is not a regular file")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError(f"the bundle archive is damaged ({exc})") from None
    for name, target in links.items():
        if target in files:
            files[name] = files[target]
    return files


class _Budget:
    """Counts members and unpacked bytes; raises ArchiveError past a limit."""

    def __init__(self) -> None:
        self.members = 0
        self.size = 0

    def take(self, member: tarfile.TarInfo) -> None:
        self.members += 1
        self.size += max(member.size, 0)
        if self.members > MAX_MEMBERS:
            raise ArchiveError(f"the bundle has more than {MAX_MEMBERS} members")
        if self.size > MAX_UNPACKED:
            raise ArchiveError(f"the bundle unpacks to more than {MAX_UNPACKED} bytes")
        if len(member.name) > MAX_PATH or any(len(p) > MAX_NAME for p in member.name.split("/")):
            raise ArchiveError(f"member path {member.name[:80]!r}... is too long")


def archive_problem(data: bytes) -> str | None:
    """Why `data` is not an acceptable gzip tar (not one, damaged, over a limit), or None.

    Members are walked as a stream and never held, so checking costs no memory.
    """
    budget = _Budget()
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r|gz") as tar:
            for member in tar:
                budget.take(member)
    except ArchiveError as exc:
        return str(exc)
    except (tarfile.TarError, OSError, EOFError, ValueError):
        return "it is not a gzip-compressed tar archive, or it is damaged"
    return None


def is_gzip_tar(data: bytes) -> bool:
    return archive_problem(data) is None
