"""Reading a bundle archive safely: gzip tar, no member escaping the bundle directory."""

from __future__ import annotations

import io
import posixpath
import tarfile


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
    try:
        with tar:
            for member in tar:
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


def is_gzip_tar(data: bytes) -> bool:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.getmembers()
    except (tarfile.TarError, OSError, EOFError):
        return False
    return True
