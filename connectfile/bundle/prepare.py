"""One-stop local view of an app: its files, manifest and digest, ready to bundle (edge).

`prepare(project, app)` is what plan, apply, `manifest` and `bundle` call. It chooses the
files (`files.selection` rules walked by `files.walk`), resolves the
Python version and requirements (`bundle.python`), hashes every file by streaming and
builds the manifest bytes (`bundle.manifest`). `select_files` and `explain` are the
cheaper halves used by `connectfile files`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from connectfile.bundle import python as pyenv
from connectfile.bundle import requirements as deps
from connectfile.bundle.manifest import MANIFEST_NAME, build_manifest, keep_unmanaged, to_bytes
from connectfile.bundle.prepared import BundleFile, LocalApp
from connectfile.bundle.requirements import DepSource
from connectfile.bundle.sources import committed_manifest, generate, reader
from connectfile.config.locate import key_location
from connectfile.config.model import App, Project
from connectfile.errors import SelectionError, UsageError
from connectfile.files.entrypoints import EntrypointError, manifest_entrypoint, takes_file
from connectfile.files.hashcache import ChecksumCache
from connectfile.files.pysource import EXPRESS_PREFIX, unescape_name
from connectfile.files.selection import (
    Decision,
    Origin,
    Rule,
    Rules,
    app_patterns,
    include_patterns,
    is_secret,
    key_origin,
)
from connectfile.files.walk import Found, check_inside, venv_marker, walk

log = logging.getLogger("connectfile")


@dataclass(frozen=True, kw_only=True, slots=True)
class Selection:
    """The files chosen for an app, each with the rule that kept it, and what was dropped."""

    directory: Path
    entrypoint: str
    kept: tuple[Found, ...]  # sorted by dest
    dropped: tuple[Decision, ...]
    rules: Rules
    venv_dirs: Mapping[str, str]
    secrets_skipped: tuple[str, ...]
    requirements: str  # the requirements file's bundle path (the manifest's package_file)
    source: DepSource  # where the requirements come from

    def generates_requirements(self, force_generate: bool = False) -> bool:
        """Whether deploying writes the requirements: forced, or converted from another source
        (a lock file, pyproject.toml, inline metadata, or freezing)."""
        return force_generate or self.source.generated


def app_directory(project: Project, app: App) -> Path:
    """The app's directory; a SelectionError citing `apps.X.path` when it is not one."""
    directory = project.root / app.path
    origin = key_origin(project, app, "path")
    if not directory.is_dir():
        raise origin.error(f'"{app.path}" is not a directory under {project.root}')
    check_inside(directory, project.root, f"apps.{app.key}.path")
    return directory


