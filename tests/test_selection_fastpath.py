"""Rules.unmatched_rule, the walk's shortcut, never disagrees with check_file."""

from __future__ import annotations

from connectfile.files.selection import Pattern, Rule, Rules

PATHS = ["app.py", "requirements.txt", ".env", ".env.local", "data/x.csv", "data/keep.csv",
         "pkg/__pycache__/m.pyc", "pkg/m.py", "notes.txt", "connect.toml", "x/.git/config",
         "build/out.log", "deep/a/b/c.log", "README.md", ".DS_Store", "sub/.env"]


def test_shortcut_agrees_with_check_file() -> None:
    rules_list = [
        Rules(),
        Rules(patterns=(Pattern(text="*.csv"), Pattern(text="!keep.csv"), Pattern(text="*.log"))),
        Rules(patterns=(Pattern(text="data/"), Pattern(text=""), Pattern(text="notes.txt")),
              forced={"notes.txt": Rule(kind="extra"), "app.py": Rule(kind="entrypoint")},
              dropped={"connect.toml": Rule(kind="config", pattern="connect.toml")}),
    ]
    for rules in rules_list:
        for path in PATHS:
            full = rules.check_file(path)
            short = rules.unmatched_rule(path)
            if short is not None:
                assert full.kept and full.rule == short, path
    # the shortcut does settle ordinary files, and leaves matched ones to check_file
    assert Rules().unmatched_rule("pkg/m.py") == Rules().check_file("pkg/m.py").rule
    assert Rules().unmatched_rule(".env") is None
