"""plan runs validate's offline checks and asks the server what it would reject (issue #8):
the Python installations, app modes its version knows, vanity URLs taken."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from connectfile.cli import main
from connectfile.emulator import Emulator

KEY_ENV = "CF_TEST_CHECKS_KEY"


def project(root: Path, emu: Emulator, app: str, files: dict[str, str],
            monkeypatch: pytest.MonkeyPatch) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in {"requirements.txt": "x\n", **files}.items():
        (root / rel).write_text(text)
    (root / "connect.toml").write_text(
        f'version = 1\n[targets.t]\nserver = "{emu.url}"\napi_key_env = "{KEY_ENV}"\n'
        f"[apps.web]\n{app}")
    monkeypatch.setenv(KEY_ENV, emu.api_key)
    monkeypatch.chdir(root)


def plan(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["plan"])
    return code, capsys.readouterr().err


FLASK = {"app.py": "from flask import Flask\napp = Flask(__name__)\n"}


def test_plan_runs_the_entrypoint_check(tmp_path: Path, emulator: Emulator,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, emulator, 'type = "gradio"\nentrypoint = "nosuch:demo"\npython = "3.11"\n',
            {"app.py": "import gradio\n"}, monkeypatch)
    code, err = plan(capsys)
    assert code == 1
    assert ("connect.toml:7: apps.web.entrypoint: module 'nosuch' not found: there is no "
            "nosuch.py in the app directory") in err


def test_plan_runs_the_framework_check(tmp_path: Path, emulator: Emulator,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, emulator, 'type = "fastapi"\npython = "3.11"\n', FLASK, monkeypatch)
    code, err = plan(capsys)
    assert code == 1
    assert 'app is a Flask app (Flask()), not fastapi; set type = "flask"' in err


def test_plan_checks_the_python_installations(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with Emulator(tmp_path / "emu", python_versions=["3.11.9", "3.12.4"],
                  task_step_delay=0) as emu:
        project(tmp_path / "p", emu, 'type = "flask"\npython = "3.8"\n', FLASK, monkeypatch)
        code, err = plan(capsys)
        url = emu.url
    assert code == 1
    assert ("apps.web.python: Python 3.8 (from apps.web.python) is not installed on "
            f"{url} (it offers 3.11, 3.12; set python to one of them)") in err


def test_plan_checks_the_app_mode_against_the_server_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = {"app.py": "import panel as pn\npn.panel('x').servable()\n"}
    with Emulator(tmp_path / "emu", version="2025.09.0", task_step_delay=0) as emu:
        project(tmp_path / "p", emu, 'type = "panel"\npython = "3.11"\n', panel, monkeypatch)
        code, err = plan(capsys)
        url = emu.url
    assert code == 1
    assert (f'apps.web.type: type = "panel" needs Connect 2025.11 or later; {url} runs '
            "2025.09.0") in err


def test_plan_checks_the_vanity_url_is_free(tmp_path: Path, emulator: Emulator,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    api = f"{emulator.url}/__api__"
    headers = {"Authorization": f"Key {emulator.api_key}"}
    other = requests.post(f"{api}/v1/content", json={"name": "other"}, headers=headers,
                          timeout=10).json()
    requests.put(f"{api}/v1/content/{other['guid']}/vanity", json={"path": "/sales/"},
                 headers=headers, timeout=10).raise_for_status()
    project(tmp_path, emulator, 'type = "flask"\npython = "3.11"\nvanity_url = "/sales/q3/"\n',
            FLASK, monkeypatch)
    code, err = plan(capsys)
    assert code == 1
    assert (f"apps.web.vanity_url: vanity URL '/sales/q3/' conflicts with '/sales/', used by "
            f"content {other['guid']} on {emulator.url} (choose another path)") in err


def test_a_good_app_still_plans(tmp_path: Path, emulator: Emulator,
                                capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, emulator, 'type = "flask"\npython = "3.11"\nvanity_url = "/web/"\n', FLASK,
            monkeypatch)
    assert main(["plan"]) == 0


def test_plan_checks_a_new_name_is_free(tmp_path: Path, emulator: Emulator,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, emulator, 'type = "flask"\npython = "3.11"\nname = "alpha"\n', FLASK,
            monkeypatch)
    assert main(["apply", "--auto-approve"]) == 0
    other = requests.post(f"{emulator.url}/__api__/v1/content", json={"name": "beta"},
                          headers={"Authorization": f"Key {emulator.api_key}"},
                          timeout=10).json()
    config = tmp_path / "connect.toml"
    config.write_text(config.read_text().replace('name = "alpha"', 'name = "beta"'))
    capsys.readouterr()
    code, err = plan(capsys)
    assert code == 1
    assert (f"apps.web.name: name 'beta' is taken on {emulator.url} by your content "
            f"{other['guid']}, and Connect keeps names unique per owner") in err


def test_validate_online_checks_the_app_mode_too(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    panel = {"app.py": "import panel as pn\npn.panel('x').servable()\n"}
    with Emulator(tmp_path / "emu", version="2025.09.0", task_step_delay=0) as emu:
        project(tmp_path / "p", emu, 'type = "panel"\npython = "3.11"\n', panel, monkeypatch)
        code = main(["validate", "--online", "-t", "t"])
        err = capsys.readouterr().err
    assert code == 1
    assert 'type = "panel" needs Connect 2025.11 or later' in err


def test_apply_stops_at_the_same_checks_before_creating_anything(
    tmp_path: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path, emulator, 'type = "flask"\nentrypoint = "nosuch:app"\npython = "3.11"\n',
            FLASK, monkeypatch)
    assert main(["apply", "--auto-approve"]) == 1
    assert "module 'nosuch' not found" in capsys.readouterr().err
    listed = requests.get(f"{emulator.url}/__api__/v1/content",
                          headers={"Authorization": f"Key {emulator.api_key}"}, timeout=10)
    assert listed.json() == []
