"""Git provenance of an app directory: repository, branch or tag, commit (`-dirty`), as
rsconnect-python 1.32 sends it with a bundle (reference: rsconnect-python.md §7.6)."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger("connectfile")

GIT_TIMEOUT: Final = 10.0


RepoFacts = tuple[tuple[tuple[str, str], ...], tuple[str, ...]]


def source_metadata(directory: Path, cache: dict[str, RepoFacts] | None = None) -> dict[str, str]:
    """`source`, `source_repo`, `source_branch`, `source_commit` of `directory`; {} outside
    a git work tree or without git. Dirtiness is the app directory's own (a monorepo's other
    apps, and connectfile's own `.connect/`, do not make it dirty). With a `cache` (one per
    run), git runs a few times per repository, not per app."""
    top = _work_tree(directory.resolve())
    if top is None:
        return {}
    key = str(top)
    if cache is None or key not in cache:
        found = _repo_facts(key)
        if cache is None:
            cache = {}
        cache[key] = found
    facts, changed = cache[key]
    out = dict(facts)
    commit = out.pop("commit", None)
    if commit is not None:
        rel = directory.resolve().relative_to(top).as_posix()
        prefix = "" if rel == "." else rel + "/"
        dirty = any(p.startswith(prefix) and not _is_record(p[len(prefix):]) for p in changed)
        out["source_commit"] = f"{commit}-dirty" if dirty else commit
    if out:
        out["source"] = "git"
    return dict(sorted(out.items()))


def _work_tree(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _is_record(path: str) -> bool:
    return path == ".connect" or path.startswith(".connect/")


def _repo_facts(top: str) -> RepoFacts:
    """Commit, branch (or exact tag), origin and changed paths of one repository."""
    out: dict[str, str] = {}
    root = Path(top)
    commit = _git(root, "rev-parse", "HEAD")
    if commit:
        out["commit"] = commit
    branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD")
    if branch == "HEAD":
        branch = _git(root, "describe", "--exact-match", "--tags")
    if branch:
        out["source_branch"] = branch
    origin = _git(root, "remote", "get-url", "origin")
    if origin:
        repo = https_url(origin)
        if repo:
            out["source_repo"] = repo
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", strip=False)
    changed: list[str] = []
    entries = iter((status or "").split("\0"))
    for entry in entries:
        if len(entry) > 3:
            changed.append(entry[3:])
            if entry[0] in "RC":  # a rename or copy is followed by its source path
                changed.append(next(entries, ""))
    return tuple(out.items()), tuple(changed)


def https_url(remote: str) -> str | None:
    """An origin URL as https with any user, password or token removed; None if unknown.

    `git@host:org/repo.git` and `ssh://git@host/org/repo.git` become
    `https://host/org/repo.git`; `https://user:token@host/x` becomes `https://host/x`.
    """
    text = remote.strip()
    if "://" not in text and ":" in text and not text.startswith("/"):
        userhost, _, path = text.partition(":")  # scp-like: [user@]host:path
        host = userhost.rpartition("@")[2]
        return f"https://{host}/{path.lstrip('/')}" if host and path else None
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http", "ssh", "git", "git+ssh") or not parts.hostname:
        return None  # a local path or file:// URL names nothing a reader could open
    host = parts.hostname
    port = parts.port
    netloc = host if port is None or parts.scheme in ("ssh", "git+ssh") else f"{host}:{port}"
    return urlunsplit(("https", netloc, parts.path, "", ""))


def bundle_metadata(directory: Path, extra: Mapping[str, str], *, git: bool,
                    cache: dict[str, RepoFacts] | None = None) -> dict[str, str]:
    """What a bundle upload's `metadata` part carries: git facts (unless off), then the
    app's `metadata` keys on top."""
    facts = source_metadata(directory, cache) if git else {}
    return {**facts, **extra}


def _git(directory: Path, *args: str, strip: bool = True) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(directory), *args], capture_output=True,
                              text=True, timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("git %s: %s", args[0], exc)
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() if strip else done.stdout
