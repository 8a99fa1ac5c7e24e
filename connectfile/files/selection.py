"""Decide which app files go into a bundle, and name the rule that decided (pure).

Paths are POSIX strings relative to the bundle root. Patterns use gitignore semantics
through `pathspec.GitIgnoreSpec`: any number of `**`, `!` re-includes, patterns without
an inner slash match at every depth. As in git, a file inside an excluded directory
cannot be re-included by a later `!` pattern (the directory is never walked); name the
file in `files` instead, which wins over every exclude.

With an `include` allowlist (Publisher's `files` model) a file is bundled only when the
last include pattern matching it (or one of its directories) is not a `!` pattern; the
excludes then still apply, and the entrypoint, requirements and extra files are bundled
whatever either list says.

The walker (`files.walk`) asks `Rules.check_dir` before descending into a
directory and `Rules.check_file` for each file; `Rules.explain` answers the same question
for any single path, so `connectfile files --why` and the walk can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from pathspec import GitIgnoreSpec

from connectfile.config.locate import key_location
from connectfile.config.model import App, Project
from connectfile.errors import Location, SelectionError

# Dropped at every depth unless a leading "/" anchors them to the app root.
DEFAULT_EXCLUDES: Final[tuple[str, ...]] = (
    ".git/",
    ".svn/",
    "__pycache__/",
    "node_modules/",
    ".ipynb_checkpoints/",
    ".Rproj.user/",
    "packrat/",
    "renv/",
    "rsconnect/",
    "rsconnect-python/",
    ".posit/",
    ".connect/",
    "/manifest.json",  # connectfile writes the bundle's own manifest
    "connect.toml",
)

# Files that may hold secrets: never bundled, not even when named in `files`.
SECRET_EXCLUDES: Final[tuple[str, ...]] = (".env", ".env.*")

RuleKind = Literal[
    "default",  # no rule matched: kept
    "default-exclude",
    "secret",
    "virtualenv",
    "exclude",
    "reinclude",
    "include",
    "not-included",
    "extra",
    "entrypoint",
    "requirements",
    "mapping",
    "config",
    "planfile",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Origin:
    """Where a rule was written: `connect.toml:14 apps.web.exclude[1]`."""

    source: str
    line: int
    key: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where} {self.key}"

    def error(self, message: str) -> SelectionError:
        return SelectionError(
            message, location=Location(source=self.source, line=self.line, path=self.key)
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Rule:
    """One reason to keep or drop a path."""

    kind: RuleKind
    pattern: str = ""
    origin: Origin | None = None
    detail: str = ""  # e.g. the marker that made a directory a virtualenv

    def describe(self) -> str:
        where = f" ({self.origin})" if self.origin else ""
        texts: dict[str, str] = {
            "default": "kept: default (no exclude matches)",
            "default-exclude": f'dropped: default exclude "{self.pattern}"',
            "secret": f'dropped: may hold secrets, never bundled ("{self.pattern}")',
            "virtualenv": f"dropped: virtualenv {self.pattern} (holds {self.detail})",
            "exclude": f'dropped by exclude pattern "{self.pattern}"{where}',
            "reinclude": f'kept: re-included by pattern "{self.pattern}"{where}',
            "include": f'kept: included by pattern "{self.pattern}"{where}',
            "not-included": (f'dropped: re-excluded from include by "{self.pattern}"{where}'
                             if self.pattern else
                             f"dropped: matches no include pattern{where}"),
            "extra": f"kept: extra file (wins over excludes){where}",
            "entrypoint": "kept: entrypoint file (bundled whatever the excludes say)",
            "requirements": "kept: requirements file (bundled whatever the excludes say)",
            "mapping": f"kept: mapped from {self.pattern}{where}",
            "config": f"dropped: the project's config file {self.pattern}",
            "planfile": f"dropped: {self.pattern} is the saved plan this run writes or reads",
        }
        return texts[self.kind]


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """Whether `path` is bundled, and the rule that decided."""

    path: str
    kept: bool
    rule: Rule

    def __str__(self) -> str:
        return f"{self.path}: {self.rule.describe()}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Pattern:
    """An exclude pattern as written, with where it was written."""

    text: str
    origin: Origin | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Rules:
    """Compiled selection rules for one app (patterns from `app_patterns`).

    `forced` maps bundle paths to the rule that keeps them whatever the excludes say
    (extra files, the entrypoint file, the requirements file); `dropped` maps paths to a
    rule that drops them whatever else is said (the project's own config file).
    """

    patterns: tuple[Pattern, ...] = ()
    forced: Mapping[str, Rule] = field(default_factory=dict)
    dropped: Mapping[str, Rule] = field(default_factory=dict)
    include: tuple[Pattern, ...] | None = None  # None: no allowlist, everything is a candidate
    include_origin: Origin | None = None  # where `include` was written, for "matches none"
    _user: GitIgnoreSpec = field(init=False, repr=False, compare=False)
    _allow: GitIgnoreSpec | None = field(init=False, repr=False, compare=False)
    _any: Callable[[str], bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # pathspec skips blank lines; a comment keeps indexes aligned with `patterns`.
        lines = [p.text if p.text.strip() else "#" for p in self.patterns]
        object.__setattr__(self, "_user", GitIgnoreSpec.from_lines(lines))
        allow = None
        if self.include is not None:
            allow = GitIgnoreSpec.from_lines(
                [p.text if p.text.strip() else "#" for p in self.include])
        object.__setattr__(self, "_allow", allow)
        # Most paths match no pattern at all: one combined check settles them quickly.
        combined = GitIgnoreSpec.from_lines([*DEFAULT_EXCLUDES, *SECRET_EXCLUDES, *lines])
        object.__setattr__(self, "_any", _any_matcher(combined))

    def check_dir(self, rel: str, venv_marker: str | None = None) -> Decision | None:
        """The decision that drops the whole directory `rel`, or None to walk into it."""
        probe = rel + "/"
        if venv_marker is None and not self._any(probe):
            return None
        default = _match(_DEFAULTS, DEFAULT_EXCLUDES, probe)
        if default is not None:
            return _drop(rel, "default-exclude", default)
        secret = _match(_SECRETS, SECRET_EXCLUDES, probe)
        if secret is not None:
            return _drop(rel, "secret", secret)
        if venv_marker is not None:
            return Decision(
                path=rel, kept=False, rule=Rule(kind="virtualenv", pattern=rel, detail=venv_marker)
            )
        return self._user_decision(rel, probe, drop_only=True)

    def unmatched_rule(self, rel: str) -> Rule | None:
        """The rule keeping the file `rel` when no pattern touches it (the common case), else
        None: then `check_file` decides. Saves a walk one Decision per ordinary file."""
        if rel in self.dropped or self._allow is not None or self._any(rel):
            return None
        return self.forced.get(rel, _DEFAULT_RULE)

    def check_file(self, rel: str) -> Decision:
        """Whether the file `rel` is bundled, assuming every parent directory was walked."""
        if rel in self.dropped:
            return Decision(path=rel, kept=False, rule=self.dropped[rel])
        if self._allow is None and not self._any(rel):
            return Decision(path=rel, kept=True, rule=self.forced.get(rel, _DEFAULT_RULE))
        secret = _match(_SECRETS, SECRET_EXCLUDES, rel)
        if secret is not None:
            return _drop(rel, "secret", secret)
        if rel in self.forced:
            return Decision(path=rel, kept=True, rule=self.forced[rel])
        default = _match(_DEFAULTS, DEFAULT_EXCLUDES, rel)
        if default is not None:
            return _drop(rel, "default-exclude", default)
        allowed = self._allowed(rel)
        if not allowed.kept:
            return allowed
        user = self._user_decision(rel, rel, drop_only=False)
        return user or allowed

    def explain(self, rel: str, venv_dirs: Mapping[str, str] | None = None) -> Decision:
        """The decision for one file path, parents included; `venv_dirs` maps dir -> marker."""
        venvs = venv_dirs or {}
        if rel in self.forced or rel in self.dropped or is_secret(rel):
            return self.check_file(rel)
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            verdict = self.check_dir(parent, venvs.get(parent))
            if verdict is not None:
                return Decision(path=rel, kept=False, rule=verdict.rule)
        return self.check_file(rel)

    def select(
        self, paths: Iterable[str], venv_dirs: Mapping[str, str] | None = None
    ) -> tuple[Decision, ...]:
        """Decide every path (sorted); the pure twin of walking a directory tree."""
        return tuple(self.explain(p, venv_dirs) for p in sorted(set(paths)))

    def _allowed(self, rel: str) -> Decision:
        """The include allowlist's verdict on the file `rel` (kept by default without one)."""
        if self._allow is None or self.include is None:
            return Decision(path=rel, kept=True, rule=_DEFAULT_RULE)
        result = self._allow.check_file(rel)
        if result.index is None:
            rule = Rule(kind="not-included", origin=self.include_origin)
            return Decision(path=rel, kept=False, rule=rule)
        pattern = self.include[result.index]
        kind: RuleKind = "include" if result.include else "not-included"
        return Decision(path=rel, kept=bool(result.include),
                        rule=Rule(kind=kind, pattern=pattern.text, origin=pattern.origin))

    def _user_decision(self, rel: str, probe: str, *, drop_only: bool) -> Decision | None:
        result = self._user.check_file(probe)
        if result.include is None or result.index is None:
            return None
        pattern = self.patterns[result.index]
        if result.include:
            rule = Rule(kind="exclude", pattern=pattern.text, origin=pattern.origin)
            return Decision(path=rel, kept=False, rule=rule)
        if drop_only:
            return None
        rule = Rule(kind="reinclude", pattern=pattern.text, origin=pattern.origin)
        return Decision(path=rel, kept=True, rule=rule)


def compile_patterns(patterns: Sequence[Pattern], kind: str = "exclude") -> tuple[Pattern, ...]:
    """Check each pattern compiles; a bad one is a SelectionError naming where it was written."""
    kept: list[Pattern] = []
    for p in patterns:
        try:
            GitIgnoreSpec.from_lines([p.text])
        except (ValueError, re.error) as exc:
            message = f'invalid {kind} pattern "{p.text}": {exc} (gitignore syntax expected)'
            if p.origin is not None:
                raise p.origin.error(message) from None
            raise SelectionError(message) from None
        kept.append(p)
    return tuple(kept)


def app_patterns(project: Project, app: App) -> tuple[Pattern, ...]:
    """The app's exclude patterns, each with the config line that wrote it."""
    return compile_patterns(
        [
            Pattern(text=text, origin=key_origin(project, app, "exclude", i))
            for i, text in enumerate(app.exclude)
        ]
    )


def include_patterns(project: Project, app: App) -> tuple[Pattern, ...] | None:
    """The app's include allowlist with where each pattern was written; None without one."""
    if not app.include:  # absent, or `include = []` (clears one set in [defaults])
        return None
    return compile_patterns(
        [
            Pattern(text=text, origin=key_origin(project, app, "include", i))
            for i, text in enumerate(app.include)
        ],
        "include",
    )


def key_origin(project: Project, app: App, key: str, index: int | None = None) -> Origin:
    """Where `key[index]` of `app` was written: its target's override, the app, or `[defaults]`."""
    where = key_location(project, app.key, key, app.target, index)
    return Origin(source=where.source, line=where.line, key=where.path)


_DEFAULT_RULE: Final = Rule(kind="default")
_DEFAULTS: Final = GitIgnoreSpec.from_lines(DEFAULT_EXCLUDES)
_SECRETS: Final = GitIgnoreSpec.from_lines(SECRET_EXCLUDES)


_ANY_DEPTH: Final = "^(?:.+/)?"


def _any_matcher(spec: GitIgnoreSpec) -> Callable[[str], bool]:
    """A function telling whether any pattern of `spec` (negations included) matches a path.

    pathspec tries its patterns one by one; joining their regexes makes the common
    "nothing matches" answer one regex search. Falls back to pathspec when a pattern does
    not expose a regex the way pathspec 0.12-1.x do.
    """
    try:
        parts = [p.regex.pattern.replace("(?P<ps_d>", "(?:")
                 for p in spec.patterns if p.include is not None and p.regex is not None]
        # Most patterns match at any depth (`^(?:.+/)?name...`): with that prefix written
        # once, a path is tried at each of its slashes once, not once per pattern.
        deep = [p.removeprefix(_ANY_DEPTH) for p in parts if p.startswith(_ANY_DEPTH)]
        rooted = [p for p in parts if not p.startswith(_ANY_DEPTH)]
        if deep:
            rooted.append(_ANY_DEPTH + "(?:" + "|".join(f"(?:{d})" for d in deep) + ")")
        joined = re.compile("|".join(f"(?:{part})" for part in rooted)) if rooted else None
    except (AttributeError, TypeError, re.error):
        return lambda path: spec.check_file(path).index is not None
    if joined is None:
        return lambda path: False
    return lambda path: joined.match(path) is not None


def _drop(rel: str, kind: RuleKind, pattern: str) -> Decision:
    return Decision(path=rel, kept=False, rule=Rule(kind=kind, pattern=pattern))


def _match(spec: GitIgnoreSpec, lines: Sequence[str], probe: str) -> str | None:
    result = spec.check_file(probe)
    if result.include and result.index is not None:
        return lines[result.index]
    return None


def is_secret(rel: str) -> bool:
    """True for paths that are never bundled because they may hold secrets (`.env*`)."""
    return _match(_SECRETS, SECRET_EXCLUDES, rel) is not None
