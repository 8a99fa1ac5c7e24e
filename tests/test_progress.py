"""Progress display: bars and the slow-hashing note on a terminal, nothing anywhere else."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connectfile.cli import main
from connectfile.emulator import Emulator
from connectfile.files.meter import NO_PROGRESS
from connectfile.views.progress import TerminalProgress, progress_for

KEY_ENV = "CF_TEST_PROGRESS_KEY"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_transfer_shows_bytes_of_total_with_a_rate() -> None:
    screen = FakeTerminal()
    with TerminalProgress(screen).transfer("web: upload", 4096) as meter:
        meter(1024)
        meter(3072)
    drawn = screen.getvalue()
    assert "web: upload" in drawn
    assert "4.00k" in drawn and "B/s" in drawn  # total, and the rate column


def test_hashing_is_named_only_after_a_silence() -> None:
    screen = FakeTerminal()
    progress = TerminalProgress(screen, quiet_after=0.05)
    with progress.working("hashing web"):
        pass  # quick: nothing shown
    assert screen.getvalue() == ""
    with progress.working("hashing big"):
        time.sleep(0.3)
    assert screen.getvalue() == "\r\x1b[Khashing big…\r\x1b[K"  # shown, then cleared


def test_progress_only_when_both_streams_are_terminals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    assert isinstance(progress_for(FakeTerminal(), FakeTerminal()), TerminalProgress)
    assert progress_for(io.StringIO(), FakeTerminal()) is NO_PROGRESS
    assert progress_for(FakeTerminal(), io.StringIO()) is NO_PROGRESS
    monkeypatch.setenv("TERM", "dumb")
    assert progress_for(FakeTerminal(), FakeTerminal()) is NO_PROGRESS


@pytest.fixture
def project(tmp_path: Path, emulator: Emulator, publisher_key: str,
            monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "web" / "data").mkdir(parents=True)
    (root / "web" / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (root / "web" / "requirements.txt").write_text("flask\n")
    (root / "web" / "data" / "blob.bin").write_bytes(os.urandom(300_000))
    (root / "connect.toml").write_text(
        f'version = 1\n\n[targets.t]\nserver = "{emulator.url}"\napi_key_env = "{KEY_ENV}"\n\n'
        '[apps.web]\ntype = "flask"\npath = "web"\npython = "3.11"\n')
    monkeypatch.setenv(KEY_ENV, publisher_key)
    monkeypatch.chdir(root)
    return root


def test_apply_on_a_pseudo_terminal_shows_bundle_and_upload_bars(project: Path) -> None:
    controller, terminal = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "connectfile", "apply", "--auto-approve"],
        cwd=project, env=env, stdin=terminal, stdout=terminal, stderr=terminal)
    os.close(terminal)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert process.wait(timeout=60) == 0
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "web: bundle:" in screen and "web: upload:" in screen, screen
    assert "B/s" in screen, screen


def test_apply_without_a_terminal_prints_no_progress(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "xterm")
    assert main(["apply", "--auto-approve"]) == 0
    out, err = capsys.readouterr()
    assert "web: upload:" not in out + err and "B/s" not in out + err
    assert "\r" not in out + err and "hashing" not in out + err
