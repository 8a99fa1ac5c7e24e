"""Golden renders of each kind of plan, and the --json document checked against its schema."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from planvalues import SERVER, app, deployed, local, record, sample_plans

from connectfile.plans.diff import plan_app
from connectfile.plans.encoding import plan_to_json
from connectfile.plans.values import Action, FileChanges, Plan
from connectfile.views.plan_text import render_plan, size_text, summary_line

DATA = Path(__file__).parent / "data" / "render"
SCHEMA = Path(__file__).parent.parent / "schema" / "plan.schema.json"
PLANS = sample_plans()


@pytest.mark.parametrize("name", sorted(PLANS))
def test_golden_render(name: str) -> None:
    text = render_plan(PLANS[name], color=False)
    golden = DATA / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(PLANS))
def test_json_matches_schema(name: str) -> None:
    validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    doc = plan_to_json(PLANS[name])
    validator.validate(json.loads(json.dumps(doc)))


def test_schema_is_valid() -> None:
    Draft202012Validator.check_schema(json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_no_changes_line_starts_exactly() -> None:
    lines = render_plan(PLANS["noop"], color=False).splitlines()
    assert lines[-1].startswith("No changes.")
    assert summary_line(PLANS["noop"]).startswith("No changes.")


def test_colour_only_when_asked() -> None:
    assert "\x1b[" not in render_plan(PLANS["update"], color=False)
    coloured = render_plan(PLANS["update"], color=True)
    assert "\x1b[33m~\x1b[0m" in coloured
    assert coloured.replace("\x1b[33m", "").replace("\x1b[32m", "").replace(
        "\x1b[31m", "").replace("\x1b[0m", "") == render_plan(PLANS["update"], color=False)


def test_json_fields() -> None:
    doc = plan_to_json(PLANS["update"])
    assert doc["format_version"] == 1
    assert doc["target"] == "staging"
    assert doc["has_changes"] is True
    app = doc["apps"][0]
    assert app["action"] == "update"
    assert app["content"]["url"].startswith(SERVER)
    assert app["changes"]["settings"]["title"] == {"before": "Old", "after": "New"}
    assert app["changes"]["env"]["secrets"] == ["DB_PASSWORD"]
    assert app["bundle"] is None
    assert doc["summary"] == {"create": 0, "update": 1, "redeploy": 0, "unchanged": 0,
                              "refused": 0, "destroy": 0}


def test_many_files_are_summarised() -> None:
    base = PLANS["redeploy"].apps[0]
    modified = tuple(f"f{i:03}.py" for i in range(50))
    many = dataclasses.replace(base, files=FileChanges(modified=modified))
    text = render_plan(Plan(target="t", server=SERVER, apps=(many,)), color=False)
    assert "… 30 more" in text
    assert "f019.py" in text and "f020.py" not in text
    assert max(len(line) for line in text.splitlines() if ".py" in line) <= 100


def test_summary_counts_redeploys_as_updates() -> None:
    plan = PLANS["redeploy"]
    assert plan.count(Action.REDEPLOY) == 1
    assert summary_line(plan) == "Plan: 0 to create, 1 to update, 1 unchanged."


@pytest.mark.parametrize(("size", "text"), [(0, "0 B"), (1023, "1023 B"), (39117, "38.2 KiB"),
                                            (2 * 1024**3, "2 GiB"), (1536 * 1024**2, "1.5 GiB")])
def test_size_text(size: int, text: str) -> None:
    assert size_text(size) == text


def test_first_deploy_of_existing_content_reads_as_deployed() -> None:
    first = plan_app(app(), local(), deployed(app_mode="unknown", bundle_id=None, manifest=None),
                     record())
    text = render_plan(Plan(target="t", server=SERVER, apps=(first,)), color=False)
    assert "~ sales-api will be deployed (guid 5c1e…)" in text
    assert "+ bundle   2 files, 38.2 KiB (reason: first deploy)" in text
    assert "~ files" not in text
