"""Ctrl-C and Ctrl-D on a real `connectfile apply` process; temp bundles under .connect/tmp."""

from __future__ import annotations

import os
import pty
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from projects import flask_monorepo

from connectfile.cli import main
from connectfile.emulator import Emulator

KEY_ENV = "INTERRUPT_TEST_KEY"
APPS = ("one", "two", "three")


@pytest.fixture
def slow_emulator(tmp_path: Path) -> Iterator[Emulator]:
    """Deploy tasks that print a line a second: an apply is still following one when hit."""
    with Emulator(tmp_path / "emu", task_step_delay=1.0) as emu:
        yield emu


@pytest.fixture
def repo(tmp_path: Path, slow_emulator: Emulator) -> Path:
    return flask_monorepo(tmp_path / "repo", server=slow_emulator.url, key_env=KEY_ENV,
                          apps=APPS)


class Run:
    """A `connectfile apply` subprocess whose stderr lines are collected as they come."""

    def __init__(self, root: Path, emu: Emulator, *args: str, stdin: int | None = None) -> None:
        env = {**os.environ, KEY_ENV: emu.api_key, "NO_COLOR": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "connectfile", "-c", str(root / "connect.toml"), "apply",
             *args], env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.err: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line)
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if text in self.lines.get(timeout=1):
                    return
            except queue.Empty:
                assert self.proc.poll() is None, "".join(self.err)
        raise AssertionError(f"never saw {text!r}: {''.join(self.err)}")

    def finish(self, timeout: float) -> tuple[int, str, str]:
        """Wait for the exit; stderr stays with the reader thread (stdout is small)."""
        self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        assert self.proc.stdout is not None
        return self.proc.returncode, self.proc.stdout.read(), "".join(self.err)


def test_first_ctrl_c_stops_within_2_s_with_a_summary_and_a_rerun_converges(
    repo: Path, slow_emulator: Emulator, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = Run(repo, slow_emulator, "--auto-approve", "--parallelism", "1")
    run.wait_for("deploying bundle")
    run.wait_for("one: ")  # a task log line: apply is following the build
    start = time.monotonic()
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.finish(timeout=30)
    elapsed = time.monotonic() - start
    assert code == 130, err
    assert elapsed < 2.0, f"took {elapsed:.1f} s to stop"
    assert "Traceback" not in err + out
    assert "Apply interrupted: 0 done, 2 not started, 1 interrupted (1 still building" in out
    assert "goes on building on the server" in err
    # The build goes on on the server; then a re-run finishes the job and converges.
    slow_emulator.tasks.join(timeout=60)
    slow_emulator.settings.task_step_delay = 0.0
    monkeypatch.setenv(KEY_ENV, slow_emulator.api_key)
    config = str(repo / "connect.toml")
    assert main(["-c", config, "apply", "--auto-approve"]) == 0, capsys.readouterr()
    assert main(["-c", config, "plan", "--detailed-exitcode"]) == 0, capsys.readouterr()
    assert sorted(c["name"] for c in slow_emulator.state()["content"].values()) == sorted(APPS)


def test_second_ctrl_c_exits_at_once(repo: Path, slow_emulator: Emulator) -> None:
    run = Run(repo, slow_emulator, "--auto-approve", "--parallelism", "1")
    run.wait_for("deploying bundle")
    run.proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    start = time.monotonic()
    run.proc.send_signal(signal.SIGINT)
    code, out, err = run.finish(timeout=30)
    assert code == 130
    assert time.monotonic() - start < 2.0
    assert "Traceback" not in err + out and "KeyboardInterrupt" not in err


def test_ctrl_d_at_the_prompt_is_a_refusal(repo: Path, slow_emulator: Emulator) -> None:
    primary, secondary = pty.openpty()
    try:
        run = Run(repo, slow_emulator, stdin=secondary)
        time.sleep(0.5)
        deadline = time.monotonic() + 60
        while run.proc.poll() is None and time.monotonic() < deadline:
            os.write(primary, b"\x04")  # Ctrl-D once the prompt reads the terminal
            time.sleep(0.5)
        code, _out, err = run.finish(timeout=30)
    finally:
        os.close(primary)
        os.close(secondary)
    assert code == 1, err
    assert "Apply cancelled" in err and "nothing was changed" in err
    assert "Traceback" not in err and "EOFError" not in err
    assert slow_emulator.state()["content"] == {}


def test_stale_temp_bundles_are_swept_and_new_ones_live_under_dot_connect(
    repo: Path, slow_emulator: Emulator, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stale = repo / ".connect" / "tmp" / "connectfile-dead"
    stale.mkdir(parents=True)
    (stale / "one.tar.gz").write_bytes(b"left by a killed run")
    slow_emulator.settings.task_step_delay = 0.0
    monkeypatch.setenv(KEY_ENV, slow_emulator.api_key)
    seen: list[str] = []
    real = __import__("tempfile").TemporaryDirectory

    def recording(*args: object, **kwargs: object) -> object:
        seen.append(str(kwargs.get("dir")))
        return real(*args, **kwargs)  # type: ignore[call-overload]

    # A recording wrapper around the real TemporaryDirectory: where bundles are written.
    monkeypatch.setattr("connectfile.engine.executor.tempfile.TemporaryDirectory", recording)
    assert main(["-c", str(repo / "connect.toml"), "apply", "--auto-approve"]) == 0
    assert not stale.exists()
    assert seen and all(d == str(repo / ".connect" / "tmp") for d in seen)
    assert list((repo / ".connect" / "tmp").iterdir()) == []
