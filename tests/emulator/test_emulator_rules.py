"""Conformance: auth, roles and every rule's error code (reference §14, §15 emulator notes)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from emu_bundles import bundle
from test_emulator_flow import wait_task

from connectfile.emulator import Emulator


class Api:
    """Plain requests calls against one emulator as one user."""

    def __init__(self, emu: Emulator, key: str | None) -> None:
        self.base = f"{emu.url}/__api__"
        self.headers = {"Authorization": f"Key {key}"} if key else {}

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return requests.request(method, self.base + path, headers=headers, **kw)

    def create(self, **body: Any) -> dict[str, Any]:
        r = self.call("POST", "/v1/content", json=body)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def upload(self, guid: str, data: bytes | None = None) -> str:
        r = self.call("POST", f"/v1/content/{guid}/bundles", data=data or bundle())
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    def deploy(self, emu: Emulator, guid: str, bundle_id: str, **extra: Any) -> dict[str, Any]:
        r = self.call("POST", f"/v1/content/{guid}/deploy", json={"bundle_id": bundle_id, **extra})
        assert r.status_code == 202, r.text
        return wait_task(emu, r.json()["task_id"])


def expect(r: requests.Response, status: int, code: int) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and isinstance(body["error"], str) and body["error"]
    assert "payload" in body


@pytest.fixture
def admin(emulator: Emulator) -> Api:
    return Api(emulator, emulator.api_key)


@pytest.fixture
def pub(emulator: Emulator, publisher_key: str) -> Api:
    return Api(emulator, publisher_key)


@pytest.fixture
def viewer(emulator: Emulator, viewer_key: str) -> Api:
    return Api(emulator, viewer_key)


def test_authentication_codes(emulator: Emulator) -> None:
    expect(Api(emulator, None).call("GET", "/v1/user"), 401, 24)
    expect(Api(emulator, "not-a-key").call("GET", "/v1/user"), 401, 30)
    r = requests.get(f"{emulator.url}/__api__/v1/user",
                     headers={"Authorization": "Bearer something"})
    expect(r, 401, 24)
    assert requests.get(f"{emulator.url}/__api__/server_settings").status_code == 200


def test_viewer_cannot_publish(emulator: Emulator, viewer: Api, pub: Api) -> None:
    assert viewer.call("GET", "/v1/user").json()["user_role"] == "viewer"
    expect(viewer.call("POST", "/v1/content", json={"name": "nope"}), 403, 22)
    expect(viewer.call("GET", "/v1/server_settings/python"), 403, 22)
    shared = pub.create(name="shared", access_type="logged_in")
    private = pub.create(name="private")
    expect(viewer.call("POST", f"/v1/content/{shared['guid']}/bundles", data=bundle()), 403, 22)
    expect(viewer.call("PATCH", f"/v1/content/{shared['guid']}", json={"title": "Mine"}), 403, 22)
    expect(viewer.call("GET", f"/v1/content/{private['guid']}"), 403, 22)
    seen = viewer.call("GET", f"/v1/content/{shared['guid']}").json()
    assert seen["app_role"] == "viewer" and seen["py_version"] is None
    assert [c["name"] for c in viewer.call("GET", "/v1/content").json()] == ["shared"]


def test_admin_sees_all_but_must_collaborate_to_upload(admin: Api, pub: Api) -> None:
    item = pub.create(name="theirs")
    seen = admin.call("GET", f"/v1/content/{item['guid']}").json()
    assert seen["app_role"] == "none"
    expect(admin.call("POST", f"/v1/content/{item['guid']}/bundles", data=bundle()), 403, 22)
    assert admin.call("PATCH", f"/v1/content/{item['guid']}",
                      json={"title": "Renamed"}).status_code == 200


def test_not_found(pub: Api) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    expect(pub.call("GET", f"/v1/content/{missing}"), 404, 4)
    expect(pub.call("DELETE", f"/v1/content/{missing}"), 404, 4)
    expect(pub.call("GET", "/v1/tasks/AAAAAAAAAAAAAAAA"), 404, 4)


def test_name_rules(pub: Api, admin: Api) -> None:
    pub.create(name="dup")
    expect(pub.call("POST", "/v1/content", json={"name": "dup"}), 409, 26)
    admin.create(name="dup")  # unique per owner, not globally
    for bad in ("ab", "x" * 65, "has space", "slash/name"):
        expect(pub.call("POST", "/v1/content", json={"name": bad}), 400, 5)
    pub.create(name="tool-v1.0.1")  # periods: reference §4.1 (2025.09 item)
    pub.create(name="")
    pub.create(name="")  # "" never clashes (reference §4.3)
    other = pub.create(name="other")
    expect(pub.call("PATCH", f"/v1/content/{other['guid']}", json={"name": "dup"}), 409, 26)


@pytest.mark.parametrize(("body", "code"), [
    ({"title": "ab"}, 122),
    ({"title": "x" * 1025}, 122),
    ({"description": "x" * 4097}, 123),
    ({"access_type": "everyone"}, 117),
    ({"load_factor": 1.5}, 150),
    ({"idle_timeout": 2_592_001}, 151),
    ({"read_timeout": -1}, 151),
    ({"min_processes": 5, "max_processes": 2}, 114),
    ({"bundle_id": "3"}, 53),
    ({"favourite_colour": "blue"}, 121),
    ({"title": 5}, 121),
])
def test_setting_rules(pub: Api, body: dict[str, Any], code: int) -> None:
    expect(pub.call("POST", "/v1/content", json={"name": "x-app", **body}), 400, code)
    item = pub.create(name="y-app")
    expect(pub.call("PATCH", f"/v1/content/{item['guid']}", json=body), 400, code)
    assert pub.call("GET", f"/v1/content/{item['guid']}").json() == item


def test_patch_merge_and_min_max_against_stored(pub: Api) -> None:
    item = pub.create(name="procs", max_processes=2)
    expect(pub.call("PATCH", f"/v1/content/{item['guid']}", json={"min_processes": 3}), 400, 114)
    r = pub.call("PATCH", f"/v1/content/{item['guid']}", json={"max_processes": None})
    assert r.status_code == 200 and r.json()["max_processes"] is None


def test_bad_json(pub: Api) -> None:
    r = pub.call("POST", "/v1/content", data=b"{nope")
    expect(r, 400, 87)
    expect(pub.call("POST", "/v1/content", json=[]), 400, 121)


def test_environment(emulator: Emulator, pub: Api) -> None:
    guid = pub.create(name="envy")["guid"]
    path = f"/v1/content/{guid}/environment"
    assert pub.call("GET", path).json() == []
    r = pub.call("PUT", path, json=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
    assert r.status_code == 200 and r.json() == ["A", "B"]
    r = pub.call("PATCH", path, json=[{"name": "C", "value": "3"}, {"name": "A", "value": None}])
    assert r.json() == ["B", "C"]
    assert pub.call("PUT", path, json=[{"name": "D", "value": "secret-4"}]).json() == ["D"]
    got = pub.call("GET", path)
    assert got.json() == ["D"] and "secret-4" not in got.text
    assert emulator.env_value_is(guid, "D", "secret-4")
    assert not emulator.env_value_is(guid, "D", "secret-5")
    assert "secret-4" not in (emulator.data_dir / "state.json").read_text()
    expect(pub.call("PATCH", path, json=[{"name": "E", "value": "1"},
                                         {"name": "E", "value": "2"}]), 409, 149)
    expect(pub.call("PUT", path, json={"name": "E"}), 400, 121)
    assert pub.call("PUT", path, json=[]).json() == []


def test_vanity(pub: Api, emulator: Emulator) -> None:
    one, two = pub.create(name="one")["guid"], pub.create(name="two")["guid"]
    expect(pub.call("GET", f"/v1/content/{one}/vanity"), 404, 4)
    r = pub.call("PUT", f"/v1/content/{one}/vanity", json={"path": "team/sales"})
    assert r.status_code == 200 and r.json()["path"] == "/team/sales/"
    assert r.json()["content_guid"] == one
    assert pub.call("GET", f"/v1/content/{one}").json()["content_url"] \
        == f"{emulator.url}/team/sales/"
    assert requests.get(f"{emulator.url}/team/sales/").status_code == 404  # not deployed
    assert requests.get(f"{emulator.url}/team/other/").text == "404 page not found\n"
    expect(pub.call("PUT", f"/v1/content/{two}/vanity", json={"path": "/team/"}), 409, 51)
    expect(pub.call("PUT", f"/v1/content/{two}/vanity", json={"path": "/connect/x/"}), 400, 52)
    expect(pub.call("PUT", f"/v1/content/{two}/vanity", json={"path": "/__x/"}), 400, 52)
    r = pub.call("PUT", f"/v1/content/{two}/vanity", json={"path": "/team/sales/", "force": True})
    assert r.status_code == 200
    expect(pub.call("GET", f"/v1/content/{one}/vanity"), 404, 4)
    assert pub.call("DELETE", f"/v1/content/{two}/vanity").status_code == 204


def test_bundle_and_deploy_rules(emulator: Emulator, pub: Api) -> None:
    guid = pub.create(name="rules")["guid"]
    expect(pub.call("POST", f"/v1/content/{guid}/deploy", json={}), 404, 28)
    first = pub.upload(guid)
    assert pub.deploy(emulator, guid, first)["code"] == 0
    expect(pub.call("DELETE", f"/v1/content/{guid}/bundles/{first}"), 400, 75)

    other = pub.create(name="other")["guid"]
    foreign = pub.upload(other)
    expect(pub.call("POST", f"/v1/content/{guid}/deploy", json={"bundle_id": foreign}), 400, 82)
    expect(pub.call("POST", f"/v1/content/{guid}/deploy", json={"bundle_id": "x"}), 400, 3)

    streamlit = pub.upload(guid, bundle(appmode="python-streamlit", entrypoint="app.py"))
    expect(pub.call("POST", f"/v1/content/{guid}/deploy", json={"bundle_id": streamlit}),
           403, 48)

    pub.call("PATCH", f"/v1/content/{guid}", json={"locked": True, "locked_message": "frozen"})
    second = pub.upload(guid)
    r = pub.call("POST", f"/v1/content/{guid}/deploy", json={"bundle_id": second})
    expect(r, 403, 22)
    pub.call("PATCH", f"/v1/content/{guid}", json={"locked": False, "locked_message": ""})
    assert pub.deploy(emulator, guid, second)["code"] == 0

    listed = pub.call("GET", f"/v1/content/{guid}/bundles").json()
    assert [b["id"] for b in listed] == sorted((b["id"] for b in listed), key=int)
    assert [b["active"] for b in listed] == [b["id"] == second for b in listed]
    assert pub.call("DELETE", f"/v1/content/{guid}/bundles/{first}").status_code == 204
    expect(pub.call("GET", f"/v1/content/{guid}/bundles/{first}"), 404, 4)
    data = pub.call("GET", f"/v1/content/{guid}/bundles/{second}/download")
    assert data.status_code == 200 and data.content[:2] == b"\x1f\x8b"


def test_deploy_without_bundle_id_takes_newest(emulator: Emulator, pub: Api) -> None:
    guid = pub.create(name="newest")["guid"]
    pub.upload(guid)
    newest = pub.upload(guid)
    r = pub.call("POST", f"/v1/content/{guid}/deploy")
    assert r.status_code == 202
    assert wait_task(emulator, r.json()["task_id"])["code"] == 0
    assert pub.call("GET", f"/v1/content/{guid}").json()["bundle_id"] == newest


def test_draft_deploy_keeps_active_bundle(emulator: Emulator, pub: Api) -> None:
    guid = pub.create(name="drafty")["guid"]
    live = pub.upload(guid)
    pub.deploy(emulator, guid, live)
    draft = pub.upload(guid)
    assert pub.deploy(emulator, guid, draft, activate=False)["code"] == 0
    assert pub.call("GET", f"/v1/content/{guid}").json()["bundle_id"] == live
    assert requests.get(f"{emulator.url}/content/{guid}/_bundle{draft}/").status_code == 200
    assert f"bundle {live}" in requests.get(f"{emulator.url}/content/{guid}/").text


def test_activate_refused_before_2025_06(tmp_path: Any) -> None:
    with Emulator(tmp_path, version="2024.12.0", task_step_delay=0) as emu:
        api = Api(emu, emu.api_key)
        guid = api.create(name="old")["guid"]
        bundle_id = api.upload(guid)
        r = api.call("POST", f"/v1/content/{guid}/deploy",
                     json={"bundle_id": bundle_id, "activate": False})
        expect(r, 400, 121)


def test_task_paging(emulator: Emulator, pub: Api) -> None:
    guid = pub.create(name="paging")["guid"]
    task_id = pub.call("POST", f"/v1/content/{guid}/deploy",
                       json={"bundle_id": pub.upload(guid)}).json()["task_id"]
    done = wait_task(emulator, task_id)
    total = done["last"]
    r = pub.call("GET", f"/v1/tasks/{task_id}", params={"first": total - 2})
    assert r.json()["output"] == done["all_output"][-2:] and r.json()["last"] == total
    expect(pub.call("GET", f"/v1/tasks/{task_id}", params={"first": total + 1}), 400, 13)
    expect(pub.call("GET", f"/v1/tasks/{task_id}", params={"wait": 21}), 400, 25)


def test_delete_content(emulator: Emulator, pub: Api) -> None:
    guid = pub.create(name="doomed")["guid"]
    bundle_id = pub.upload(guid)
    assert pub.call("DELETE", f"/v1/content/{guid}").status_code == 204
    expect(pub.call("GET", f"/v1/content/{guid}"), 404, 4)
    assert not emulator.store.bundle_path(bundle_id).exists()


def test_owner_transfer(emulator: Emulator, admin: Api, pub: Api, viewer: Api) -> None:
    item = pub.create(name="handover")
    admin_guid = admin.call("GET", "/v1/user").json()["guid"]
    viewer_guid = viewer.call("GET", "/v1/user").json()["guid"]
    expect(pub.call("PATCH", f"/v1/content/{item['guid']}", json={"owner_guid": admin_guid}),
           400, 66)
    expect(admin.call("PATCH", f"/v1/content/{item['guid']}",
                      json={"owner_guid": viewer_guid}), 403, 156)
    r = admin.call("PATCH", f"/v1/content/{item['guid']}", json={"owner_guid": admin_guid})
    assert r.status_code == 200 and r.json()["app_role"] == "owner"


def test_locked_user_reads_itself_only(emulator: Emulator, pub: Api) -> None:
    emulator.set_user("publisher1", locked=True, confirmed=False)
    me = pub.call("GET", "/v1/user")
    assert me.status_code == 200 and me.json()["locked"] and not me.json()["confirmed"]
    expect(pub.call("GET", "/v1/content"), 403, 50)
    emulator.set_user("publisher1", locked=False)
    assert pub.call("GET", "/v1/content").status_code == 200


def test_include_and_users(pub: Api) -> None:
    item = pub.create(name="incl")
    me = pub.call("GET", "/v1/user").json()
    full = pub.call("GET", f"/v1/content/{item['guid']}", params={"include": "owner,tags"}).json()
    assert full["owner"] == {k: me[k] for k in ("guid", "username", "first_name", "last_name")}
    assert "tags" not in full  # omitted when there are none, as posit-sdk expects
    expect(pub.call("GET", "/v1/content", params={"include": "everything"}), 400, 161)
    user = pub.call("GET", f"/v1/users/{me['guid']}")
    assert user.status_code == 200 and user.json()["username"] == "publisher1"
    expect(pub.call("GET", "/v1/users/00000000-0000-0000-0000-000000000000"), 404, 9)


def test_wrong_method_on_known_path(pub: Api) -> None:
    r = pub.call("PUT", "/v1/user")
    assert r.status_code == 405 and r.content == b""
