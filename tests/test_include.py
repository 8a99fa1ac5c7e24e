"""The `include` allowlist: tables over the pure rules, then `files --why` on a real tree."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from connectfile.cli import main
from connectfile.files.selection import Origin, Pattern, Rule, Rules

TREE = (
    "app.py",
    "requirements.txt",
    "README.md",
    "notes.txt",
    "data/a.csv",
    "data/big.parquet",
    "pkg/__init__.py",
    "pkg/core.py",
    "pkg/tests/test_core.py",
    "pkg/__pycache__/core.pyc",
    "scripts/run.sh",
    ".env",
)
FORCED = {"app.py": Rule(kind="entrypoint"), "requirements.txt": Rule(kind="requirements")}
AT = Origin(source="connect.toml", line=5, key="apps.web.include")


def kept(include: tuple[str, ...] | None, exclude: tuple[str, ...] = (),
         forced: dict[str, Rule] | None = None) -> list[str]:
    rules = Rules(
        patterns=tuple(Pattern(text=t) for t in exclude),
        forced=FORCED if forced is None else forced,
        include=None if include is None else tuple(Pattern(text=t) for t in include),
        include_origin=AT,
    )
    return [d.path for d in rules.select(TREE) if d.kept]


@pytest.mark.parametrize(("include", "exclude", "expected"), [
    # No allowlist: everything minus the default and secret excludes, as before.
    (None, (), ["README.md", "app.py", "data/a.csv", "data/big.parquet", "notes.txt",
                "pkg/__init__.py", "pkg/core.py", "pkg/tests/test_core.py", "requirements.txt",
                "scripts/run.sh"]),
    # A directory pattern takes everything under it; the entrypoint and requirements stay.
    (("pkg/",), (), ["app.py", "pkg/__init__.py", "pkg/core.py", "pkg/tests/test_core.py",
                     "requirements.txt"]),
    # `!` re-excludes; the last matching pattern wins, as in gitignore.
    (("pkg/", "!pkg/tests/"), (), ["app.py", "pkg/__init__.py", "pkg/core.py",
                                   "requirements.txt"]),
    (("*.py", "!pkg/core.py"), (), ["app.py", "pkg/__init__.py", "pkg/tests/test_core.py",
                                    "requirements.txt"]),
    # Excludes still apply to what the allowlist takes.
    (("pkg/", "data/"), ("*.parquet", "tests/"), ["app.py", "data/a.csv", "pkg/__init__.py",
                                                  "pkg/core.py", "requirements.txt"]),
    # A leading "/" anchors to the app directory (Publisher writes its lists that way).
    (("/app.py", "/data/", "/README.md"), (), ["README.md", "app.py", "data/a.csv",
                                               "data/big.parquet", "requirements.txt"]),
    # Default and secret excludes win over the allowlist.
    (("**",), (), ["README.md", "app.py", "data/a.csv", "data/big.parquet", "notes.txt",
                   "pkg/__init__.py", "pkg/core.py", "pkg/tests/test_core.py",
                   "requirements.txt", "scripts/run.sh"]),
    # An empty allowlist is no allowlist (a target can clear one set in [defaults]).
    ((), (), ["README.md", "app.py", "data/a.csv", "data/big.parquet", "notes.txt",
              "pkg/__init__.py", "pkg/core.py", "pkg/tests/test_core.py", "requirements.txt",
              "scripts/run.sh"]),
])
def test_include_table(include: tuple[str, ...] | None, exclude: tuple[str, ...],
                       expected: list[str]) -> None:
    assert kept(None if include == () else include, exclude) == expected


def test_the_entrypoint_outside_the_allowlist_is_still_bundled() -> None:
    assert kept(("data/",)) == ["app.py", "data/a.csv", "data/big.parquet", "requirements.txt"]
    # ... and an extra file too: `files` wins over include as it wins over exclude.
    extra = {**FORCED, "notes.txt": Rule(kind="extra")}
    assert kept(("data/",), forced=extra) == ["app.py", "data/a.csv", "data/big.parquet",
                                              "notes.txt", "requirements.txt"]


@pytest.mark.parametrize(("path", "why"), [
    ("pkg/core.py", 'pkg/core.py: kept: included by pattern "pkg/"'),
    ("pkg/tests/test_core.py",
     'pkg/tests/test_core.py: dropped: re-excluded from include by "!pkg/tests/"'),
    ("notes.txt", "notes.txt: dropped: matches no include pattern (connect.toml:5 "
     "apps.web.include)"),
    ("app.py", "app.py: kept: entrypoint file (bundled whatever the excludes say)"),
])
def test_why_names_the_include_rule(path: str, why: str) -> None:
    rules = Rules(forced=FORCED, include=(Pattern(text="pkg/"), Pattern(text="!pkg/tests/")),
                  include_origin=AT)
    assert str(rules.explain(path)) == why


CONFIG = """\
    version = 1

    [apps.web]
    type = "flask"
    include = ["pkg/", "!pkg/tests/"]
    files = [{ from = "../libs/common", to = "common" }]
"""


def test_files_and_why_on_a_real_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "repo"
    for rel in (*TREE, "libs/common/util.py"):
        path = root / ("web" if not rel.startswith("libs/") else "") / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("from flask import Flask\napp = Flask(__name__)\n")
    (root / "connect.toml").write_text(textwrap.dedent(CONFIG).replace(
        'type = "flask"', 'type = "flask"\npath = "web"'))
    monkeypatch.chdir(root)
    assert main(["files", "web"]) == 0
    out = capsys.readouterr().out
    listed = {line.split("  ")[-1] for line in out.splitlines()[:-1]}
    assert {"app.py", "requirements.txt", "pkg/__init__.py", "pkg/core.py",
            "common/util.py"} <= listed  # mappings are not filtered by the allowlist
    assert not {"notes.txt", "README.md", "pkg/tests/test_core.py", "data/a.csv"} & listed
    assert main(["files", "web", "--why", "pkg/tests/test_core.py"]) == 0
    assert capsys.readouterr().out.strip() == (
        'pkg/tests/test_core.py: dropped: re-excluded from include by "!pkg/tests/" '
        "(connect.toml:6 apps.web.include[1])")
