"""plan reads Connect while it walks the files: errors still come out as before."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_plan_command import apply, project

from connectfile.cli import main
from connectfile.emulator import Emulator

__all__ = ["project"]  # the fixture: a deployable three-app repo on the emulator


def test_a_local_error_wins_over_a_failing_read(
    project: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    apply(capsys)
    shutil.rmtree(project / "apps" / "web")
    emulator.faults.fail("GET", "/__api__/v1/content/*", 500, times=None)
    assert main(["plan"]) == 1
    err = capsys.readouterr().err
    assert '"apps/web" is not a directory' in err and "500" not in err


def test_a_failing_read_is_reported_when_the_files_are_fine(
    project: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    apply(capsys)
    emulator.faults.fail("GET", "/__api__/v1/content/*", 500, times=None, message="boom")
    assert main(["plan"]) == 1
    assert "boom" in capsys.readouterr().err
