"""plan and apply end to end against the emulator over real HTTP (issue 4 acceptance 1-7)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

import connectfile.remote.target
from connectfile.cli import main
from connectfile.emulator import Emulator
from connectfile.remote.client import ConnectClient, make_session

KEY_ENV = "EMU_TEST_KEY"
SECRET = "s3cr3t-value-that-must-not-leak"


@dataclass
class Project:
    """A temporary monorepo pointed at the emulator, plus a log of every request sent."""

    root: Path
    emu: Emulator
    capsys: pytest.CaptureFixture[str]
    requests: list[tuple[str, str]] = field(default_factory=list)

    def cli(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-c", str(self.root / "connect.toml"), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def apply(self, *args: str) -> tuple[int, str, str]:
        return self.cli("apply", "--auto-approve", *args)

    def content(self, name: str) -> dict[str, Any]:
        items = [c for c in self.emu.state()["content"].values() if c["name"] == name]
        assert len(items) == 1, f"{len(items)} content items named {name}"
        return items[0]

    def record(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.root / ".connect" / "emu.json").read_text())
        return data

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.requests if m != "GET"]


APPS = {
    "alpha-api": ("fastapi", "main:app", "from fastapi import FastAPI\napp = FastAPI()\n"),
    "beta-api": ("flask", "main:app", "from flask import Flask\napp = Flask(__name__)\n"),
    "gamma-app": ("streamlit", "app.py", "import streamlit as st\nst.write('hi')\n"),
}


def write_config(root: Path, url: str, extra: str = "", apps: tuple[str, ...] = ()) -> None:
    blocks = []
    for key in apps or tuple(APPS):
        kind, entry, _ = APPS[key]
        blocks.append(f'[apps.{key}]\ntype = "{kind}"\npath = "apps/{key}"\n'
                      f'entrypoint = "{entry}"\n')
    (root / "connect.toml").write_text(textwrap.dedent(f"""\
        version = 1

        [defaults]
        python = "3.11"

        [targets.emu]
        server = "{url}"
        api_key_env = "{KEY_ENV}"

        """) + "\n".join(blocks) + extra)


@pytest.fixture
def project(
    tmp_path: Path,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Project]:
    root = tmp_path / "repo"
    for key, (_, entry, source) in APPS.items():
        app_dir = root / "apps" / key
        app_dir.mkdir(parents=True)
        (app_dir / entry.split(":")[0].removesuffix(".py")).with_suffix(".py").write_text(source)
        (app_dir / "requirements.txt").write_text(f"{APPS[key][0]}\n")
    write_config(root, emulator.url)
    monkeypatch.setenv(KEY_ENV, emulator.api_key)
    proj = Project(root=root, emu=emulator, capsys=capsys)

    def logged(*args: Any, **kwargs: Any) -> requests.Session:
        session = make_session(*args, **kwargs)

        def hook(r: requests.Response, *a: Any, **k: Any) -> None:
            proj.requests.append((r.request.method or "", r.request.path_url.split("?")[0]))

        session.hooks["response"].append(hook)
        return session

    # A Session hook, not a patch of requests: every request the CLI sends is recorded.
    monkeypatch.setattr(connectfile.remote.target, "make_session", logged)
    yield proj


def deploy_behind_our_back(proj: Project, name: str) -> None:
    """Someone else redeploys the active bundle's content as a new bundle."""
    client = ConnectClient(proj.emu.url, session=make_session(proj.emu.api_key))
    content = proj.content(name)
    data = proj.emu.store.read_bundle(content["bundle_id"])
    assert data is not None
    path = proj.root.parent / "other.tar.gz"
    path.write_bytes(data)
    bundle = client.upload_bundle(content["guid"], path, hashlib.md5(data).hexdigest())
    task = client.deploy(content["guid"], bundle)
    while not client.get_task(task, wait=1)["finished"]:
        pass
    assert proj.content(name)["bundle_id"] == bundle


def test_1_fresh_target_creates_everything_then_no_changes(project: Project) -> None:
    code, out, _ = project.cli("plan", "--detailed-exitcode")
    assert code == 2
    assert out.count("will be created") == 3
    code, out, err = project.apply()
    assert code == 0, err
    assert out.count("created") >= 3 and "3 created" in out
    assert "alpha-api: " in err  # task log lines, prefixed with the app key
    for key in APPS:
        content = project.content(key)
        assert content["bundle_id"] is not None
        assert project.record()["apps"][key]["guid"] == content["guid"]
    code, out, _ = project.cli("plan", "--detailed-exitcode")
    assert (code, out.splitlines()[-1].startswith("No changes.")) == (0, True)


