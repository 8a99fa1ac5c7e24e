"""destroy and prune = true against the emulator over real HTTP (issue 14 acceptance 3)."""

from __future__ import annotations

import json

from test_apply import KEY_ENV, Project, deploy_behind_our_back, write_config
from test_apply import project as project  # the fixture, re-exported

from connectfile.remote.client import ConnectClient, make_session


def names(proj: Project) -> set[str]:
    return {c["name"] for c in proj.emu.state()["content"].values()}


def prune_config(proj: Project, *apps: str) -> None:
    write_config(proj.root, proj.emu.url, apps=apps)
    path = proj.root / "connect.toml"
    text = path.read_text()
    path.write_text(text.replace(f'api_key_env = "{KEY_ENV}"\n',
                                 f'api_key_env = "{KEY_ENV}"\nprune = true\n'))


def test_destroy_one_app_of_three(project: Project) -> None:
    assert project.apply()[0] == 0
    beta = project.content("beta-api")
    code, _, err = project.cli("destroy", "beta-api")
    assert code == 1
    assert "pass --auto-approve to destroy unattended" in err
    assert "beta-api" in names(project)
    code, out, err = project.cli("destroy", "--auto-approve", "beta-api")
    assert code == 0, err
    assert (f"  - beta-api will be destroyed (guid {beta['guid'][:4]}…, bundle "
            f"{beta['bundle_id']})") in out.splitlines()
    assert "Plan: 0 to create, 0 to update, 1 to destroy, 0 unchanged." in out
    assert "1 destroyed" in out
    assert names(project) == {"alpha-api", "gamma-app"}
    assert set(project.record()["apps"]) == {"alpha-api", "gamma-app"}
    # Still in connect.toml: the next plan creates it again.
    code, out, _ = project.cli("plan")
    assert "beta-api will be created" in out


def test_destroy_refuses_content_connectfile_did_not_deploy(project: Project) -> None:
    client = ConnectClient(project.emu.url, session=make_session(project.emu.api_key))
    made = client.create_content({"name": "beta-api"}, owner_guid="")
    code, _, err = project.cli("destroy", "--auto-approve", "beta-api")
    assert code == 1
    assert err.strip() == (
        f"error: destroy beta-api: content 'beta-api' ({made['guid']}) on target 'emu' was not "
        "deployed by connectfile (no deployment record, no env marker), so it is left alone; "
        f'delete it on Connect, or pin it with guid = "{made["guid"]}" to destroy it with '
        "connectfile")
    assert "beta-api" in names(project)


def test_prune_destroys_what_connectfile_deployed_only(project: Project) -> None:
    assert project.apply()[0] == 0
    client = ConnectClient(project.emu.url, session=make_session(project.emu.api_key))
    # beta-api's content is replaced by a hand-made item of the same name.
    assert client.delete_content(project.content("beta-api")["guid"])
    hand_made = client.create_content({"name": "beta-api"}, owner_guid="")
    prune_config(project, "alpha-api")
    code, out, err = project.cli("plan", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert [(a["key"], a["action"]) for a in doc["apps"]] == [
        ("alpha-api", "no-op"), ("gamma-app", "destroy")]
    assert doc["summary"]["destroy"] == 1
    assert [o["key"] for o in doc["orphans"]] == ["beta-api"]
    code, out, err = project.apply()
    assert code == 0, err
    assert "gamma-app will be destroyed" in out
    assert "Plan: 0 to create, 0 to update, 1 to destroy, 1 unchanged." in out
    assert names(project) == {"alpha-api", "beta-api"}
    assert project.content("beta-api")["guid"] == hand_made["guid"]
    assert "gamma-app" not in project.record()["apps"]
    # Without prune the orphan is only reported, as before.
    write_config(project.root, project.emu.url, apps=("alpha-api",))
    code, out, _ = project.cli("plan")
    assert "beta-api: no longer in connect.toml" in out
    assert out.splitlines()[-1].startswith("No changes.")


def test_saved_destroy_refused_after_the_content_changed(project: Project) -> None:
    assert project.apply()[0] == 0
    prune_config(project, "alpha-api", "beta-api")
    planfile = project.root.parent / "destroy.json"
    code, out, err = project.cli("plan", "-o", str(planfile))
    assert code == 0, err
    assert "gamma-app will be destroyed" in out
    deploy_behind_our_back(project, "gamma-app")
    code, _, err = project.cli("apply", str(planfile))
    assert code == 1
    assert "the saved plan is stale, nothing was changed" in err
    assert "gamma-app: the active bundle of content" in err
    assert "gamma-app" in names(project)
