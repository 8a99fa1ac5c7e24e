"""posit-sdk drives the emulator's routes; each answer has the recorded fields and types."""

from __future__ import annotations

from typing import Any

import pytest
from emu_bundles import bundle
from test_emulator_shapes import fixture, same_shape

from connectfile.emulator import Emulator

connect = pytest.importorskip("posit.connect", reason="posit-sdk comes with the test extra")


def _shape(ours: Any, name: str, *, exact: bool = True) -> None:
    recorded = fixture(name)
    sample = recorded[0] if isinstance(recorded, list) else recorded
    mine = dict(ours)
    assert same_shape(mine, sample) == [], name
    if exact:
        assert set(mine) == set(sample), name


@pytest.fixture
def client(emulator: Emulator) -> Any:
    return connect.Client(emulator.url, emulator.api_key)


def test_users_list_search_and_get(emulator: Emulator, client: Any) -> None:
    emulator.add_user("alice", "publisher")
    emulator.add_user("alfred", "viewer")
    emulator.add_user("bob", "publisher")
    found = client.users.find(prefix="AL")
    assert sorted(u["username"] for u in found) == ["alfred", "alice"]
    for user in found:
        _shape(user, "sdk-user.json")
    assert client.users.count() == 4
    assert client.users.get(found[0]["guid"])["username"] == found[0]["username"]
    page = client.get("v1/users", params={"page_size": 2, "page_number": 2}).json()
    assert set(page) == set(fixture("sdk-users-page.json"))
    assert page["current_page"] == 2 and page["total"] == 4 and len(page["results"]) == 2
    me = client.me
    assert me["user_role"] == "administrator" and me["password"] == ""
    assert "build_bundles" in me["privileges"] and isinstance(me["preferences"], dict)


def test_groups_and_members(emulator: Emulator, client: Any) -> None:
    emulator.add_user("carol", "publisher")
    carol = client.users.find_one(prefix="carol")
    group = client.groups.create(name="Friends", unique_id=None)
    _shape(group, "sdk-group.json")
    assert [g["guid"] for g in client.groups.find(prefix="fri")] == [group["guid"]]
    assert client.groups.get(group["guid"])["name"] == "Friends"
    group.members.add(carol)
    members = group.members.find()
    assert [m["guid"] for m in members] == [carol["guid"]]
    _shape(members[0], "sdk-user.json")
    assert group.members.count() == 1
    group.members.delete(carol)
    assert group.members.find() == []
    group.delete()
    assert client.groups.find() == []


def test_tags_and_content_tags(client: Any) -> None:
    category = client.tags.create(name="Internal Solutions")
    _shape(category, "sdk-tags.json")
    academy = client.tags.create(name="academy", parent=category)
    assert academy["parent_id"] == category["id"]
    assert [t["id"] for t in client.tags.find(parent=category)] == [academy["id"]]
    assert [t["name"] for t in client.tags.find(name="academy")] == ["academy"]
    assert client.tags.get(academy["id"])["name"] == "academy"
    item = client.content.create(name="tagged")
    assert "tags" not in client.content.get(item["guid"])  # none: omitted
    item.tags.add(academy)
    on_item = item.tags.find()
    assert sorted(t["id"] for t in on_item) == sorted([category["id"], academy["id"]])
    for tag in on_item:
        _shape(tag, "sdk-content-tags.json")
    assert len(client.content.get(item["guid"])["tags"]) == 2
    assert [c["guid"] for c in academy.content_items.find()] == [item["guid"]]
    academy.update(name="academy-updated")
    assert client.tags.get(academy["id"])["name"] == "academy-updated"
    item.tags.delete(academy)
    assert [t["id"] for t in item.tags.find()] == [category["id"]]
    category.destroy()
    assert client.tags.find() == []


def test_permissions(emulator: Emulator, client: Any) -> None:
    emulator.add_user("dana", "publisher")
    dana = client.users.find_one(prefix="dana")
    group = client.groups.create(name="Viewers", unique_id=None)
    item = client.content.create(name="shared")
    perm = item.permissions.create(principal_guid=dana["guid"], principal_type="user",
                                   role="owner")
    _shape(perm, "sdk-permission.json")
    viewers = item.permissions.create(group, role="viewer")
    assert viewers["principal_type"] == "group"
    assert sorted(p["id"] for p in item.permissions.find()) == sorted([perm["id"],
                                                                       viewers["id"]])
    assert item.permissions.get(perm["id"])["role"] == "owner"
    perm.update(role="viewer")
    assert item.permissions.get(perm["id"])["role"] == "viewer"
    item.permissions.destroy(perm)
    assert [p["id"] for p in item.permissions.find()] == [viewers["id"]]


def test_vanities_content_bundles_tasks(client: Any, tmp_path: Any) -> None:
    item = client.content.create(name="bundled", title="Bundled")
    _shape(item, "sdk-content.json", exact=False)
    archive = tmp_path / "bundle.tar.gz"
    archive.write_bytes(bundle())
    uploaded = item.bundles.create(str(archive))
    _shape(uploaded, "sdk-bundle.json", exact=False)
    assert [b["id"] for b in item.bundles.find()] == [uploaded["id"]]
    task = uploaded.deploy()
    task.wait_for()
    _shape(task, "sdk-task.json")
    assert task["code"] == 0
    assert item.bundles.get(uploaded["id"])["active"] is True
    item.vanity = "/bundled/"
    (vanity,) = client.vanities.all()
    assert vanity["content_guid"] == item["guid"] and vanity["path"] == "/bundled/"
    assert set(vanity) == {"content_guid", "path", "created_time"}
    full = client.content.get(item["guid"])
    _shape(full, "sdk-content.json", exact=False)
    assert full["vanity_url"].endswith("/bundled/")
