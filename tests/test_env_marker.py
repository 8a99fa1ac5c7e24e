"""Record-less convergence: the env marker on Connect proves literal env values (issue 9, 1)."""

from __future__ import annotations

import json
import shutil

from planvalues import app, deployed, local, record
from test_apply import Project, write_config
from test_apply import project as project  # the fixture, re-exported

from connectfile.plans.diff import plan_app
from connectfile.plans.marker import PREFIX, is_marker, marker_change, marker_name
from connectfile.plans.values import Action, EnvChanges, Plan
from connectfile.views.plan_text import UNSURE_NOTE, plan_to_json

ENV = {"LOG_LEVEL": "info", "REGION": "eu"}


def test_marker_name_is_a_valid_env_name_and_depends_on_every_value() -> None:
    name = marker_name(ENV)
    assert name is not None and name.startswith(PREFIX) and name.isidentifier()
    assert name == marker_name(dict(reversed(list(ENV.items()))))
    assert name != marker_name({**ENV, "REGION": "us"})
    assert name != marker_name({"LOG_LEVEL": "info"})
    assert marker_name({}) is None


def test_a_matching_marker_proves_the_values_without_a_record() -> None:
    names = frozenset({*ENV, marker_name(ENV) or ""})
    plan = plan_app(app(env=ENV), local(), deployed(env_names=names), None)
    assert plan.action is Action.NOOP and plan.marker is None


def test_a_moved_marker_without_record_lists_every_literal_as_unsure() -> None:
    names = frozenset({*ENV, marker_name({**ENV, "REGION": "us"}) or ""})
    plan = plan_app(app(env=ENV), local(), deployed(env_names=names), None)
    assert plan.action is Action.UPDATE
    assert plan.env == EnvChanges(changed=("LOG_LEVEL", "REGION"), unsure=True)
    assert plan.marker is not None and plan.marker.set == marker_name(ENV)
    assert plan.marker.remove == (marker_name({**ENV, "REGION": "us"}),)


def test_with_a_record_changes_are_per_name_and_the_marker_is_never_removed_as_user_env() -> None:
    old = marker_name({"LOG_LEVEL": "info", "REGION": "us"}) or ""
    remote = deployed(env_names=frozenset({*ENV, "DROPPED", old}))
    rec = record(env={"LOG_LEVEL": "info", "REGION": "us", "DROPPED": "x"})
    plan = plan_app(app(env=ENV), local(), remote, rec)
    assert plan.env == EnvChanges(changed=("REGION",), removed=("DROPPED",))
    assert not any(is_marker(n) for n in (*plan.env.added, *plan.env.removed, *plan.env.changed))


def test_record_agreeing_with_config_but_a_foreign_marker_is_unsure() -> None:
    # A CI run applied other values since this machine's record was written.
    remote = deployed(env_names=frozenset({*ENV, marker_name({**ENV, "REGION": "us"}) or ""}))
    plan = plan_app(app(env=ENV), local(), remote, record(env=ENV))
    assert plan.env == EnvChanges(changed=("LOG_LEVEL", "REGION"), unsure=True)


def test_dropping_every_literal_removes_the_marker_with_the_other_changes() -> None:
    assert marker_change({}, {"A", f"{PREFIX}ABC"}) is not None
    assert marker_change({}, {"A"}) is None


def emu_env_names(proj: Project, name: str) -> set[str]:
    guid = proj.content(name)["guid"]
    return set(proj.emu.state()["env"].get(guid, {}))


def test_acceptance_1_no_records_apply_plan_edit_plan_apply_plan(project: Project) -> None:
    """Every run starts from a fresh checkout: no `.connect/` directory at all."""
    connect_dir = project.root / ".connect"

    def fresh() -> None:
        shutil.rmtree(connect_dir, ignore_errors=True)

    write_config(project.root, project.emu.url, apps=("alpha-api",),
                 extra='env = { LOG_LEVEL = "info", REGION = "eu" }\n')
    fresh()
    code, out, err = project.apply()
    assert code == 0, err
    names = emu_env_names(project, "alpha-api")
    assert {"LOG_LEVEL", "REGION"} <= names and any(is_marker(n) for n in names)

    fresh()
    code, out, _ = project.cli("plan", "--detailed-exitcode")
    assert code == 0, out
    assert out.splitlines()[-1].startswith("No changes.")
    assert PREFIX not in out

    write_config(project.root, project.emu.url, apps=("alpha-api",),
                 extra='env = { LOG_LEVEL = "debug", REGION = "eu" }\n')
    fresh()
    code, out, _ = project.cli("plan", "--detailed-exitcode")
    assert code == 2
    assert "alpha-api will be updated in-place" in out and "LOG_LEVEL" in out
    assert UNSURE_NOTE in out and PREFIX not in out and "debug" not in out
    fresh()
    code, out, _ = project.cli("plan", "--json")
    env = plan_to_json_env(out)
    assert env["unsure"] is True and "LOG_LEVEL" in env["changed"]
    assert PREFIX not in out

    fresh()
    code, out, err = project.apply()
    assert code == 0, err
    assert PREFIX not in out + err
    after = emu_env_names(project, "alpha-api")
    assert len([n for n in after if is_marker(n)]) == 1 and after != names

    fresh()
    code, out, _ = project.cli("plan", "--detailed-exitcode")
    assert code == 0, out
    assert out.splitlines()[-1].startswith("No changes.")


def plan_to_json_env(out: str) -> dict[str, object]:
    env: dict[str, object] = json.loads(out)["apps"][0]["changes"]["env"]
    return env


def test_with_a_record_everything_works_as_before(project: Project) -> None:
    write_config(project.root, project.emu.url, apps=("alpha-api",),
                 extra='env = { LOG_LEVEL = "info", REGION = "eu" }\n')
    assert project.apply()[0] == 0
    write_config(project.root, project.emu.url, apps=("alpha-api",),
                 extra='env = { LOG_LEVEL = "debug" }\n')
    code, out, _ = project.cli("plan", "--detailed-exitcode")
    assert code == 2 and UNSURE_NOTE not in out
    assert "~ LOG_LEVEL" in out and "- REGION" in out
    assert project.apply()[0] == 0
    names = emu_env_names(project, "alpha-api")
    assert "REGION" not in names and len([n for n in names if is_marker(n)]) == 1
    assert project.cli("plan", "--detailed-exitcode")[0] == 0


def test_plan_json_never_names_the_marker() -> None:
    names = frozenset({"LOG_LEVEL", marker_name({"LOG_LEVEL": "x"}) or ""})
    one = plan_app(app(env={"LOG_LEVEL": "info"}), local(), deployed(env_names=names), None)
    plan = Plan(target="t", server="https://c.example.com", apps=(one,))
    assert one.marker is not None and PREFIX not in str(plan_to_json(plan))
