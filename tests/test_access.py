"""viewers and collaborators against the emulator over real HTTP (issue 14 acceptance 1)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from connectfile.cli import main
from connectfile.emulator import Emulator

KEY_ENV = "ACCESS_TEST_KEY"


class Repo:
    """One FastAPI app pointed at the emulator; `lines` are the app table's extra lines."""

    def __init__(self, root: Path, emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.emu, self.capsys = root, emu, capsys
        app = root / "web"
        app.mkdir(parents=True)
        (app / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
        (app / "requirements.txt").write_text("fastapi\n")

    def config(self, *lines: str, extra: str = "") -> None:
        (self.root / "connect.toml").write_text(textwrap.dedent(f"""\
            version = 1

            [targets.emu]
            server = "{self.emu.url}"
            api_key_env = "{KEY_ENV}"

            [apps.web]
            type = "fastapi"
            path = "web"
            entrypoint = "main:app"
            python = "3.11"
            """) + "".join(f"{line}\n" for line in lines) + extra)

    def cli(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-c", str(self.root / "connect.toml"), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def content(self, name: str = "web") -> dict[str, Any]:
        [item] = [c for c in self.emu.state()["content"].values() if c["name"] == name]
        return dict(item)

    def acl(self, name: str = "web") -> set[tuple[str, str]]:
        """(principal name, role) of every permission the emulator holds for the content."""
        state = self.emu.state()
        guid = self.content(name)["guid"]
        names = {g: u["username"] for g, u in state["users"].items()}
        names |= {g: "group:" + grp["name"] for g, grp in state["groups"].items()}
        return {(names[p["principal_guid"]], p["role"])
                for p in state["permissions"].values() if p["content_guid"] == guid}


@pytest.fixture
def repo(tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> Repo:
    for user in ("alice", "alison", "bob", "pat"):
        emulator.add_user(user, "publisher" if user == "pat" else "viewer")
    emulator.add_group("analysts", ["alice"])
    monkeypatch.setenv(KEY_ENV, emulator.api_key)
    repo = Repo(tmp_path / "repo", emulator, capsys)
    monkeypatch.chdir(repo.root)  # messages name ./connect.toml
    return repo


def plan_lines(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines() if line.strip()[:2] in ("+ ", "- ")]


def test_viewers_set_changed_and_emptied(repo: Repo) -> None:
    repo.config('viewers = ["alice", "group:analysts"]')
    code, out, err = repo.cli("plan")
    assert code == 0, err
    assert "+ viewer alice" in plan_lines(out)
    assert "+ viewer group:analysts" in plan_lines(out)
    code, _, err = repo.cli("apply", "--auto-approve")
    assert code == 0, err
    assert repo.acl() == {("alice", "viewer"), ("group:analysts", "viewer")}
    assert repo.cli("plan")[1].splitlines()[-1].startswith("No changes.")

    repo.config('viewers = ["bob", "group:analysts"]')
    code, out, _ = repo.cli("plan")
    assert "web will be updated in-place" in out
    assert [line for line in plan_lines(out) if "viewer" in line] == [
        "- viewer alice", "+ viewer bob"]
    assert out.splitlines()[-1] == "Plan: 0 to create, 1 to update, 0 unchanged."
    assert repo.cli("apply", "--auto-approve")[0] == 0
    assert repo.acl() == {("bob", "viewer"), ("group:analysts", "viewer")}

    repo.config("viewers = []")
    code, out, _ = repo.cli("plan")
    assert plan_lines(out) == ["- viewer bob", "- viewer group:analysts"]
    assert repo.cli("apply", "--auto-approve")[0] == 0
    assert repo.acl() == set()
    assert repo.cli("plan")[1].splitlines()[-1].startswith("No changes.")


def test_collaborators_and_unmanaged_roles(repo: Repo) -> None:
    repo.config('viewers = ["bob"]', 'collaborators = ["pat"]')
    assert repo.cli("apply", "--auto-approve")[0] == 0
    assert repo.acl() == {("bob", "viewer"), ("pat", "owner")}
    # Only viewers managed now: pat stays a collaborator; the owner (admin) is never listed.
    repo.config('viewers = ["bob", "admin"]')
    code, out, _ = repo.cli("plan", "--json")
    assert code == 0
    [app] = json.loads(out)["apps"]
    assert app["action"] == "no-op"
    assert app["changes"]["permissions"] == {"added": [], "removed": []}
    # pat made a viewer while collaborators are managed: a role change.
    repo.config('viewers = ["bob", "pat"]', "collaborators = []")
    code, out, _ = repo.cli("plan")
    assert plan_lines(out) == ["- collaborator pat", "+ viewer pat"]
    assert repo.cli("apply", "--auto-approve")[0] == 0
    assert repo.acl() == {("bob", "viewer"), ("pat", "viewer")}


def test_unknown_user_and_ambiguous_prefix(repo: Repo) -> None:
    repo.config('viewers = ["bob", "carol"]')
    code, out, err = repo.cli("plan")
    assert code == 1 and out == ""
    assert err.strip() == (
        "connect.toml:12: apps.web.viewers[1]: no user named 'carol' on target 'emu': write "
        'the exact username (or "group:NAME" for a group)'
    )
    repo.config('viewers = ["ali"]')
    code, _, err = repo.cli("plan")
    assert code == 1
    assert err.strip().endswith(
        "apps.web.viewers[0]: 'ali' is ambiguous on target 'emu': no user has exactly that "
        'name, and 2 start with it (alice, alison); write the exact username (or '
        '"group:NAME" for a group)')
    repo.config('viewers = ["group:analyst"]')
    code, _, err = repo.cli("plan")
    assert code == 1
    assert err.strip().endswith(
        "apps.web.viewers[0]: no group named 'analyst' on target 'emu'; did you mean "
        "'group:analysts'?")


def test_access_all_warns_that_viewers_do_nothing(repo: Repo) -> None:
    repo.config('access = "all"', 'viewers = ["bob"]')
    code, _, err = repo.cli("plan")
    assert code == 0
    assert ('apps.web.viewers: access = "all" lets everyone view web, so its viewer list '
            "has no effect") in err


def test_publisher_without_rights_gets_one_line(repo: Repo, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    repo.config('viewers = ["pat"]')
    assert repo.cli("apply", "--auto-approve")[0] == 0
    guid = repo.content()["guid"]
    # A viewer may not download bundles; this checkout's manifest cache (filled by this
    # plan) lets pat's plan compare files, so the run gets as far as the permissions.
    assert repo.cli("plan")[0] == 0
    # pat may view the administrator's content but not manage who else may.
    pat_key = repo.emu.add_user("pat", "publisher")
    monkeypatch.setenv(KEY_ENV, pat_key)
    repo.config(f'guid = "{guid}"', 'viewers = ["pat", "bob"]')
    code, out, err = repo.cli("apply", "--auto-approve")
    assert code == 1 and out, err
    assert "+ viewer bob" in plan_lines(out)
    failures = [line for line in err.splitlines() if "403" in line]
    assert len(failures) == 1, err
    assert (f"Connect refused to change who may view or edit 'web' or its tags (POST "
            f"/v1/content/{guid}/permissions: HTTP 403: You don't have permission to perform "
            "this operation): only its owner, a collaborator or an administrator may") \
        in failures[0]
    assert repo.acl() == {("pat", "viewer")}


def test_tags_set_changed_and_missing(repo: Repo) -> None:
    from connectfile.remote.client import ConnectClient, make_session

    admin = ConnectClient(repo.emu.url, session=make_session(repo.emu.api_key))
    ids: dict[str, str] = {}
    for path in ("Finance", "Finance/Quarterly", "Finance/Monthly", "Sales", "Sales/Old"):
        parent, _, name = path.rpartition("/")
        body = {"name": name, "parent_id": ids.get(parent)}
        ids[path] = str(admin._json("POST", "/v1/tags", json=body)["id"])
    names = {v: k for k, v in ids.items()}

    def tags() -> set[str]:
        guid = repo.content()["guid"]
        return {names[t] for t in repo.emu.state()["content_tags"].get(guid, [])}

    repo.config('tags = ["Finance/Quarterly"]')
    code, out, err = repo.cli("plan")
    assert code == 0, err
    assert "+ tag Finance/Quarterly" in plan_lines(out)
    assert repo.cli("apply", "--auto-approve")[0] == 0
    assert tags() == {"Finance", "Finance/Quarterly"}
    assert repo.cli("plan")[1].splitlines()[-1].startswith("No changes.")

    repo.config('tags = ["Finance/Monthly", "Sales/Old"]')
    code, out, _ = repo.cli("plan")
    assert plan_lines(out) == ["- tag Finance/Quarterly", "+ tag Finance/Monthly",
                               "+ tag Sales/Old"]
    assert repo.cli("apply", "--auto-approve")[0] == 0
    assert tags() == {"Finance", "Finance/Monthly", "Sales", "Sales/Old"}

    repo.config("tags = []")
    code, out, _ = repo.cli("plan")
    assert plan_lines(out) == ["- tag Finance", "- tag Sales"]
    assert repo.cli("apply", "--auto-approve")[0] == 0
    assert tags() == set()

    repo.config('tags = ["Finance/Yearly"]')
    code, out, err = repo.cli("plan")
    assert code == 1 and out == ""
    assert err.strip() == (
        "connect.toml:12: apps.web.tags[0]: no tag 'Finance/Yearly' on target 'emu': tags are "
        "created by a Connect administrator (connectfile does not create them); ask one to "
        "add it, or fix the path")