def test_2_one_edited_file_uploads_exactly_one_bundle(project: Project) -> None:
    assert project.apply()[0] == 0
    (project.root / "apps" / "beta-api" / "main.py").write_text("# edited\n" + APPS["beta-api"][2])
    code, out, _ = project.cli("plan", "--detailed-exitcode")
    assert code == 2
    assert "beta-api will be redeployed" in out and "main.py" in out
    assert "alpha-api will" not in out and "gamma-app will" not in out
    before = project.content("beta-api")["bundle_id"]
    project.requests.clear()
    code, _, err = project.apply()
    assert code == 0, err
    beta = project.content("beta-api")["guid"]
    uploads = [p for m, p in project.requests if p.endswith("/bundles") and m == "POST"]
    assert uploads == [f"/__api__/v1/content/{beta}/bundles"]
    assert all(beta in p for _, p in project.writes()), project.writes()
    assert project.content("beta-api")["bundle_id"] != before
    assert project.cli("plan", "--detailed-exitcode")[0] == 0


def test_3_title_runtime_and_env_change_update_without_a_bundle(project: Project) -> None:
    write_config(project.root, project.emu.url, apps=("alpha-api",),
                 extra='env = { LOG_LEVEL = "info" }\n')
    assert project.apply()[0] == 0
    bundle = project.content("alpha-api")["bundle_id"]
    write_config(project.root, project.emu.url, apps=("alpha-api",), extra=textwrap.dedent("""\
        title = "Alpha API"
        env = { LOG_LEVEL = "debug" }
        [apps.alpha-api.runtime]
        max_processes = 3
        """))
    code, out, _ = project.cli("plan", "--detailed-exitcode")
    assert code == 2 and "will be updated in-place" in out
    assert "LOG_LEVEL" in out and "debug" not in out.replace("Alpha", "")  # values: digests only
    project.requests.clear()
    code, _, err = project.apply()
    assert code == 0, err
    assert not [p for m, p in project.requests if p.endswith("/bundles") or p.endswith("/deploy")]
    content = project.content("alpha-api")
    assert (content["title"], content["max_processes"], content["bundle_id"]) == (
        "Alpha API", 3, bundle)
    assert project.cli("plan", "--detailed-exitcode")[0] == 0


def test_4_saved_plan_is_refused_when_the_server_or_files_moved(project: Project) -> None:
    assert project.apply()[0] == 0
    plan_file = project.root / "plan.json"
    (project.root / "apps" / "alpha-api" / "main.py").write_text("# v2\n" + APPS["alpha-api"][2])
    assert project.cli("plan", "-o", str(plan_file))[0] == 0

    deploy_behind_our_back(project, "alpha-api")
    state = project.emu.state()
    code, _, err = project.cli("apply", "--auto-approve", str(plan_file))
    assert code == 1
    assert "stale" in err and "alpha-api" in err and "someone deployed" in err
    assert project.emu.state()["content"] == state["content"]
    assert project.emu.state()["bundles"] == state["bundles"]

    assert project.cli("plan", "-o", str(plan_file))[0] == 0
    (project.root / "apps" / "alpha-api" / "main.py").write_text("# v3\n" + APPS["alpha-api"][2])
    state = project.emu.state()
    code, _, err = project.cli("apply", "--auto-approve", str(plan_file))
    assert code == 1 and "files or manifest changed" in err
    assert project.emu.state()["bundles"] == state["bundles"]

    assert project.cli("plan", "-o", str(plan_file))[0] == 0
    config = project.root / "connect.toml"
    config.write_text(config.read_text() + 'title = "Gamma"\n')
    code, _, err = project.cli("apply", "--auto-approve", str(plan_file))
    assert code == 1 and "connect.toml changed" in err
    assert project.emu.state()["bundles"] == state["bundles"]


def test_5_without_records_content_is_found_by_name(project: Project) -> None:
    assert project.apply()[0] == 0
    guids = {k: project.content(k)["guid"] for k in APPS}
    shutil.rmtree(project.root / ".connect")
    code, out, _ = project.cli("plan", "--detailed-exitcode")
    assert code == 0 and "will be created" not in out
    code, out, _ = project.cli("plan", "--json")
    assert {a["content"]["guid"] for a in json.loads(out)["apps"]} == set(guids.values())


