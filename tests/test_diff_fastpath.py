"""An identical deployed manifest short-cuts the bundle diff; any difference still shows."""

from __future__ import annotations

import json

from planvalues import app, deployed, local, manifest

from connectfile.plans.diff import plan_app
from connectfile.plans.values import Action, FileChanges


def test_identical_manifest_is_a_noop_even_from_json() -> None:
    files = {f"pkg/m{i}.py": f"{i:032x}" for i in range(50)}
    mine = local(files)
    theirs = deployed(manifest=json.loads(json.dumps(manifest(files))))  # as read from Connect
    plan = plan_app(app(), mine, theirs, None)
    assert plan.action is Action.NOOP
    assert plan.files == FileChanges() and plan.redeploy_reasons == ()


def test_one_difference_still_goes_through_the_full_diff() -> None:
    files = {f"pkg/m{i}.py": f"{i:032x}" for i in range(50)}
    changed = {**files, "pkg/m7.py": "f" * 32, "new.py": "e" * 32}
    plan = plan_app(app(), local(changed), deployed(manifest=manifest(files)), None)
    assert plan.action is Action.REDEPLOY
    assert plan.files == FileChanges(added=("new.py",), modified=("pkg/m7.py",))
    moved = plan_app(app(), local(files, python="3.12.1"), deployed(manifest=manifest(files)),
                     None)
    assert moved.redeploy_reasons == ("python",)
