"""Walk an app directory on disk and apply the selection rules (edge: file-system reads).

Symlinks inside the project root are followed and bundled as regular files; one that
resolves outside it (or nowhere) is a SelectionError. Virtualenvs (a directory holding
`pyvenv.cfg` or `bin/python`) are never walked. Checksums are computed by streaming.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from connectfile.errors import SelectionError
from connectfile.files.selection import Decision, Rule, Rules

CHUNK: Final = 1 << 20  # 1 MiB reads keep memory flat whatever the file size
VENV_MARKERS: Final = ("pyvenv.cfg", "bin/python", "Scripts/python.exe")


@dataclass(frozen=True, kw_only=True, slots=True)
class Found:
    """A file chosen for the bundle: its bundle path and where to read it."""

    dest: str
    source: Path
    rule: Rule  # why it is bundled


@dataclass(frozen=True, kw_only=True, slots=True)
class Walk:
    """What walking one tree found: kept files and the decisions that dropped things."""

    kept: tuple[Found, ...]
    dropped: tuple[Decision, ...]  # directories (pruned whole) and files
    venv_dirs: Mapping[str, str]  # bundle-relative dir -> marker, for `explain`


def venv_marker(directory: str | Path) -> str | None:
    """The file that makes `directory` a virtualenv, or None (a dangling link still counts)."""
    for marker in VENV_MARKERS:
        if os.path.lexists(os.path.join(directory, marker)):
            return marker
    return None


def walk(root: Path, rules: Rules, *, project_root: Path, prefix: str = "") -> Walk:
    """Walk `root`, deciding every entry with `rules`; paths are reported as `prefix + rel`.

    `prefix` is the bundle folder a `{from, to}` mapping lands in ("" for the app itself).
    Directories are pruned as soon as a rule drops them, so excluded trees cost nothing.
    """
    kept: list[Found] = []
    dropped: list[Decision] = []
    venvs: dict[str, str] = {}
    real_root = project_root.resolve()
    # (directory, its real path, its bundle-relative prefix, real paths on the way down)
    stack: list[tuple[Path, Path, str, frozenset[Path]]] = []
    real_start = root.resolve()
    stack.append((root, real_start, "", frozenset({real_start})))
    while stack:
        directory, real_dir, rel_dir, seen = stack.pop()
        for entry in _entries(directory):
            name = entry.name
            rel = rel_dir + name
            bundle_rel = prefix + rel
            is_link = entry.is_symlink()
            if entry.is_dir():
                marker = venv_marker(entry.path)
                if marker is not None:
                    venvs[bundle_rel] = marker
                verdict = rules.check_dir(bundle_rel, marker)
                if verdict is not None:
                    dropped.append(verdict)
                    continue
                path = directory / name
                target = _inside(path, real_root, bundle_rel) if is_link else real_dir / name
                if target in seen:
                    continue  # a symlink loop: the directory is already being walked
                stack.append((path, target, rel + "/", seen | {target}))
                continue
            # Most files match no pattern: that answer needs no Decision object.
            rule = rules.unmatched_rule(bundle_rel)
            if rule is None:
                decision = rules.check_file(bundle_rel)
                if not decision.kept:
                    dropped.append(decision)
                    continue
                rule = decision.rule
            if is_link:
                _inside(directory / name, real_root, bundle_rel)
            if not entry.is_file():
                continue  # sockets, fifos and the like are not app files
            kept.append(Found(dest=bundle_rel, source=directory / name, rule=rule))
    kept.sort(key=lambda f: f.dest)
    dropped.sort(key=lambda d: d.path)
    return Walk(kept=tuple(kept), dropped=tuple(dropped), venv_dirs=venvs)


def _entries(directory: Path) -> Iterator[os.DirEntry[str]]:
    with os.scandir(directory) as it:
        yield from sorted(it, key=lambda e: e.name)


def _inside(link: Path, real_root: Path, shown: str) -> Path:
    """Resolve a symlink; refuse it when it dangles or leaves the project root."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        raise SelectionError(
            f"{shown}: broken symlink (-> {os.readlink(link)}); "
            "remove it or add it to exclude"
        ) from None
    if not target.is_relative_to(real_root):
        raise SelectionError(
            f"{shown}: symlink resolves outside the project root (-> {target}); "
            "copy the file into the project, or add the link to exclude"
        )
    return target


def check_inside(path: Path, project_root: Path, shown: str) -> Path:
    """`path` resolved; a SelectionError when it leaves the project root or is missing."""
    real_root = project_root.resolve()
    target = path.resolve()
    if not target.is_relative_to(real_root):
        raise SelectionError(
            f"{shown}: resolves outside the project root ({target}); "
            "only files under the directory holding connect.toml can be bundled"
        )
    return target


def digest(path: Path) -> tuple[int, str]:
    """Size in bytes and md5 hex of a file, read in chunks (never whole into memory)."""
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    with open(path, "rb", buffering=0) as f:  # unbuffered: each read is one CHUNK syscall
        while chunk := f.read(CHUNK):
            md5.update(chunk)
            size += len(chunk)
    return size, md5.hexdigest()