def select_files(project: Project, app: App, *, skip: Collection[Path] = ()) -> Selection:
    """Choose the app's files (SPEC §3) without hashing them or asking Python anything.

    `skip` are files never bundled whatever the rules say: the saved plan `plan -o` writes
    or `apply FILE` reads, so a plan written inside an app directory does not change it.
    """
    directory = app_directory(project, app)
    top = sorted(e.name for e in os.scandir(directory) if e.is_file())
    try:
        entrypoint = manifest_entrypoint(app, top, reader(directory))
    except EntrypointError as exc:
        where = key_location(project, app.key, "entrypoint", app.target)
        raise EntrypointError(exc.message, location=where) from None
    entry_file = _entry_file(app.type, entrypoint, directory)
    source = _dep_source(project, app, directory, entry_file)
    requirements = source.dest
    forced: dict[str, Rule] = {}
    if source.path is not None:
        forced[source.path] = Rule(kind="requirements")
    if entry_file is not None:
        forced[entry_file] = Rule(kind="entrypoint")
    extra_at, mapping_at = _files_indices(project, app)
    for i, extra in zip(extra_at, app.files, strict=True):
        origin = key_origin(project, app, "files", i)
        forced[_relative(extra, origin)] = Rule(kind="extra", origin=origin)
    dropped: dict[str, Rule] = {}
    config = (project.path or project.root / Path(project.source).name).resolve()
    if config.is_relative_to(directory.resolve()):
        rel = config.relative_to(directory.resolve()).as_posix()
        dropped[rel] = Rule(kind="config", pattern=rel)
    for path in skip:
        real = path.resolve()
        if real.is_relative_to(directory.resolve()):
            rel = real.relative_to(directory.resolve()).as_posix()
            dropped[rel] = Rule(kind="planfile", pattern=rel)
    rules = Rules(patterns=app_patterns(project, app), forced=forced, dropped=dropped,
                  include=include_patterns(project, app),
                  include_origin=key_origin(project, app, "include"))
    tree = walk(directory, rules, project_root=project.root)
    chosen: dict[str, Found] = {f.dest: f for f in tree.kept}
    dropped_decisions = list(tree.dropped)
    for dest, rule in forced.items():
        if dest not in chosen:  # pruned with an excluded directory, or missing
            _add_forced(chosen, dest, rule, directory, project, rules, dropped_decisions)
    for j, mapping in zip(mapping_at, app.mappings, strict=True):
        origin = key_origin(project, app, "files", j)
        _add_mapping(chosen, mapping.source, mapping.dest, origin, project, rules,
                     dropped_decisions)
    secrets = tuple(sorted(d.path for d in dropped_decisions if d.rule.kind == "secret"))
    return Selection(
        directory=directory, entrypoint=entrypoint,
        kept=tuple(chosen[k] for k in sorted(chosen)), dropped=tuple(dropped_decisions),
        rules=rules, venv_dirs=tree.venv_dirs, secrets_skipped=secrets,
        requirements=requirements, source=source,
    )


def _dep_source(project: Project, app: App, directory: Path, entry_file: str | None) -> DepSource:
    """The app's dependency source; a SelectionError when a named one does not exist."""
    origin = key_origin(project, app, "requirements")
    named = _relative(app.requirements, origin) if app.requirements is not None else None
    script = entry_file if entry_file is not None and entry_file.endswith(".py") else None
    source = deps.choose(named, reader(directory), script)
    if named is not None and not (directory / named).is_file():
        what = "is a directory, not a file" if (directory / named).is_dir() else "does not exist"
        raise origin.error(
            f'"{named}" {what} in {directory} (fix the path, or remove requirements to use '
            "requirements.txt, pylock.toml, uv.lock, pyproject.toml or inline script metadata, "
            "whichever comes first)"
        )
    return source


def find_app(project: Project, key: str) -> App:
    """The app called `key`; a UsageError listing the known apps otherwise."""
    for app in project.apps:
        if app.key == key:
            return app
    known = ", ".join(a.key for a in project.apps) or "none"
    raise UsageError(f"no app {key!r} in {project.source} (apps: {known})")


def _files_indices(project: Project, app: App) -> tuple[list[int], list[int]]:
    """Positions in the written `files` array of the plain entries and of the mappings.

    The model splits `files` into strings and `{from, to}` tables; the line map still has
    `apps.X.files[N].from` for each table, which restores the original positions.
    """
    total = len(app.files) + len(app.mappings)
    tables = sorted(
        n for n in range(total) if f"apps.{app.key}.files[{n}].from" in project.lines
    )
    if len(tables) != len(app.mappings):  # set in [defaults] or a target: keep the order
        return list(range(len(app.files))), list(range(len(app.files), total))
    return [n for n in range(total) if n not in tables], tables


def explain(project: Project, app: App, path: str) -> Decision:
    """Which rule keeps or drops `path` for `files --why`.

    `path` is relative to the app directory (a bundle path), or a path to an existing
    file inside the app directory as seen from the working directory.
    """
    chosen = select_files(project, app)
    rel = _bundle_path(path, chosen.directory)
    for found in chosen.kept:
        if found.dest == rel:
            return Decision(path=rel, kept=True, rule=found.rule)
    for decision in chosen.dropped:
        if rel == decision.path or rel.startswith(decision.path + "/"):
            return Decision(path=rel, kept=False, rule=decision.rule)
    venvs = dict(chosen.venv_dirs)
    parts = rel.split("/")
    for depth in range(1, len(parts)):
        parent = "/".join(parts[:depth])
        marker = venv_marker(chosen.directory / parent)
        if marker is not None:
            venvs.setdefault(parent, marker)
    return chosen.rules.explain(rel, venvs)