@pytest.mark.parametrize("failure", ["build", "draft-5xx"])
def test_6_failed_deploy_keeps_the_old_bundle(project: Project, failure: str) -> None:
    assert project.apply()[0] == 0
    old = {k: project.content(k)["bundle_id"] for k in APPS}
    old_record = project.record()["apps"]
    for key in ("alpha-api", "gamma-app"):
        main_file = "app.py" if key == "gamma-app" else "main.py"
        path = project.root / "apps" / key / main_file
        path.write_text("# v2\n" + path.read_text())
    if failure == "build":
        project.emu.faults.fail_next_deploy("Out of disk space")
    else:
        alpha = project.content("alpha-api")["guid"]
        project.emu.faults.fail("GET", f"/content/{alpha}/_bundle*", 500, times=None)
    code, out, err = project.apply("--parallelism", "1")
    assert code == 1
    assert "alpha-api" in out and "failed" in out
    if failure == "build":
        assert "Out of disk space" in err and "last " in err and "log lines" in err
    else:
        assert "HTTP 500" in err
    assert project.content("alpha-api")["bundle_id"] == old["alpha-api"]
    assert project.record()["apps"]["alpha-api"] == old_record["alpha-api"]
    assert project.content("gamma-app")["bundle_id"] != old["gamma-app"]
    assert project.content("beta-api")["bundle_id"] == old["beta-api"]


def test_6_failed_first_deploy_on_a_server_without_drafts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Emulator(tmp_path / "old-emu", version="2024.08.0", task_step_delay=0.0) as emu:
        root = tmp_path / "repo"
        (root / "apps" / "alpha-api").mkdir(parents=True)
        (root / "apps" / "alpha-api" / "main.py").write_text(APPS["alpha-api"][2])
        (root / "apps" / "alpha-api" / "requirements.txt").write_text("fastapi\n")
        write_config(root, emu.url, apps=("alpha-api",))
        monkeypatch.setenv(KEY_ENV, emu.api_key)
        emu.faults.fail_next_deploy("pip install failed")
        proj = Project(root=root, emu=emu, capsys=capsys)
        code, _, err = proj.apply()
        assert code == 1 and "pip install failed" in err
        assert not (root / ".connect" / "emu.json").exists()
        assert proj.content("alpha-api")["bundle_id"] is None
        code, _, err = proj.apply()  # a re-run converges, without a second content item
        assert code == 0, err
        assert proj.content("alpha-api")["bundle_id"] is not None


