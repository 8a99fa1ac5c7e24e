"""Real clients we did not write work against the emulator: rsconnect-python and posit-sdk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from emu_bundles import FLASK_APP

from connectfile.emulator import Emulator


def _rsconnect(emu: Emulator, app_dir: Path, home: Path, kind: str = "api",
              *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONNECT_", "RSCONNECT"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), NO_COLOR="1",
               PYTHONWARNINGS="ignore")
    # `python -m rsconnect.main` is the `rsconnect` console script of rsconnect-python 1.32.
    cmd = [sys.executable, "-m", "rsconnect.main", "deploy", kind, "--server", emu.url,
           "--api-key", emu.api_key, *extra, str(app_dir)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120,
                          cwd=app_dir.parent, check=False)


@pytest.mark.parametrize("version", ["2025.09.0", "2024.12.0"])  # with and without drafts
def test_rsconnect_deploys_and_redeploys_flask(tmp_path: Path, version: str) -> None:
    pytest.importorskip("rsconnect", reason="rsconnect-python comes with the test extra")
    with Emulator(tmp_path / "data", version=version, task_step_delay=0) as emulator:
        _deploy_twice(emulator, tmp_path)


def _deploy_twice(emulator: Emulator, tmp_path: Path) -> None:
    app_dir, home = tmp_path / "hello", tmp_path / "home"
    app_dir.mkdir()
    home.mkdir()
    (app_dir / "app.py").write_bytes(FLASK_APP)
    (app_dir / "requirements.txt").write_text("flask\n")

    first = _rsconnect(emulator, app_dir, home)
    out = first.stdout + first.stderr
    assert first.returncode == 0, out
    assert "Deployment completed successfully" in out

    second = _rsconnect(emulator, app_dir, home)
    out2 = second.stdout + second.stderr
    assert second.returncode == 0, out2
    assert "Deployment completed successfully" in out2

    state = emulator.state()
    assert len(state["content"]) == 1  # the redeploy found the same item
    (item,) = state["content"].values()
    assert item["app_mode"] == "python-api" and item["name"] == "hello"
    bundles = sorted(state["bundles"].values(), key=lambda b: int(b["id"]))
    assert len(bundles) == 2 and item["bundle_id"] == bundles[-1]["id"]
    assert emulator.api_key not in out + out2


def test_posit_sdk_reads_user_and_content(emulator: Emulator, publisher_key: str) -> None:
    connect = pytest.importorskip("posit.connect", reason="posit-sdk comes with the test extra")
    admin = connect.Client(emulator.url, emulator.api_key)
    publisher = connect.Client(emulator.url, publisher_key)
    assert publisher.me["username"] == "publisher1"
    assert publisher.me["user_role"] == "publisher"
    created = publisher.content.create(name="from-sdk", title="From the SDK")
    assert created["app_mode"] == "unknown"
    assert [c["name"] for c in publisher.content.find()] == ["from-sdk"]
    assert [c["guid"] for c in admin.content.find()] == [created["guid"]]
    assert publisher.content.get(created["guid"])["title"] == "From the SDK"
    assert admin.version == "2025.09.0"


def test_rsconnect_reports_a_failed_build(tmp_path: Path) -> None:
    pytest.importorskip("rsconnect", reason="rsconnect-python comes with the test extra")
    app_dir, home = tmp_path / "hello", tmp_path / "home"
    app_dir.mkdir()
    home.mkdir()
    (app_dir / "app.py").write_bytes(FLASK_APP)
    (app_dir / "requirements.txt").write_text("flask\n")
    with Emulator(tmp_path / "data", task_step_delay=0) as emu:
        emu.faults.fail_next_deploy("An error occurred while building your content. "
                                    "(Error code: python-package-install-failed)")
        done = _rsconnect(emu, app_dir, home)
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "python-package-install-failed" in out


def test_posit_sdk_uploads_and_deploys(emulator: Emulator, tmp_path: Path) -> None:
    connect = pytest.importorskip("posit.connect", reason="posit-sdk comes with the test extra")
    from emu_bundles import bundle

    archive = tmp_path / "bundle.tar.gz"
    archive.write_bytes(bundle())
    client = connect.Client(emulator.url, emulator.api_key)
    item = client.content.create(name="sdk-deploy")
    uploaded = item.bundles.create(str(archive))
    task = uploaded.deploy()
    task.wait_for()
    assert task["finished"] and task["code"] == 0
    assert client.content.get(item["guid"])["bundle_id"] == uploaded["id"]


APPS = {
    "fastapi": ("main.py", "from fastapi import FastAPI\napp = FastAPI()\n", "python-fastapi",
                ("--entrypoint", "main:app")),
    "streamlit": ("app.py", "import streamlit as st\nst.write('hi')\n", "python-streamlit", ()),
    "dash": ("app.py", "import dash\napp = dash.Dash(__name__)\n", "python-dash", ()),
    "bokeh": ("app.py", "from bokeh.io import curdoc\n", "python-bokeh", ()),
    "shiny": ("app.py", "from shiny import App, ui\napp = App(ui.page_fluid(), None)\n",
              "python-shiny", ()),
    "gradio": ("app.py", "import gradio as gr\n", "python-gradio", ()),
    "panel": ("app.py", "import panel as pn\npn.panel('hi').servable()\n", "python-panel", ()),
}


@pytest.mark.parametrize("kind", sorted(APPS))
def test_rsconnect_deploys_each_app_kind(tmp_path: Path, kind: str) -> None:
    pytest.importorskip("rsconnect", reason="rsconnect-python comes with the test extra")
    # Panel needs Connect 2025.11.0 (versions.APP_MODES); the others deploy to the default.
    version = "2025.11.0" if kind == "panel" else "2025.09.0"
    with Emulator(tmp_path / "data", version=version, task_step_delay=0) as emulator:
        _deploy_kind(emulator, tmp_path, kind)


def _deploy_kind(emulator: Emulator, tmp_path: Path, kind: str) -> None:
    name, source, mode, extra = APPS[kind]
    app_dir, home = tmp_path / kind, tmp_path / "home"
    app_dir.mkdir()
    home.mkdir()
    (app_dir / name).write_text(source)
    (app_dir / "requirements.txt").write_text(f"{kind}\n")
    done = _rsconnect(emulator, app_dir, home, kind, *extra)
    out = done.stdout + done.stderr
    assert done.returncode == 0 and "Deployment completed successfully" in out, out
    (item,) = emulator.state()["content"].values()
    assert item["app_mode"] == mode


def test_posit_sdk_environment_and_vanity(emulator: Emulator) -> None:
    connect = pytest.importorskip("posit.connect", reason="posit-sdk comes with the test extra")
    client = connect.Client(emulator.url, emulator.api_key)
    item = client.content.create(name="sdk-env")
    env = item.environment_variables
    env.create("A", "1")
    env.update(B="2")
    assert env.find() == ["A", "B"]
    env.delete("A")
    assert env.find() == ["B"]
    env.clear()
    assert env.find() == []
    assert item.vanity is None
    item.vanity = "/sdk/"
    assert item.vanity == "/sdk/"
    item.delete()
    assert client.content.count() == 0


def test_rsconnect_deploys_to_a_numeric_app_id(emulator: Emulator, tmp_path: Path) -> None:
    pytest.importorskip("rsconnect", reason="rsconnect-python comes with the test extra")
    import requests

    item = requests.post(f"{emulator.url}/__api__/v1/content", json={"name": "by-id"},
                         headers={"Authorization": f"Key {emulator.api_key}"}).json()
    app_dir, home = tmp_path / "hello", tmp_path / "home"
    app_dir.mkdir()
    home.mkdir()
    (app_dir / "app.py").write_bytes(FLASK_APP)
    (app_dir / "requirements.txt").write_text("flask\n")
    # A numeric --app-id goes through the legacy GET /__api__/applications/{id}.
    done = _rsconnect(emulator, app_dir, home, "api", "--app-id", item["id"])
    out = done.stdout + done.stderr
    assert done.returncode == 0 and "Deployment completed successfully" in out, out
    (stored,) = emulator.state()["content"].values()
    assert stored["guid"] == item["guid"] and stored["app_mode"] == "python-api"


@pytest.mark.parametrize(("version", "source"), [("2025.12.0", "git"), ("2025.11.0", None)])
def test_rsconnect_sends_git_metadata_to_2025_12(tmp_path: Path, version: str,
                                                 source: str | None) -> None:
    pytest.importorskip("rsconnect", reason="rsconnect-python comes with the test extra")
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git is needed for rsconnect's source metadata")
    app_dir, home = tmp_path / "hello", tmp_path / "home"
    app_dir.mkdir()
    home.mkdir()
    (app_dir / "app.py").write_bytes(FLASK_APP)
    (app_dir / "requirements.txt").write_text("flask\n")
    git = ["git", "-C", str(app_dir), "-c", "user.email=t@example.com", "-c", "user.name=t",
           "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "app"],
                 ["remote", "add", "origin", "git@github.com:example/repo.git"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    with Emulator(tmp_path / "data", version=version, task_step_delay=0) as emulator:
        done = _rsconnect(emulator, app_dir, home)
        out = done.stdout + done.stderr
        assert done.returncode == 0 and "Deployment completed successfully" in out, out
        import requests

        (item,) = emulator.state()["content"].values()
        (uploaded,) = requests.get(
            f"{emulator.url}/__api__/v1/content/{item['guid']}/bundles",
            headers={"Authorization": f"Key {emulator.api_key}"}, timeout=5).json()
    assert uploaded["metadata"]["source"] == source
    if source is not None:
        assert uploaded["metadata"]["source_repo"] == "https://github.com/example/repo.git"
        assert len(uploaded["metadata"]["source_commit"]) == 40
