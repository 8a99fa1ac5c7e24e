"""Saved plans: an exact round trip, atomic writes, clear errors, and nothing secret inside."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from planvalues import sample_plans

from connectfile.errors import CorruptFileError, UsageError
from connectfile.plans.encoding import plan_to_json
from connectfile.plans.marker import MarkerChange
from connectfile.plans.saved import load_plan, plan_from_data, plan_to_data, save_plan

PLANS = sample_plans()
SCHEMA = Path(__file__).parent.parent / "schema" / "plan.schema.json"


@pytest.mark.parametrize("name", sorted(PLANS))
def test_saved_plan_file_matches_the_plan_schema(tmp_path: Path, name: str) -> None:
    path = tmp_path / "plan.json"
    save_plan(path, PLANS[name])
    validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    validator.validate(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(PLANS))
def test_saved_plan_is_the_json_document_plus_extras(tmp_path: Path, name: str) -> None:
    # One encoding: every field of `plan --json` is in the file under the same name and value.
    path = tmp_path / "plan.json"
    save_plan(path, PLANS[name])
    saved = json.loads(path.read_text(encoding="utf-8"))
    shown = json.loads(json.dumps(plan_to_json(PLANS[name])))
    assert {k: saved[k] for k in shown if k != "apps"} == {
        k: v for k, v in shown.items() if k != "apps"}
    assert [{k: a[k] for k in b} for a, b in zip(saved["apps"], shown["apps"], strict=True)] == (
        shown["apps"])


@pytest.mark.parametrize("name", sorted(PLANS))
def test_round_trip_is_identical(tmp_path: Path, name: str) -> None:
    path = tmp_path / "plan.json"
    save_plan(path, PLANS[name])
    assert load_plan(path) == PLANS[name]
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temp file left behind


def test_round_trip_keeps_the_env_marker_and_unsure(tmp_path: Path) -> None:
    base = PLANS["update"]
    first = dataclasses.replace(
        base.apps[0], env=dataclasses.replace(base.apps[0].env, unsure=True),
        marker=MarkerChange(set="CONNECTFILE_ENV_AB", remove=("CONNECTFILE_ENV_CD",)))
    plan = dataclasses.replace(base, apps=(first, *base.apps[1:]))
    path = tmp_path / "plan.json"
    save_plan(path, plan)
    assert load_plan(path) == plan


def test_round_trip_keeps_float_and_int_apart() -> None:
    plan = PLANS["update"]
    back = plan_from_data(json.loads(json.dumps(plan_to_data(plan))))
    values = {c.key: c.after for c in back.apps[0].settings}
    assert values["load_factor"] == 0.5 and isinstance(values["max_processes"], int)


def test_file_holds_what_apply_compares(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(path, PLANS["redeploy"])
    data = json.loads(path.read_text())
    assert data["kind"] == "connectfile-plan"
    assert data["config_digest"] == "c" * 64
    app = data["apps"][0]
    assert app["manifest_digest"] == "d" * 64
    assert app["fingerprint"]["bundle_id"] == "17"
    assert len(app["fingerprint"]["settings_digest"]) == 64


def test_no_secret_value_in_the_file(tmp_path: Path) -> None:
    # sample plans send DB_PASSWORD: only the name may appear; literal values never do either.
    path = tmp_path / "plan.json"
    save_plan(path, PLANS["create"])
    text = path.read_text()
    assert "DB_PASSWORD" in text
    assert '"info"' not in text


def test_overwrites_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("old")
    save_plan(path, PLANS["noop"])
    assert load_plan(path) == PLANS["noop"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not a saved connectfile plan"),
        ('{"kind": "terraform"}', "not a saved connectfile plan"),
        ('{"kind": "connectfile-plan", "file_version": 99}', "file_version 99"),
        ('{"kind": "connectfile-plan", "file_version": 2, "target": "x"}', "damaged"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text)
    with pytest.raises(CorruptFileError, match=message) as info:
        load_plan(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_unwritable_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such plan file"):
        load_plan(tmp_path / "nope.json")
    with pytest.raises(UsageError, match="cannot write the plan"):
        save_plan(tmp_path / "missing-dir" / "plan.json", PLANS["noop"])
