"""`connectfile plan` end to end against the emulator over real HTTP (127.0.0.1)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from connectfile.cli import main
from connectfile.emulator import Emulator
from connectfile.plans.saved import load_plan
from connectfile.plans.values import Action

SCHEMA = Path(__file__).parent.parent / "schema" / "plan.schema.json"
KEY_ENV = "CF_TEST_PLAN_KEY"

CONFIG = """\
version = 1

[defaults]
python = "3.11"

[targets.staging]
server = "{url}"
api_key_env = "{key_env}"

[apps.api]
type = "fastapi"
path = "apps/api"
title = "The API"
env = {{ LOG_LEVEL = "info" }}
secrets = ["DB_PASSWORD"]

[apps.web]
type = "flask"
path = "apps/web"

[apps.board]
type = "dash"
path = "apps/board"
"""

APP_FILES = {
    "api": {"main.py": "from fastapi import FastAPI\napp = FastAPI()\n"},
    "web": {"app.py": "from flask import Flask\napp = Flask(__name__)\n"},
    "board": {"app.py": "import dash\napp = dash.Dash(__name__)\n"},
}


@pytest.fixture
def project(tmp_path: Path, emulator: Emulator, publisher_key: str,
            monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    for app, files in APP_FILES.items():
        directory = root / "apps" / app
        directory.mkdir(parents=True)
        (directory / "requirements.txt").write_text("flask\n")
        for name, text in files.items():
            (directory / name).write_text(text)
    (root / "connect.toml").write_text(CONFIG.format(url=emulator.url, key_env=KEY_ENV))
    monkeypatch.setenv(KEY_ENV, publisher_key)
    monkeypatch.setenv("DB_PASSWORD", "s3cret-value-xyz")
    monkeypatch.chdir(root)
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def apply(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "apply", "--auto-approve")
    assert code == 0, out + err


def test_fresh_target_plans_creates_then_nothing_after_apply(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "plan", "--detailed-exitcode")
    assert code == 2, err
    assert out.count("will be created") == 3
    assert "DB_PASSWORD (sensitive)" in out
    assert out.rstrip().endswith("Plan: 3 to create, 0 to update, 0 unchanged.")
    apply(capsys)
    code, out, err = run(capsys, "plan", "--detailed-exitcode")
    assert code == 0, out + err
    assert out.splitlines()[-1].startswith("No changes.")


def test_json_output_validates_against_the_schema(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "plan", "--json")
    assert code == 0
    doc = json.loads(out)
    Draft202012Validator(json.loads(SCHEMA.read_text())).validate(doc)
    assert [a["action"] for a in doc["apps"]] == ["create"] * 3
    assert doc["has_changes"] is True


def test_one_edited_file_plans_exactly_that_app_and_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    apply(capsys)
    (project / "apps" / "web" / "app.py").write_text("# edited\napp = 1\n")
    code, out, _ = run(capsys, "plan", "--detailed-exitcode", "--json")
    assert code == 2
    doc = json.loads(out)
    changed = {a["key"]: a for a in doc["apps"] if a["action"] != "no-op"}
    assert list(changed) == ["web"]
    assert changed["web"]["action"] == "redeploy"
    assert changed["web"]["changes"]["files"] == {"added": [], "removed": [],
                                                 "modified": ["app.py"]}
    _, text, _ = run(capsys, "plan")
    assert "~ web will be redeployed" in text and "~ app.py" in text


def test_title_and_env_changes_plan_updates_without_bundle(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    apply(capsys)
    config = project / "connect.toml"
    config.write_text(config.read_text().replace('"The API"', '"New API"')
                      .replace('"info"', '"debug"'))
    code, out, _ = run(capsys, "plan", "--json", "--detailed-exitcode")
    assert code == 2
    api = json.loads(out)["apps"][0]
    assert api["action"] == "update" and api["bundle"] is None
    assert api["changes"]["settings"] == {"title": {"before": "The API", "after": "New API"}}
    assert api["changes"]["env"]["changed"] == ["LOG_LEVEL"]


def test_without_records_content_is_found_by_name(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    apply(capsys)
    shutil.rmtree(project / ".connect")
    code, out, _ = run(capsys, "plan", "--json")
    assert code == 0
    actions = {a["key"]: a["action"] for a in json.loads(out)["apps"]}
    assert "create" not in actions.values()
    assert actions["web"] == actions["board"] == "no-op"


def test_saved_plan_round_trips(project: Path, capsys: pytest.CaptureFixture[str],
                                publisher_key: str) -> None:
    code, out, err = run(capsys, "-v", "plan", "-o", "plan.json")
    assert code == 0 and "will be created" in out
    assert "Saved the plan to plan.json" in err
    plan = load_plan(project / "plan.json")
    assert [a.action for a in plan.apps] == [Action.CREATE] * 3
    # The file is the `plan --json` document plus extras, so the same schema accepts it.
    saved = json.loads((project / "plan.json").read_text())
    Draft202012Validator(json.loads(SCHEMA.read_text())).validate(saved)
    _, json_out, json_err = run(capsys, "-v", "plan", "--json")
    for text in (out, err, json_out, json_err, (project / "plan.json").read_text()):
        assert "s3cret-value-xyz" not in text
        assert publisher_key not in text


def test_app_selection(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--app", "web")
    assert code == 0 and "1 app" in out.splitlines()[0] and "+ web" in out
    code, _, err = run(capsys, "plan", "--app", "nope")
    assert code == 1
    assert "--app nope: no such app in connect.toml (apps: api, web, board)" in err


def test_unset_secret_is_an_error_at_plan_time(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DB_PASSWORD")
    code, out, err = run(capsys, "plan")
    assert code == 1 and out == ""
    assert "apps.api.secrets: DB_PASSWORD is not set in the environment" in err
    assert "Traceback" not in err


def test_type_change_is_refused_with_exit_1(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    apply(capsys)
    config = project / "connect.toml"
    config.write_text(config.read_text().replace('type = "dash"', 'type = "streamlit"\n'
                                                 'entrypoint = "app.py"'))
    code, out, err = run(capsys, "plan", "--detailed-exitcode")
    assert code == 1
    assert "! board cannot be applied" in out
    assert "Connect cannot change an app's mode" in out
    assert "board cannot be applied as configured" in err
    # The prefix is added once, by the CLI's formatter (it used to print "error: error: ").
    assert "error: board cannot be applied as configured (see the plan above)" in err.splitlines()
    assert "error: error:" not in err