def test_7_no_key_or_secret_anywhere_with_verbose(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_PASSWORD", SECRET)
    write_config(project.root, project.emu.url, apps=("alpha-api",),
                 extra='secrets = ["DB_PASSWORD"]\nenv = { LOG_LEVEL = "info" }\n')
    plan_file = project.root / "plan.json"
    seen: list[str] = []
    for args in (["-v", "plan", "-o", str(plan_file)], ["-v", "apply", "--auto-approve"],
                 ["-v", "apply", "--auto-approve", "--resend-secrets", "--json"],
                 ["-v", "plan", "--json"]):
        code, out, err = project.cli(*args)
        assert code == 0, err
        seen += [out, err]
    guid = project.content("alpha-api")["guid"]
    assert project.emu.state()["content"][guid]["name"] == "alpha-api"
    seen.append(plan_file.read_text())
    seen += [p.read_text() for p in (project.root / ".connect").rglob("*") if p.is_file()]
    bundles = sorted((project.emu.data_dir / "bundles").glob("*.tar.gz"))
    assert bundles
    seen += [gzip.decompress(b.read_bytes()).decode("latin-1") for b in bundles]
    text = "\n".join(seen)
    assert "DB_PASSWORD" in text  # the name is shown; the value never is
    assert SECRET not in text
    assert project.emu.api_key not in text


def test_unattended_apply_needs_auto_approve(project: Project) -> None:
    code, _, err = project.cli("apply")
    assert code == 1 and "--auto-approve" in err
    assert project.emu.state()["content"] == {}


def test_json_outcome_document(project: Project) -> None:
    code, out, _ = project.apply("--json", "--app", "alpha-api")
    assert code == 0
    doc = json.loads(out)
    assert doc["ok"] is True and doc["format_version"] == 1
    [app] = doc["apps"]
    assert (app["key"], app["status"]) == ("alpha-api", "created")
    assert app["url"].startswith(project.emu.url)


def test_apply_reads_the_deployment_record_once(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project.apply()[0] == 0
    (project.root / "apps" / "beta-api" / "main.py").write_text("# edited\n" + APPS["beta-api"][2])
    record = project.root / ".connect" / "emu.json"
    reads: list[Path] = []
    read_text = Path.read_text

    def counted(self: Path, *args: Any, **kwargs: Any) -> str:
        if self == record:
            reads.append(self)
        return read_text(self, *args, **kwargs)

    # A counting wrapper, not a fake: the record is still read from disk.
    monkeypatch.setattr(Path, "read_text", counted)
    code, _, err = project.apply()
    assert code == 0, err
    assert len(reads) == 1


class _Terminal:
    def __init__(self) -> None:
        self.isatty = lambda: True


@pytest.mark.parametrize(("answer", "code"), [("yes", 0), ("y", 1)])
def test_prompt_on_a_terminal_accepts_only_yes(
    project: Project, monkeypatch: pytest.MonkeyPatch, answer: str, code: int
) -> None:
    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("builtins.input", lambda text: prompts.append(text) or answer)
    result, _, err = project.cli("apply", "--app", "alpha-api")
    assert prompts == ["Do you want to perform these actions? Only 'yes' will be accepted: "]
    assert result == code
    assert bool(project.emu.state()["content"]) is (answer == "yes"), err


def test_local_target_runs_the_embedded_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    (root / "apps" / "alpha-api").mkdir(parents=True)
    (root / "apps" / "alpha-api" / "main.py").write_text(APPS["alpha-api"][2])
    (root / "apps" / "alpha-api" / "requirements.txt").write_text("fastapi\n")
    write_config(root, "local", apps=("alpha-api",))
    config = str(root / "connect.toml")
    assert main(["-c", config, "apply", "-t", "emu", "--auto-approve"]) == 0
    out = capsys.readouterr().out
    data_dir = root / ".connect" / "local" / "emu"
    assert (data_dir / "state.json").is_file()  # each local target has its own data dir
    header, note = out.splitlines()[:2]
    assert header == "Target emu (local), 1 app"  # not this run's random port
    assert note.startswith("Target emu is the local emulator: these URLs live only while "
                           f"`connectfile emulator --data-dir {data_dir} --port ")
    assert out.rstrip().endswith("` serves that data dir.")  # the apply summary says it too
    assert out.count("these URLs live only while") == 2
    assert main(["-c", config, "plan", "-t", "emu", "--detailed-exitcode"]) == 0
    assert "No changes." in capsys.readouterr().out


def test_dropped_create_makes_one_content_item_and_vanity_is_set(project: Project) -> None:
    write_config(project.root, project.emu.url, apps=("alpha-api",),
                 extra='vanity_url = "/alpha/"\n')
    project.emu.faults.drop("POST", "/__api__/v1/content", times=1)
    code, out, err = project.apply()
    assert code == 0, err
    assert project.emu.faults._rules == []  # the create was really dropped once
    assert len(project.emu.state()["content"]) == 1
    assert f"{project.emu.url}/alpha/" in out
    assert project.cli("plan", "--detailed-exitcode")[0] == 0


def test_local_target_keeps_one_record_across_runs_and_honours_saved_plans(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The embedded emulator listens on a new port every run: records and saved plans must
    # still match it, or env digests are lost and every literal env var looks changed.
    root = tmp_path / "repo"
    for key in ("alpha-api", "beta-api"):
        (root / "apps" / key).mkdir(parents=True)
        (root / "apps" / key / "main.py").write_text(APPS[key][2])
        (root / "apps" / key / "requirements.txt").write_text("flask\n")
    write_config(root, "local", apps=("alpha-api", "beta-api"),
                 extra='env = { MODE = "demo" }\n')
    config = str(root / "connect.toml")
    # beta-api (which has the env var) first, so a lost record would show as a change
    assert main(["-c", config, "apply", "-t", "emu", "--auto-approve", "--app", "beta-api"]) == 0
    assert main(["-c", config, "apply", "-t", "emu", "--auto-approve", "--app", "alpha-api"]) == 0
    record = json.loads((root / ".connect" / "emu.json").read_text())
    assert record["server"] == "local"
    assert sorted(record["apps"]) == ["alpha-api", "beta-api"]
    capsys.readouterr()
    assert main(["-c", config, "plan", "-t", "emu", "--detailed-exitcode"]) == 0
    assert "No changes." in capsys.readouterr().out

    (root / "apps" / "alpha-api" / "main.py").write_text(APPS["alpha-api"][2] + "# v2\n")
    plan_file = str(tmp_path / "plan.json")
    assert main(["-c", config, "plan", "-t", "emu", "-o", plan_file]) == 0
    assert main(["-c", config, "apply", "-t", "emu", "--auto-approve", plan_file]) == 0
    assert main(["-c", config, "plan", "-t", "emu", "--detailed-exitcode"]) == 0
