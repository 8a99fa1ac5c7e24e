"""The CLI edge: exit codes and usage handling."""

from __future__ import annotations

import pytest

from connectfile.cli import main


def test_usage_error_exits_1_not_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--bogus"]) == 1
    err = capsys.readouterr().err
    assert "usage: connectfile" in err
    assert "unrecognized arguments: --bogus" in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "COMMAND" in capsys.readouterr().out
