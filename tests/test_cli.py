"""The CLI edge: exit codes and usage handling."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connectfile.cli import format_error, main
from connectfile.errors import ConfigError, Issue, Location, SelectionError, UsageError


def test_usage_error_exits_1_not_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--bogus"]) == 1
    err = capsys.readouterr().err
    assert "usage: connectfile" in err
    assert "unrecognized arguments: --bogus" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "COMMAND" in capsys.readouterr().out


def test_the_error_prefix_is_added_once_by_the_cli() -> None:
    assert format_error(UsageError("no such plan file")) == "error: no such plan file"
    located = SelectionError("bad pattern", location=Location(source="connect.toml", line=4,
                                                               path="apps.web.exclude[1]"))
    assert format_error(located) == "connect.toml:4: apps.web.exclude[1]: bad pattern"
    issues = ConfigError([Issue(source="c.toml", line=2, path="apps.x.type", message="bad")])
    assert format_error(issues) == "c.toml:2: apps.x.type: bad"


def test_no_message_in_the_product_hard_codes_the_prefix() -> None:
    package = Path(__file__).resolve().parent.parent / "connectfile"
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("*.py")
        if "emulator" not in path.parts
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if re.search(r"""\bf?["']error: """, line) and path.name != "cli.py"
    ]
    assert offenders == []
