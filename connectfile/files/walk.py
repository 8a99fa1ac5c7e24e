"""Walk an app directory on disk and apply the selection rules (edge: file-system reads).

Symlinks inside the project root are followed and bundled as regular files; one that
resolves outside it (or nowhere) is a SelectionError. Virtualenvs (a directory holding
`pyvenv.cfg` or `bin/python`) are never walked. Checksums are computed by streaming.
"""

from __future__ import annotations

import hashlib
import operator
import os
from collections.abc import Container, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, NamedTuple

from connectfile.errors import SelectionError
from connectfile.files.selection import Decision, Rule, Rules

CHUNK: Final = 1 << 20  # 1 MiB reads keep memory flat whatever the file size
VENV_MARKERS: Final = ("pyvenv.cfg", "bin/python", "Scripts/python.exe")


class Found(NamedTuple):
    """A file chosen for the bundle: its bundle path and where to read it.

    A NamedTuple, not a frozen dataclass: a walk makes one per file, and a tuple is built
    in a third of the time.
    """

    dest: str
    source: str  # the file's path on disk (an OS path string: no Path per file)
    rule: Rule  # why it is bundled


@dataclass(frozen=True, kw_only=True, slots=True)
class Walk:
    """What walking one tree found: kept files and the decisions that dropped things."""

    kept: tuple[Found, ...]
    dropped: tuple[Decision, ...]  # directories (pruned whole) and files
    venv_dirs: Mapping[str, str]  # bundle-relative dir -> marker, for `explain`


def venv_marker(directory: str | Path, names: Container[str] | None = None) -> str | None:
    """The file that makes `directory` a virtualenv, or None (a dangling link still counts).

    `names`, the directory's entries when they are already listed, spares the look-ups
    that would fail (most directories are not virtualenvs).
    """
    for marker in VENV_MARKERS:
        if names is not None and marker.partition("/")[0] not in names:
            continue
        if os.path.lexists(os.path.join(directory, marker)):
            return marker
    return None


def walk(root: Path, rules: Rules, *, project_root: Path, prefix: str = "") -> Walk:
    """Walk `root`, deciding every entry with `rules`; paths are reported as `prefix + rel`.

    `prefix` is the bundle folder a `{from, to}` mapping lands in ("" for the app itself).
    Directories are pruned as soon as a rule drops them, so excluded trees cost nothing.
    Entries are visited in the order the OS lists them; the result is sorted, and of
    several bad symlinks the one with the smallest path is reported, so the outcome does
    not depend on that order.
    """
    kept: list[Found] = []
    dropped: list[Decision] = []
    venvs: dict[str, str] = {}
    problems: list[tuple[str, SelectionError]] = []
    real_root = project_root.resolve()
    real_start = root.resolve()
    start = str(root)
    # (directory, its real path, its bundle-relative prefix, real paths on the way down,
    # its entries): a directory is listed once, when its parent decides about it.
    stack = [(real_start, "", frozenset({real_start}), _entries(start))]
    while stack:
        real_dir, rel_dir, seen, entries = stack.pop()
        for entry in entries:
            name = entry.name
            bundle_rel = prefix + rel_dir + name
            is_link = entry.is_symlink()
            if entry.is_dir():
                verdict = rules.check_dir(bundle_rel)
                # A default or secret exclude wins over the virtualenv test, which wins
                # over the user's excludes (only the reported rule differs).
                if verdict is not None and verdict.rule.kind != "exclude":
                    dropped.append(verdict)
                    continue
                if verdict is None:
                    children = _entries(entry.path)
                    marker = venv_marker(entry.path, {e.name for e in children})
                else:  # excluded: not listed (it may be huge), asked the question directly
                    children = []
                    marker = venv_marker(entry.path)
                if marker is not None:
                    venvs[bundle_rel] = marker
                    verdict = rules.check_dir(bundle_rel, marker)
                if verdict is not None:
                    dropped.append(verdict)
                    continue
                if is_link:
                    try:
                        target = _inside(Path(entry.path), real_root, bundle_rel)
                    except SelectionError as exc:
                        problems.append((bundle_rel, exc))
                        continue
                else:
                    target = real_dir / name
                if target in seen:
                    continue  # a symlink loop: the directory is already being walked
                stack.append((target, rel_dir + name + "/", seen | {target}, children))
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
                try:
                    _inside(Path(entry.path), real_root, bundle_rel)
                except SelectionError as exc:
                    problems.append((bundle_rel, exc))
                    continue
            if not entry.is_file():
                continue  # sockets, fifos and the like are not app files
            kept.append(Found(bundle_rel, entry.path, rule))
    if problems:
        raise min(problems, key=lambda p: p[0])[1]
    kept.sort(key=_dest)
    dropped.sort(key=lambda d: d.path)
    return Walk(kept=tuple(kept), dropped=tuple(dropped), venv_dirs=venvs)


_dest: Final = operator.itemgetter(0)


def _entries(directory: str) -> list[os.DirEntry[str]]:
    with os.scandir(directory) as it:
        return list(it)


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


def digest(path: str | Path) -> tuple[int, str]:
    """Size in bytes and md5 hex of a file, read in chunks (never whole into memory)."""
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    with open(path, "rb", buffering=0) as f:  # unbuffered: each read is one CHUNK syscall
        while chunk := f.read(CHUNK):
            md5.update(chunk)
            size += len(chunk)
    return size, md5.hexdigest()
