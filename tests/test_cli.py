"""The CLI edge: exit codes and usage handling."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from connectfile.cli import build_parser, format_error, main
from connectfile.errors import (
    EXIT_MEANINGS,
    ConfigError,
    ExitCode,
    Issue,
    Location,
    SelectionError,
    UsageError,
)


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


def test_the_readme_exit_code_table_is_the_one_in_errors() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    section = readme.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|", 1) for line in section.splitlines()
            if re.match(r"\| \d+ \|", line)]
    assert {int(code): meaning.strip(" |") for code, meaning in rows} == {
        int(code): meaning for code, meaning in EXIT_MEANINGS.items()}
    assert set(ExitCode) == set(EXIT_MEANINGS)


def test_exit_codes_come_from_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == ExitCode.OK
    assert main(["plan", "--bogus"]) == ExitCode.ERROR
    capsys.readouterr()


def test_error_classes_say_what_happened_and_all_exit_1() -> None:
    from connectfile.errors import (
        ConnectfileError,
        CorruptFileError,
        CredentialsError,
        InterpreterError,
        ServerUnreachableError,
    )

    for cls in (ServerUnreachableError, CredentialsError, CorruptFileError, InterpreterError):
        assert issubclass(cls, ConnectfileError) and not issubclass(cls, UsageError)
        assert format_error(cls("x")) == "error: x"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


def test_help_says_what_the_tool_is_and_every_option_has_a_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "Command-line edge" not in out
    assert "Deploy apps to Posit Connect from a checked-in connect.toml" in out
    parser = build_parser()
    commands = _subparsers(parser)
    assert set(commands) >= {"init", "validate", "files", "manifest", "bundle", "plan", "apply",
                             "emulator"}
    for name, command in {"": parser, **commands}.items():
        for action in command._actions:
            assert action.help and action.help != argparse.SUPPRESS, (
                name, action.option_strings or action.dest)


@pytest.mark.parametrize("command", sorted(_subparsers(build_parser())))
def test_each_command_help_ends_with_examples(command: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    head, _, examples = out.rpartition("\nexamples:\n")
    parser = _subparsers(build_parser())[command]
    assert parser.description and parser.description in head  # says what it does
    lines = examples.splitlines()
    assert 1 <= len(lines) <= 2
    assert all(line.startswith(f"  connectfile {command}") for line in lines)
    assert parser.formatter_class is argparse.RawDescriptionHelpFormatter
