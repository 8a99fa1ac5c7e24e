"""Warnings: each is printed once per run, and `validate` gives every one `plan` would."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectfile.cli import main
from connectfile.emulator import Emulator

KEY_ENV = "CF_TEST_WARN_KEY"


@pytest.fixture
def project(tmp_path: Path, emulator: Emulator, publisher_key: str,
            monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "web").mkdir(parents=True)
    (root / "web" / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (root / "web" / "requirements.txt").write_text("flask\n")
    (root / "web" / ".env").write_text("TOKEN=x\n")
    (root / "connect.toml").write_text(
        f'version = 1\n\n[targets.t]\nserver = "{emulator.url}"\napi_key_env = "{KEY_ENV}"\n\n'
        '[apps.web]\ntype = "flask"\npath = "web"\n')
    monkeypatch.setenv(KEY_ENV, publisher_key)
    monkeypatch.chdir(root)
    return root


def warnings_of(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert main(list(args)) == 0
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]


def test_apply_prints_each_warning_once(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown = warnings_of(capsys, "apply", "--auto-approve")
    assert len(shown) == len(set(shown)), shown
    assert any("taken from the interpreter" in w for w in shown), shown
    assert any("may hold secrets" in w for w in shown), shown


def test_validate_gives_every_warning_plan_gives(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planned = warnings_of(capsys, "plan")
    validated = warnings_of(capsys, "validate")
    assert planned and set(planned) <= set(validated), (planned, validated)
