"""Git provenance on every bundle, and the plan's commit line (issue 9 point 3, acceptance 3)."""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectfile.bundle.gitinfo import https_url, source_metadata
from connectfile.cli import main
from connectfile.emulator import Emulator

PASSWORD = "hunter2-s3cret"
ORIGIN = f"https://deployer:{PASSWORD}@git.example.com/acme/apps.git"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True, env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
                                          "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x",
                                          "HOME": str(root), "PATH": "/usr/bin:/bin"})
    return done.stdout.strip()


def make_repo(root: Path, server: str, extra: str = "") -> None:
    (root / "api").mkdir(parents=True)
    (root / "api" / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    (root / "api" / "requirements.txt").write_text("fastapi\n")
    (root / "other").mkdir()
    (root / "other" / "notes.txt").write_text("x\n")
    (root / ".gitignore").write_text(".connect/\n")
    (root / "connect.toml").write_text(textwrap.dedent(f"""\
        version = 1
        [targets.emu]
        server = "{server}"
        api_key_env = "EMU_KEY"
        [apps.api]
        type = "fastapi"
        path = "api"
        entrypoint = "main:app"
        python = "3.11"
        """) + extra)
    git(root, "init", "-q", "-b", "main")
    git(root, "remote", "add", "origin", ORIGIN)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")


@pytest.fixture
def emu2026(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(tmp_path_factory.mktemp("emu"), version="2026.01.0",
                  task_step_delay=0.0) as emu:
        yield emu


def run(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["-c", str(root / "connect.toml"), *args])
    out, err = capsys.readouterr()
    return code, out, err


def active_bundle(emu: Emulator) -> dict[str, object]:
    (content,) = emu.state()["content"].values()
    bundle: dict[str, object] = emu.state()["bundles"][content["bundle_id"]]
    return bundle


def test_acceptance_3_metadata_without_password_and_the_plan_commit_line(
    tmp_path: Path, emu2026: Emulator, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "repo"
    make_repo(root, emu2026.url)
    monkeypatch.setenv("EMU_KEY", emu2026.api_key)
    first = git(root, "rev-parse", "HEAD")
    code, out, err = run(root, capsys, "apply", "--auto-approve")
    assert code == 0, err
    stored = active_bundle(emu2026)["source_metadata"]
    assert stored == {"source": "git", "source_repo": "https://git.example.com/acme/apps.git",
                      "source_branch": "main", "source_commit": first}
    assert PASSWORD not in json.dumps(emu2026.state()) + out + err

    # A change elsewhere in the monorepo does not make this app dirty.
    (root / "other" / "notes.txt").write_text("y\n")
    (root / "api" / "main.py").write_text("# v2\nfrom fastapi import FastAPI\napp = FastAPI()\n")
    git(root, "commit", "-q", "-am", "second")
    second = git(root, "rev-parse", "HEAD")
    code, out, _ = run(root, capsys, "plan")
    assert code == 0
    assert f"source   deployed from {first[:7]} (main), working tree {second[:7]}" in out
    code, out, _ = run(root, capsys, "plan", "--json")
    prov = json.loads(out)["apps"][0]["provenance"]
    assert prov == {"deployed": {"commit": first, "branch": "main"},
                    "working_tree": {"commit": second, "branch": "main"}}

    (root / "api" / "main.py").write_text("# v3 uncommitted\n" + "app = None\n")
    code, out, err = run(root, capsys, "apply", "--auto-approve")
    assert code == 0, err
    assert active_bundle(emu2026)["source_metadata"]["source_commit"] == f"{second}-dirty"
    assert PASSWORD not in json.dumps(emu2026.state()) + out + err


def test_older_servers_get_the_plain_upload_and_git_metadata_false_turns_it_off(
    tmp_path: Path, emulator: Emulator, emu2026: Emulator, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = tmp_path / "old"
    make_repo(old, emulator.url)
    monkeypatch.setenv("EMU_KEY", emulator.api_key)
    assert run(old, capsys, "apply", "--auto-approve")[0] == 0
    assert active_bundle(emulator)["source_metadata"] == {}

    off = tmp_path / "off"
    make_repo(off, emu2026.url, extra='git_metadata = false\n')
    monkeypatch.setenv("EMU_KEY", emu2026.api_key)
    assert run(off, capsys, "apply", "--auto-approve")[0] == 0
    assert active_bundle(emu2026)["source_metadata"] == {}


def test_app_metadata_keys_ride_along(tmp_path: Path) -> None:
    from connectfile.bundle.gitinfo import bundle_metadata

    root = tmp_path / "r"
    make_repo(root, "http://127.0.0.1:1")
    meta = bundle_metadata(root / "api", {"team": "data"}, git=True)
    assert meta["team"] == "data" and meta["source"] == "git"
    assert bundle_metadata(root / "api", {"team": "data"}, git=False) == {"team": "data"}
    assert source_metadata(tmp_path) == {}  # not a work tree


@pytest.mark.parametrize(("remote", "https"), [
    ("https://user:pw@github.com/a/b.git", "https://github.com/a/b.git"),
    ("https://x-access-token:ghs_abc@github.com/a/b", "https://github.com/a/b"),
    ("git@github.com:a/b.git", "https://github.com/a/b.git"),
    ("ssh://git@github.com:22/a/b.git", "https://github.com/a/b.git"),
    ("http://tok@host:8080/x.git", "https://host:8080/x.git"),
    ("/srv/git/repo.git", None),
    ("file:///srv/git/repo.git", None),
])
def test_origin_urls_become_https_without_credentials(remote: str, https: str | None) -> None:
    assert https_url(remote) == https


def test_detached_head_on_a_tag_names_the_tag(tmp_path: Path) -> None:
    root = tmp_path / "r"
    make_repo(root, "http://127.0.0.1:1")
    git(root, "tag", "v1.2.0")
    git(root, "checkout", "-q", "--detach")
    assert source_metadata(root / "api")["source_branch"] == "v1.2.0"