def _bundle_path(path: str, directory: Path) -> str:
    on_disk = Path(path)
    if on_disk.is_absolute() or (os.path.lexists(on_disk) and not (directory / path).exists()):
        absolute = Path(os.path.abspath(on_disk))
        if not absolute.is_relative_to(directory.absolute()):
            raise UsageError(f"{path} is not inside the app directory {directory}")
        return absolute.relative_to(directory.absolute()).as_posix()
    rel = PurePosixPath(path.replace(os.sep, "/"))
    if ".." in rel.parts:
        raise UsageError(f"{path} is not inside the app directory {directory}")
    return rel.as_posix().removeprefix("./")


def prepare(
    project: Project,
    app: App,
    *,
    python: str | None = None,
    force_generate: bool = False,
    skip: Collection[Path] = (),
) -> LocalApp:
    """Select, hash and describe `app` as it would be deployed.

    `python` is the `--python` interpreter; `force_generate` freezes requirements even when
    the requirements file exists. Raises SelectionError / EntrypointError / UsageError with
    a one-line message naming the config line and the fix.
    """
    chosen = select_files(project, app, skip=skip)
    warn_secrets(chosen)
    info = pyenv.resolve_python(app, chosen.directory, python=python)
    source = chosen.source
    if force_generate:
        source = deps.choose(app.requirements, reader(chosen.directory), None,
                             force_generate=True)
    requirements = source.dest
    generated = source.generated
    files: list[BundleFile] = []
    cache = ChecksumCache.for_app(project.root, app.key)
    for found in chosen.kept:
        if generated and found.dest == requirements:
            continue
        size, md5 = cache.digest(found.source)
        files.append(BundleFile(found.dest, found.source, None, size, md5))
    if generated:
        data = generate(app, source, chosen.directory, info.interpreter)
        files.append(BundleFile(dest=requirements, source=None, data=data, size=len(data),
                                md5=hashlib.md5(data, usedforsecurity=False).hexdigest()))
        files.sort(key=lambda f: f.dest)
    manifest = build_manifest(
        appmode=app.app_mode, entrypoint=chosen.entrypoint, python_version=info.version,
        # No pip version: it would describe this machine, not the app, and would make a
        # manifest written after `pip freeze` differ from the next one (Publisher omits it).
        requires=info.requires, package_file=requirements, pip_version=None,
        checksums={f.dest: f.md5 for f in files}, manager=source.manager,
        allow=app.package_manager,
    )
    manifest = keep_unmanaged(manifest, committed_manifest(chosen.directory))
    cache.save()
    data = to_bytes(manifest)
    return LocalApp(
        app=app, directory=chosen.directory, files=tuple(files), manifest=manifest,
        manifest_bytes=data, digest=hashlib.sha256(data).hexdigest(),
        python_version=info.version, requirements_generated=generated,
        requirements_source=source.label,
    )


def warn_secrets(chosen: Selection) -> None:
    """Say which `.env` files were left out (the CLI shows each warning once per run)."""
    if not chosen.secrets_skipped:
        return
    log.warning(
        "not bundled (may hold secrets): %s; pass values with `secrets` or `env` in connect.toml",
        ", ".join(chosen.secrets_skipped),
    )


def _relative(path: str, origin: Origin) -> str:
    """A config path as a clean bundle path; refuses absolute paths and `..` escapes."""
    pure = PurePosixPath(path.replace("\\", "/"))
    rel = pure.as_posix().removeprefix("./")
    if pure.is_absolute() or ".." in pure.parts or rel in ("", "."):
        raise origin.error(
            f'"{path}" must be a path inside the app directory '
            '(for files elsewhere in the project use { from = "...", to = "..." })'
        )
    return rel


