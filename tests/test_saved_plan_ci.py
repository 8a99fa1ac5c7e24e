"""Saved plans as CI uses them, and the Markdown view (issue 9 point 4)."""

from __future__ import annotations

import io
import os
import tarfile
import textwrap
from pathlib import Path

import pytest
from planvalues import sample_plans
from test_apply import APPS, KEY_ENV, SECRET, Project, write_config
from test_apply import project as project  # the fixture, re-exported

from connectfile.cli import main
from connectfile.emulator import Emulator
from connectfile.engine.executor import ApplyResult, AppOutcome
from connectfile.plans.values import Action
from connectfile.views.plan_markdown import render_apply_markdown, render_markdown

DATA = Path(__file__).parent / "data" / "render"
PLANS = sample_plans()


class NotATerminal(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_apply_planfile_never_prompts(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    plan_file = project.root / "plan.json"
    assert project.cli("plan", "-o", str(plan_file))[0] == 0
    monkeypatch.setattr("sys.stdin", NotATerminal(""))
    code, out, err = project.cli("apply", str(plan_file))  # no --auto-approve
    assert code == 0, err
    assert "3 created" in out


def test_app_or_another_target_with_a_planfile_is_an_error(project: Project) -> None:
    plan_file = project.root / "plan.json"
    assert project.cli("plan", "-o", str(plan_file))[0] == 0
    state = project.emu.state()
    code, _, err = project.cli("apply", "--auto-approve", "--app", "alpha-api", str(plan_file))
    assert code == 1
    assert err.strip().endswith(
        f"--app cannot be used with a saved plan ({plan_file} applies every app it holds); "
        "make the plan with `plan --app A -o FILE` instead")
    code, _, err = project.cli("apply", "--auto-approve", "-t", "prod", str(plan_file))
    assert code == 1
    assert err.strip().endswith(
        f"-t prod: {plan_file} was made for target 'emu'; drop -t or make a plan for 'prod' "
        "with `plan -t prod -o FILE`")
    assert project.emu.state()["content"] == state["content"]
    # The plan's own target named explicitly is fine.
    assert project.cli("apply", "-t", "emu", str(plan_file))[0] == 0


def test_a_plan_written_inside_a_single_app_project_is_not_one_of_its_files(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = tmp_path / "app"
    root.mkdir()
    (root / "main.py").write_text(APPS["alpha-api"][2])
    (root / "requirements.txt").write_text("fastapi\n")
    (root / "connect.toml").write_text(textwrap.dedent(f"""\
        version = 1
        [targets.emu]
        server = "{emulator.url}"
        api_key_env = "{KEY_ENV}"
        [apps.solo]
        type = "fastapi"
        path = "."
        entrypoint = "main:app"
        python = "3.11"
        """))
    monkeypatch.setenv(KEY_ENV, emulator.api_key)
    monkeypatch.chdir(root)
    assert main(["plan", "-o", "plan.json"]) == 0
    assert (root / "plan.json").is_file()
    capsys.readouterr()
    assert main(["apply", "plan.json"]) == 0, capsys.readouterr().err
    (content,) = emulator.state()["content"].values()
    data = emulator.store.read_bundle(content["bundle_id"])
    assert data is not None
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = {m.name.removeprefix("./") for m in tar.getmembers()}
    assert "plan.json" not in names and "main.py" in names
    # A second saved plan in the same place applies too (no change: exits 0).
    assert main(["plan", "-o", "plan.json"]) == 0
    assert main(["apply", "plan.json"]) == 0


@pytest.mark.parametrize("name", ["update", "redeploy"])
def test_golden_markdown(name: str) -> None:
    text = render_markdown(PLANS[name])
    golden = DATA / f"{name}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("**Plan: ")


def test_golden_apply_markdown() -> None:
    plan = PLANS["update"]
    result = ApplyResult(outcomes=(AppOutcome(
        key="sales-api", action=Action.UPDATE, status="failed", guid=None,
        error="PATCH /v1/content/x: HTTP 403 | denied\nsecond line"),), record=None)
    text = render_apply_markdown(plan, result)
    golden = DATA / "apply-failed.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


def test_plan_and_apply_markdown_files_hold_no_secret(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(project.root, project.emu.url, apps=("alpha-api",),
                 extra='env = { LOG_LEVEL = "literal-value-9" }\nsecrets = ["DB_PASSWORD"]\n')
    monkeypatch.setenv("DB_PASSWORD", SECRET)
    md = project.root / "plan.md"
    assert project.cli("plan", "--markdown", str(md))[0] == 0
    text = md.read_text()
    assert text.startswith("**Plan: 1 to create, 0 to update, 0 unchanged.**")
    assert "<details>" in text and "DB_PASSWORD (sensitive)" in text
    assert SECRET not in text and "literal-value-9" not in text
    summary = project.root / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert project.apply("--markdown", str(summary))[0] == 0
    text = summary.read_text()
    assert text.startswith("earlier step\n**Apply complete: 1 created")
    assert SECRET not in text and "literal-value-9" not in text
