"""apply under injected faults, one per step the emulator can reach: absorbed, converged,
one content item per app and never a second deploy of one bundle."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from connectfile.cli import main
from connectfile.emulator import Emulator

KEY_ENV = "FAULT_TEST_KEY"


def _config(root: Path, url: str, title: str) -> None:
    (root / "connect.toml").write_text(textwrap.dedent(f"""\
        version = 1

        [targets.emu]
        server = "{url}"
        api_key_env = "{KEY_ENV}"

        [apps.web]
        type = "flask"
        entrypoint = "app:app"
        python = "3.11"
        title = "{title}"
        env = {{ MODE = "{title}" }}
        vanity_url = "/web-app/"
        """))


@pytest.fixture
def repo(tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (root / "requirements.txt").write_text("flask\n")
    _config(root, emulator.url, "one")
    monkeypatch.setenv(KEY_ENV, emulator.api_key)
    monkeypatch.setenv("CONNECTFILE_DEPLOY_SETTLE", "1")
    return root


def _apply(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["-c", str(root / "connect.toml"), "apply", "--auto-approve"])
    return code, capsys.readouterr().err


def _plan_is_clean(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = main(["-c", str(root / "connect.toml"), "plan", "--detailed-exitcode"])
    assert code == 0, capsys.readouterr()


FIRST = [  # steps of a first apply: create, env, upload, deploy, task poll, vanity
    ("POST", "/__api__/v1/content", "lose"),
    ("POST", "/__api__/v1/content", "503"),
    ("PATCH", "/__api__/v1/content/*/environment", "drop"),
    ("POST", "/__api__/v1/content/*/bundles", "lose"),
    ("POST", "/__api__/v1/content/*/bundles", "502"),
    ("POST", "/__api__/v1/content/*/bundles", "drop"),
    ("POST", "/__api__/v1/content/*/deploy", "lose"),
    ("POST", "/__api__/v1/content/*/deploy", "drop"),
    ("POST", "/__api__/v1/content/*/deploy", "503"),
    ("GET", "/__api__/v1/tasks/*", "drop"),
    ("PUT", "/__api__/v1/content/*/vanity", "504"),
]
REDEPLOY = [  # steps of a redeploy on a server with drafts: settings, draft build, draft page
    ("PATCH", "/__api__/v1/content/*", "lose"),
    ("POST", "/__api__/v1/content/*/deploy", "lose"),
    ("GET", "/content/*/_bundle*", "502"),
]


def _inject(emulator: Emulator, method: str, path: str, kind: str) -> None:
    if kind == "lose":
        emulator.faults.lose(method, path)
    elif kind == "drop":
        emulator.faults.drop(method, path)
    else:
        emulator.faults.fail(method, path, int(kind))


@pytest.mark.parametrize(("method", "path", "kind"), FIRST, ids=lambda v: str(v))
def test_first_apply_absorbs_a_transient_fault(
    repo: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str],
    method: str, path: str, kind: str,
) -> None:
    _inject(emulator, method, path, kind)
    code, err = _apply(repo, capsys)
    assert code == 0, err
    state = emulator.state()
    assert len(state["content"]) == 1
    assert len(state["bundles"]) == 1, "an upload retry left a second bundle"
    assert emulator.tasks.count() == 1, "the bundle was deployed twice"
    _plan_is_clean(repo, capsys)


@pytest.mark.parametrize(("method", "path", "kind"), REDEPLOY, ids=lambda v: str(v))
def test_redeploy_absorbs_a_transient_fault(
    repo: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str],
    method: str, path: str, kind: str,
) -> None:
    assert _apply(repo, capsys)[0] == 0
    (repo / "app.py").write_text("from flask import Flask\napp = Flask('edited')\n")
    _config(repo, emulator.url, "two")
    tasks = emulator.tasks.count()
    _inject(emulator, method, path, kind)
    code, err = _apply(repo, capsys)
    assert code == 0, err
    # A draft build, then its activation: two tasks, and a lost answer adds none.
    assert emulator.tasks.count() - tasks == 2
    _plan_is_clean(repo, capsys)


def test_retries_zero_fails_at_once_with_one_line(
    repo: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str],
) -> None:
    emulator.faults.fail("POST", "/__api__/v1/content/*/bundles", 503)
    capsys.readouterr()
    code = main(["-c", str(repo / "connect.toml"), "apply", "--auto-approve", "--retries", "0"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "HTTP 503" in err + out and "Traceback" not in err
    assert _apply(repo, capsys)[0] == 0  # the re-run converges
