"""`connectfile emulator` as a process, and the in-process `server = "local"` launcher."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import requests

from connectfile.emulator.local import start_local


def test_command_prints_url_and_key_and_serves(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "connectfile", "emulator", "--port", "0",
           "--data-dir", str(tmp_path / "data"), "--python-versions", "3.11.9,3.12.4",
           "--version", "2025.12.0", "--strict-bundles"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        key = proc.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:")
        me = requests.get(f"{url}/__api__/v1/user", headers={"Authorization": f"Key {key}"},
                          timeout=5)
        assert me.status_code == 200 and me.json()["user_role"] == "administrator"
        py = requests.get(f"{url}/__api__/v1/server_settings/python",
                          headers={"Authorization": f"Key {key}"}, timeout=5).json()
        assert [i["version"] for i in py["installations"]] == ["3.11.9", "3.12.4"]
        settings = requests.get(f"{url}/__api__/server_settings", timeout=5).json()
        assert settings["version"] == "2025.12.0"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    assert "Traceback" not in err


def test_command_does_not_echo_a_given_key(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "connectfile", "emulator", "--port", "0",
           "--data-dir", str(tmp_path), "--api-key", "s3cret-given-key-0123456789abcdef"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert "s3cret" not in "".join(lines) + out + err


def test_command_rejects_a_bad_connect_version(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "connectfile", "emulator", "--data-dir",
                           str(tmp_path), "--version", "latest"],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "--version" in done.stderr


def test_command_rejects_bad_python_versions(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "connectfile", "emulator", "--data-dir",
                           str(tmp_path), "--python-versions", "3.11,latest"],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "--python-versions" in done.stderr


def test_start_local_keeps_data_and_key_in_project(tmp_path: Path) -> None:
    emu = start_local(tmp_path, "staging")
    try:
        h = {"Authorization": f"Key {emu.api_key}"}
        assert emu.url.startswith("http://127.0.0.1:")
        created = requests.post(f"{emu.url}/__api__/v1/content", json={"name": "kept"},
                                headers=h, timeout=5)
        assert created.status_code == 200
    finally:
        emu.stop()
    local = tmp_path / ".connect" / "local"
    key_file = local / "staging" / "admin-key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert emu.api_key not in (local / "staging" / "state.json").read_text()
    assert (local / ".gitignore").read_text() == "*\n"

    again = start_local(tmp_path, "staging")
    try:
        assert again.api_key == emu.api_key
        names = requests.get(f"{again.url}/__api__/v1/content",
                             headers={"Authorization": f"Key {again.api_key}"},
                             timeout=5).json()
        assert [c["name"] for c in names] == ["kept"]
    finally:
        again.stop()


def test_unreadable_state_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{half")
    done = subprocess.run([sys.executable, "-m", "connectfile", "emulator", "--port", "0",
                           "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "state.json: cannot read" in done.stderr


def test_start_local_with_broken_state(tmp_path: Path) -> None:
    import pytest

    from connectfile.errors import ConnectfileError

    local = tmp_path / ".connect" / "local" / "staging"
    local.mkdir(parents=True)
    (local / "state.json").write_text("[]")
    with pytest.raises(ConnectfileError, match="not an emulator state file"):
        start_local(tmp_path, "staging")


def test_each_local_target_has_its_own_data(tmp_path: Path) -> None:
    staging = start_local(tmp_path, "staging")
    try:
        requests.post(f"{staging.url}/__api__/v1/content", json={"name": "only-staging"},
                      headers={"Authorization": f"Key {staging.api_key}"}, timeout=5)
    finally:
        staging.stop()
    production = start_local(tmp_path, "production")
    try:
        seen = requests.get(f"{production.url}/__api__/v1/content",
                            headers={"Authorization": f"Key {production.api_key}"},
                            timeout=5).json()
    finally:
        production.stop()
    assert seen == []
    assert production.api_key != staging.api_key


def test_broken_faults_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "faults.json").write_text('["nonsense"]')
    done = subprocess.run([sys.executable, "-m", "connectfile", "emulator", "--port", "0",
                           "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "cannot read fault 'nonsense'" in done.stderr
