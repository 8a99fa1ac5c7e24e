"""File-selection rules (pure): gitignore semantics, defaults, precedence, --why wording."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectfile.config.model import App, Project
from connectfile.errors import SelectionError
from connectfile.files.selection import (
    DEFAULT_EXCLUDES,
    Origin,
    Pattern,
    Rule,
    Rules,
    app_patterns,
    key_origin,
)

# The tree of reference/rsconnect-python.md §4.4's experiment, plus a few nested cases.
TREE = (
    "app.py",
    "link_to_app.py",
    "requirements.txt",
    "top.csv",
    "data/a.csv",
    "data/sub/b.csv",
    "sub/file.txt",
    "sub/deeper/d.txt",
    ".env",
    ".python-version",
    ".hidden_dir/h.txt",
    "pkg/__init__.py",
    "pkg/mod.pyc",
    "pkg/__pycache__/m.pyc",
    "node_modules/j.js",
    "sub/node_modules/k.js",
)
FORCED = {"app.py": Rule(kind="entrypoint"), "requirements.txt": Rule(kind="requirements")}
# What no user pattern keeps out: secrets and default excludes, at every depth.
ALWAYS_DROPPED = {".env", "pkg/__pycache__/m.pyc", "node_modules/j.js", "sub/node_modules/k.js"}
BASELINE = set(TREE) - ALWAYS_DROPPED


def kept(patterns: list[str], forced: dict[str, Rule] | None = None) -> set[str]:
    rules = Rules(
        patterns=tuple(Pattern(text=p) for p in patterns),
        forced=FORCED if forced is None else forced,
    )
    return {d.path for d in rules.select(TREE) if d.kept}


def test_no_patterns_keeps_everything_but_defaults_and_secrets():
    assert kept([]) == BASELINE


# Every example of reference/rsconnect-python.md §4.4, with our (gitignore) semantics.
# Each row lists what the pattern drops on top of the baseline; the comment says how
# rsconnect-python 1.32.0 differs.
SECTION_4_4 = [
    # rsconnect: top.csv only (no `**` means exact depth); gitignore: every depth.
    ("*.csv", {"top.csv", "data/a.csv", "data/sub/b.csv"}),
    ("**/*.csv", {"top.csv", "data/a.csv", "data/sub/b.csv"}),
    ("data", {"data/a.csv", "data/sub/b.csv"}),
    ("data/", {"data/a.csv", "data/sub/b.csv"}),
    ("data/**", {"data/a.csv", "data/sub/b.csv"}),
    # rsconnect: data/a.csv only; gitignore: `data/*` also matches the directory data/sub.
    ("data/*", {"data/a.csv", "data/sub/b.csv"}),
    # rsconnect: sub/file.txt only; here sub/deeper/ is matched as a directory too.
    ("sub/*", {"sub/file.txt", "sub/deeper/d.txt"}),
    # No slash: gitignore matches a `sub` at any depth, so data/sub/ goes too (rsconnect:
    # the top-level sub/ only). Write `/sub` to mean only the top-level one.
    ("sub", {"sub/file.txt", "sub/deeper/d.txt", "data/sub/b.csv"}),
    # rsconnect kept .hidden_dir/h.txt (segment rule); gitignore drops the hidden directory.
    (".*", {".python-version", ".hidden_dir/h.txt"}),
    ("**/.*", {".python-version", ".hidden_dir/h.txt"}),
    # Already excluded at every depth by default (rsconnect: top level only).
    ("__pycache__", set()),
    ("**/__pycache__/*", set()),
    ("**/*.pyc", {"pkg/mod.pyc"}),
    # rsconnect dropped the entrypoint too; here the entrypoint is protected.
    ("*.py", {"link_to_app.py", "pkg/__init__.py"}),
    # The requirements file is bundled whatever the excludes say (as in rsconnect).
    ("requirements.txt", set()),
    # rsconnect: a leading slash never matched; gitignore: anchored to the app root.
    ("/sub", {"sub/file.txt", "sub/deeper/d.txt"}),
    # rsconnect: an error (two `**`); gitignore: fine, node_modules is dropped anyway.
    ("**/node_modules/**", set()),
    # rsconnect recommends -x "**" for explicit lists; only protected files survive.
    ("**", BASELINE - {"app.py", "requirements.txt"}),
]


@pytest.mark.parametrize(("pattern", "dropped"), SECTION_4_4, ids=[r[0] for r in SECTION_4_4])
def test_reference_exclude_examples(pattern, dropped):
    assert kept([pattern]) == BASELINE - dropped


def test_extra_files_take_precedence_over_excludes():
    forced = {**FORCED, "data/a.csv": Rule(kind="extra"), "top.csv": Rule(kind="extra")}
    assert kept(["data", "*.csv"], forced) == BASELINE - {"data/sub/b.csv"}


def test_an_excluded_directory_named_by_itself_drops_everything_under_it():
    rules = Rules(patterns=(Pattern(text="data/raw"),))
    paths = ["data/raw/x.csv", "data/raw/deep/er/y.bin", "data/raw.csv", "data/prices.csv",
             "other/data/raw/z.csv"]
    # `data/raw` has an inner slash, so it is anchored to the app root (gitignore rule).
    assert {d.path for d in rules.select(paths) if d.kept} == {
        "data/raw.csv", "data/prices.csv", "other/data/raw/z.csv"}


def test_negation_reincludes_a_file():
    assert kept(["*.csv", "!top.csv"]) == BASELINE - {"data/a.csv", "data/sub/b.csv"}


def test_a_file_under_an_excluded_directory_cannot_be_reincluded_like_git():
    assert kept(["data/", "!data/a.csv"]) == BASELINE - {"data/a.csv", "data/sub/b.csv"}
    # ... but excluding the contents rather than the directory can be undone.
    assert kept(["data/*.csv", "!data/a.csv"]) == BASELINE


def test_double_star_in_the_middle_and_many_stars():
    rules = Rules(patterns=(Pattern(text="a/**/b/**/*.log"),))
    decisions = rules.select(["a/b/x.log", "a/x/b/y/z.log", "a/b/x.txt", "c/a/b/x.log"])
    assert [d.path for d in decisions if not d.kept] == ["a/b/x.log", "a/x/b/y/z.log"]


def test_default_excludes_apply_at_every_depth():
    rules = Rules()
    for pattern in DEFAULT_EXCLUDES:
        name = pattern.strip("/")
        if pattern.endswith("/"):
            assert not rules.explain(f"{name}/f").kept, pattern
            assert not rules.explain(f"deep/er/{name}/f").kept, pattern
        elif pattern.startswith("/"):
            assert not rules.explain(name).kept
            assert rules.explain(f"sub/{name}").kept  # only the app's own manifest.json
        else:
            assert not rules.explain(name).kept
            assert not rules.explain(f"sub/{name}").kept


@pytest.mark.parametrize("path", [".env", "config/.env", ".env.local", "a/b/.env.production"])
def test_env_files_are_never_bundled_even_when_forced_or_reincluded(path):
    rules = Rules(patterns=(Pattern(text="!.env*"),), forced={path: Rule(kind="extra")})
    decision = rules.explain(path)
    assert not decision.kept
    assert decision.rule.kind == "secret"


def test_virtualenv_directories_are_dropped_with_their_marker():
    rules = Rules()
    venvs = {".venv": "pyvenv.cfg", "tools/env": "bin/python"}
    assert str(rules.explain(".venv/lib/site.py", venvs)) == (
        ".venv/lib/site.py: dropped: virtualenv .venv (holds pyvenv.cfg)")
    assert str(rules.explain("tools/env/bin/python", venvs)) == (
        "tools/env/bin/python: dropped: virtualenv tools/env (holds bin/python)")
    assert rules.explain("tools/run.py", venvs).kept


ORIGIN = Origin(source="connect.toml", line=14, key="apps.web.exclude[1]")


@pytest.mark.parametrize(
    ("rules", "path", "expected"),
    [
        (Rules(patterns=(Pattern(text="*.txt"), Pattern(text="data/raw", origin=ORIGIN))),
         "data/raw/x.csv",
         'data/raw/x.csv: dropped by exclude pattern "data/raw" '
         "(connect.toml:14 apps.web.exclude[1])"),
        (Rules(patterns=(Pattern(text="*.csv"), Pattern(text="!keep.csv", origin=ORIGIN))),
         "keep.csv",
         'keep.csv: kept: re-included by pattern "!keep.csv" '
         "(connect.toml:14 apps.web.exclude[1])"),
        (Rules(), "app.py", "app.py: kept: default (no exclude matches)"),
        (Rules(), "pkg/__pycache__/m.pyc", 'pkg/__pycache__/m.pyc: dropped: default exclude '
         '"__pycache__/"'),
        (Rules(), "manifest.json", 'manifest.json: dropped: default exclude "/manifest.json"'),
        (Rules(), ".env", '.env: dropped: may hold secrets, never bundled (".env")'),
        (Rules(patterns=(Pattern(text="data"),),
               forced={"data/p.csv": Rule(kind="extra", origin=Origin(
                   source="connect.toml", line=9, key="apps.web.files[0]"))}),
         "data/p.csv",
         "data/p.csv: kept: extra file (wins over excludes) (connect.toml:9 apps.web.files[0])"),
        (Rules(patterns=(Pattern(text="*.py"),), forced={"app.py": Rule(kind="entrypoint")}),
         "app.py", "app.py: kept: entrypoint file (bundled whatever the excludes say)"),
        (Rules(patterns=(Pattern(text="*.txt"),),
               forced={"requirements.txt": Rule(kind="requirements")}),
         "requirements.txt",
         "requirements.txt: kept: requirements file (bundled whatever the excludes say)"),
        (Rules(dropped={"deploy.toml": Rule(kind="config", pattern="deploy.toml")}),
         "deploy.toml", "deploy.toml: dropped: the project's config file deploy.toml"),
    ],
)
def test_why_wording(rules, path, expected):
    assert str(rules.explain(path)) == expected


def test_patterns_are_matched_case_sensitively_and_with_posix_separators():
    rules = Rules(patterns=(Pattern(text="Data/"),))
    assert rules.explain("data/x").kept
    assert not rules.explain("Data/x").kept


def make_project(lines: dict[str, int]) -> tuple[Project, App]:
    app = App(key="web", type="api", name="web", exclude=("ok/", "bad\\"))
    project = Project(source="connect.toml", root=Path("/nonexistent"), version=1, targets=(),
                      apps=(app,), lines=lines)
    return project, app


def test_an_invalid_pattern_names_its_line_and_key():
    project, app = make_project({"apps.web": 3, "apps.web.exclude": 7, "apps.web.exclude[1]": 8})
    with pytest.raises(SelectionError) as exc:
        app_patterns(project, app)
    assert str(exc.value).startswith(
        'connect.toml:8: apps.web.exclude[1]: invalid exclude pattern "bad\\": ')


def test_origins_fall_back_to_the_array_then_defaults_then_the_app():
    project, app = make_project({"apps.web": 3, "defaults.exclude": 2})
    # The key named is the one written: the pattern came from [defaults].
    assert str(key_origin(project, app, "exclude", 0)) == "connect.toml:2 defaults.exclude[0]"
    project, app = make_project({"apps.web": 3})
    assert str(key_origin(project, app, "files", 4)) == "connect.toml:3 apps.web.files[4]"
    project, app = make_project({"apps.web": 3, "apps.web.exclude": 5})
    assert str(key_origin(project, app, "exclude", 1)) == "connect.toml:5 apps.web.exclude[1]"


def test_select_returns_sorted_unique_decisions():
    decisions = Rules().select(["b", "a", "b", "c/d"])
    assert [d.path for d in decisions] == ["a", "b", "c/d"]


def test_the_combined_fast_check_agrees_with_pathspec():
    from pathspec import GitIgnoreSpec

    from connectfile.files.selection import SECRET_EXCLUDES, _any_matcher

    lines = [*DEFAULT_EXCLUDES, *SECRET_EXCLUDES, "*.csv", "!keep.csv", "data/raw", "a/**/b/",
             "/top", "[ab]?.log", "\\#literal", "sub/*", "**/x/**"]
    spec = GitIgnoreSpec.from_lines(lines)
    fast = _any_matcher(spec)
    paths = [*TREE, "keep.csv", "data/raw/", "data/raw/x", "a/q/b/", "a/q/b/f", "top", "z/top",
             "ab.log", "aab.log", "#literal", "sub/x/", "q/x/y", ".git/", "x/.git/HEAD",
             "manifest.json", "sub/manifest.json", "connect.toml", "README", "pkg/"]
    for path in paths:
        assert fast(path) == (spec.check_file(path).index is not None), path


def test_blank_and_comment_patterns_do_not_shift_the_reported_rule():
    patterns = tuple(Pattern(text=t) for t in ("# notes", "", "  ", "*.txt"))
    assert str(Rules(patterns=patterns).explain("a.txt")) == (
        'a.txt: dropped by exclude pattern "*.txt"')
