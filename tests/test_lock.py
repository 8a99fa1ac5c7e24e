"""Concurrent applies of one project: serialised by `.connect/apply.lock`, no record entry lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from projects import flask_monorepo

from connectfile.emulator import Emulator

KEY_ENV = "LOCK_TEST_KEY"
APPS = ("one", "two", "three")


@pytest.fixture
def repo(tmp_path: Path, emulator: Emulator) -> Path:
    return flask_monorepo(tmp_path / "repo", server=emulator.url, key_env=KEY_ENV,
                          apps=APPS)


def _apply(root: Path, emulator: Emulator, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, KEY_ENV: emulator.api_key, "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "connectfile", "-c", str(root / "connect.toml"), "apply",
         "--auto-approve", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _hold_lock(root: Path) -> subprocess.Popen[str]:
    """Another process holding the project lock until it is killed."""
    (root / ".connect").mkdir(exist_ok=True)
    code = ("import sys, time\nfrom filelock import FileLock\n"
            "lock = FileLock(sys.argv[1])\nlock.acquire()\n"
            "print('held', flush=True)\ntime.sleep(120)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(root / ".connect" / "apply.lock")],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def test_racing_first_deploys_lose_no_record_entry(repo: Path, emulator: Emulator) -> None:
    runs = [_apply(repo, emulator, "--app", key) for key in APPS]
    results = [run.communicate(timeout=180) for run in runs]
    for run, (_out, err) in zip(runs, results, strict=True):
        assert run.returncode == 0, err
    record = json.loads((repo / ".connect" / "emu.json").read_text())
    assert sorted(record["apps"]) == sorted(APPS)
    names = sorted(c["name"] for c in emulator.state()["content"].values())
    assert names == sorted(APPS)


def test_a_second_run_waits_with_a_message(repo: Path, emulator: Emulator) -> None:
    holder = _hold_lock(repo)
    try:
        run = _apply(repo, emulator, "--lock-timeout", "120")
        time.sleep(3)  # it is waiting, not applying
        assert run.poll() is None
        assert emulator.state()["content"] == {}
    finally:
        holder.kill()  # the OS releases a dead holder's lock
        holder.wait()
    _out, err = run.communicate(timeout=180)
    assert run.returncode == 0, err
    assert "waiting up to 120 s for another connectfile apply" in err


def test_lock_timeout_0_fails_at_once_with_one_line(repo: Path, emulator: Emulator) -> None:
    holder = _hold_lock(repo)
    try:
        run = _apply(repo, emulator, "--lock-timeout", "0")
        _out, err = run.communicate(timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert run.returncode == 1
    assert err.count("\n") == 1 and "another connectfile apply is running" in err
    assert emulator.state()["content"] == {}
