"""examples/ is planned and applied against the embedded `local` target, so it never goes stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from connectfile.cli import main

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_examples_plan_apply_then_no_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".connect", "__pycache__"))
    monkeypatch.chdir(root)
    assert main(["plan", "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    for key in ("quotes-api", "greeter", "sales-explorer"):
        assert f"+ {key} will be created" in out
    assert "+ memory_limit 512 MiB" in out
    assert out.rstrip().endswith("Plan: 3 to create, 0 to update, 0 unchanged.")
    assert main(["apply", "--auto-approve"]) == 0
    capsys.readouterr()
    assert main(["plan", "--detailed-exitcode"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("No changes.")