def _check_inside(path: Path, root: Path, origin: Origin) -> None:
    try:
        check_inside(path, root, str(path))
    except SelectionError as exc:
        raise origin.error(str(exc)) from None


def _entry_file(app_type: str, entrypoint: str, directory: Path) -> str | None:
    """The file an entrypoint names, when it exists in the app directory."""
    if entrypoint.startswith(EXPRESS_PREFIX):
        candidates = [unescape_name(entrypoint[len(EXPRESS_PREFIX):])]
    elif takes_file(app_type, entrypoint):
        name = entrypoint if entrypoint.endswith(".py") else f"{entrypoint}.py"
        candidates = [name]
    else:
        base = entrypoint.partition(":")[0].replace(".", "/")
        candidates = [f"{base}.py", f"{base}/__init__.py"]
    for candidate in candidates:
        if (directory / candidate).is_file():
            return candidate
    return None


def _add_forced(
    chosen: dict[str, Found], dest: str, rule: Rule, directory: Path, project: Project,
    rules: Rules, dropped: list[Decision],
) -> None:
    """Add an extra file (or folder), the entrypoint or the requirements file."""
    path = directory / dest
    origin = rule.origin
    if not path.exists():
        if rule.kind != "extra":
            # validate reports a missing entrypoint; a missing requirements file is generated
            return
        message = f'"{dest}" does not exist in {directory} (fix the path or remove the entry)'
        raise (origin.error(message) if origin else SelectionError(message))
    if origin is not None:
        _check_inside(path, project.root, origin)
    else:
        check_inside(path, project.root, dest)
    if is_secret(dest):
        message = f'"{dest}" may hold secrets and is never bundled (use `secrets` instead)'
        raise (origin.error(message) if origin else SelectionError(message))
    if path.is_dir():
        sub = Rules(patterns=(), forced={}, dropped=rules.dropped)
        tree = walk(path, sub, project_root=project.root, prefix=dest + "/")
        for found in tree.kept:
            chosen.setdefault(found.dest, Found(dest=found.dest, source=found.source, rule=rule))
        dropped.extend(tree.dropped)
        return
    chosen[dest] = Found(dest=dest, source=str(path), rule=rule)


def _add_mapping(
    chosen: dict[str, Found], source: str, dest: str, origin: Origin, project: Project,
    rules: Rules, dropped: list[Decision],
) -> None:
    """Copy a file or folder from elsewhere in the project to `dest` in the bundle."""
    target = _relative(dest, origin)
    if target == MANIFEST_NAME:
        raise origin.error(f'"to" cannot be {MANIFEST_NAME} (connectfile writes that one)')
    path = project.root / source
    if not path.exists():
        raise origin.error(
            f'"from" names {source}, which does not exist under the project root '
            '("from" is relative to the app directory)'
        )
    _check_inside(path, project.root, origin)
    rule = Rule(kind="mapping", pattern=source, origin=origin)
    if path.is_dir():
        # Mapped folders get the default excludes and the app's excludes, matched at the
        # bundle path; the folder itself is kept because it was named explicitly.
        # The include allowlist is the app directory's: a mapping names its files itself.
        mapped = dataclasses.replace(rules, include=None) if rules.include else rules
        tree = walk(path, mapped, project_root=project.root, prefix=target + "/")
        found_files = [Found(dest=f.dest, source=f.source, rule=rule) for f in tree.kept]
        dropped.extend(tree.dropped)
    else:
        found_files = [Found(dest=target, source=str(path), rule=rule)]
    for found in found_files:
        other = chosen.get(found.dest)
        if other is not None and os.path.realpath(other.source) != os.path.realpath(found.source):
            raise origin.error(
                f'bundle path "{found.dest}" would come from both {source} and '
                f'{other.source}; choose another "to"'
            )
        chosen[found.dest] = found
