"""The routes real clients call beyond the deploy flow, with connect-api.md's codes."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from test_emulator_rules import Api, expect
from test_emulator_shapes import fixture, same_shape

from connectfile.emulator import Emulator


@pytest.fixture
def admin(emulator: Emulator) -> Api:
    return Api(emulator, emulator.api_key)


@pytest.mark.parametrize(("path", "recorded"), [
    ("/server_settings/applications", "server-settings-applications.json"),
    ("/server_settings/scheduler", "server-settings-scheduler.json"),
    ("/server_settings/scheduler/python-fastapi", "server-settings-scheduler.json"),
    ("/v1/server_settings/r", "server-settings-r.json"),
    ("/v1/server_settings/quarto", "server-settings-quarto.json"),
    ("/server_settings", "server-settings.json"),
])
def test_preflight_settings_have_the_recorded_fields(admin: Api, path: str,
                                                     recorded: str) -> None:
    r = admin.call("GET", path)
    assert r.status_code == 200
    assert same_shape(r.json(), fixture(recorded)) == []
    assert set(fixture(recorded)) <= set(r.json())


def test_preflight_settings_need_a_key_and_a_publisher(emulator: Emulator,
                                                       viewer_key: str) -> None:
    expect(Api(emulator, None).call("GET", "/server_settings/applications"), 401, 24)
    expect(Api(emulator, viewer_key).call("GET", "/v1/server_settings/r"), 403, 22)
    # Node.js settings only exist from 2026.04 (a 404 from the router before).
    r = Api(emulator, emulator.api_key).call("GET", "/v1/server_settings/nodejs")
    assert r.status_code == 404 and r.text == "404 page not found\n"


def test_ping_and_runtimes(emulator: Emulator) -> None:
    assert requests.get(f"{emulator.url}/__ping__").status_code == 200
    assert requests.get(f"{emulator.url}/__api__/server_settings").json()["runtimes"] == \
        ["Python"]


@pytest.mark.parametrize("path", [
    "/v1/oauth/integrations", "/v1/packages", "/v1/system/caches/runtime",
    "/v1/environments", "/v1/content/{guid}/jobs", "/v1/content/{guid}/packages",
    "/v1/content/{guid}/oauth/integrations/associations",
])
def test_out_of_scope_routes_are_the_routers_404(admin: Api, path: str) -> None:
    guid = admin.create(name="scope")["guid"]
    r = admin.call("GET", path.format(guid=guid))
    assert r.status_code == 404 and r.text == "404 page not found\n"


def test_vanities_list_is_for_administrators(admin: Api, emulator: Emulator,
                                             publisher_key: str) -> None:
    guid = admin.create(name="vain")["guid"]
    assert admin.call("PUT", f"/v1/content/{guid}/vanity", json={"path": "team/x"}).ok
    assert admin.call("GET", "/v1/vanities").json()[0]["path"] == "/team/x/"
    expect(Api(emulator, publisher_key).call("GET", "/v1/vanities"), 403, 22)


def test_tag_rules(admin: Api, emulator: Emulator, publisher_key: str) -> None:
    category = admin.call("POST", "/v1/tags", json={"name": "Life Cycle"}).json()
    dev = admin.call("POST", "/v1/tags", json={"name": "Dev", "parent_id": category["id"]}).json()
    expect(admin.call("POST", "/v1/tags", json={"name": ""}), 400, 78)
    expect(admin.call("POST", "/v1/tags", json={"name": "x" * 256}), 400, 77)
    expect(admin.call("POST", "/v1/tags", json={"name": "Dev", "parent_id": category["id"]}),
           400, 81)
    expect(admin.call("POST", "/v1/tags", json={"name": "Y", "parent_id": "999"}), 400, 157)
    expect(admin.call("PATCH", f"/v1/tags/{category['id']}", json={"parent_id": dev["id"]}),
           400, 88)
    expect(admin.call("GET", "/v1/tags/999"), 404, 4)
    assert admin.call("GET", "/v1/tags/Life Cycle,Dev").json()["id"] == dev["id"]
    expect(Api(emulator, publisher_key).call("POST", "/v1/tags", json={"name": "Z"}), 403, 22)
    guid = admin.create(name="tagged")["guid"]
    expect(admin.call("POST", f"/v1/content/{guid}/tags", json={"tag_id": category["id"]}),
           400, 79)
    expect(admin.call("POST", f"/v1/content/{guid}/tags", json={"tag_id": "999"}), 400, 158)
    assert admin.call("POST", f"/v1/content/{guid}/tags", json={"tag_id": dev["id"]}).ok
    assert admin.call("DELETE", f"/v1/tags/{category['id']}").status_code == 204
    assert admin.call("GET", f"/v1/content/{guid}/tags").json() == []


def test_permission_rules_and_effects(admin: Api, emulator: Emulator,
                                      publisher_key: str, viewer_key: str) -> None:
    pub, viewer = Api(emulator, publisher_key), Api(emulator, viewer_key)
    pub_guid = pub.call("GET", "/v1/user").json()["guid"]
    viewer_guid = viewer.call("GET", "/v1/user").json()["guid"]
    guid = admin.create(name="acl")["guid"]
    path = f"/v1/content/{guid}/permissions"
    body = {"principal_guid": pub_guid, "principal_type": "user", "role": "owner"}
    expect(pub.call("POST", f"/v1/content/{guid}/bundles", data=b"x"), 403, 22)
    perm = admin.call("POST", path, json=body).json()
    assert perm["id"].isdigit()
    expect(admin.call("POST", path, json=body), 409, 154)
    expect(admin.call("POST", path, json={**body, "principal_type": "team"}), 400, 152)
    expect(admin.call("POST", path, json={**body, "principal_type": "group"}), 404, 153)
    expect(admin.call("POST", path, json={**body, "principal_guid": "nobody"}), 404, 9)
    owner = admin.call("GET", "/v1/user").json()["guid"]
    expect(admin.call("POST", path, json={**body, "principal_guid": owner}), 400, 34)
    expect(admin.call("POST", path, json={**body, "principal_guid": viewer_guid}), 403, 33)
    expect(admin.call("GET", f"{path}/999"), 404, 4)
    # A collaborator uploads and sees itself as editor; a group grants its members viewing.
    assert pub.call("GET", f"/v1/content/{guid}").json()["app_role"] == "editor"
    assert pub.upload(guid)
    expect(viewer.call("GET", f"/v1/content/{guid}"), 403, 22)
    group = emulator.add_group("readers", ["viewer1"])
    assert admin.call("POST", path, json={"principal_guid": group, "principal_type": "group",
                                          "role": "viewer"}).ok
    assert viewer.call("GET", f"/v1/content/{guid}").json()["app_role"] == "viewer"
    assert admin.call("DELETE", f"{path}/{perm['id']}").status_code == 204
    expect(pub.call("GET", f"/v1/content/{guid}"), 403, 22)


def test_permission_post_updates_from_2026(tmp_path: Path) -> None:
    with Emulator(tmp_path, version="2026.04.0", task_step_delay=0) as emu:
        admin = Api(emu, emu.api_key)
        key = emu.add_user("pat", "publisher")
        pat = Api(emu, key).call("GET", "/v1/user").json()["guid"]
        guid = admin.create(name="acl")["guid"]
        body = {"principal_guid": pat, "principal_type": "user", "role": "viewer"}
        first = admin.call("POST", f"/v1/content/{guid}/permissions", json=body).json()
        again = admin.call("POST", f"/v1/content/{guid}/permissions",
                           json={**body, "role": "owner"}).json()
        assert again["id"] == first["id"] and again["role"] == "owner"


def test_users_paging_out_of_range(admin: Api) -> None:
    expect(admin.call("GET", "/v1/users", params={"page_size": 501}), 400, 25)
    expect(admin.call("GET", "/v1/users", params={"page_number": 0}), 400, 25)


def test_build_and_legacy_application(admin: Api, emulator: Emulator) -> None:
    item = admin.create(name="built")
    bundle_id = admin.upload(item["guid"])
    r = admin.call("POST", f"/v1/content/{item['guid']}/build", json={"bundle_id": bundle_id})
    assert r.status_code == 200
    from test_emulator_flow import wait_task

    assert wait_task(emulator, r.json()["task_id"])["code"] == 0
    v0 = admin.call("GET", f"/applications/{item['id']}").json()
    assert v0["guid"] == item["guid"] and v0["id"] == int(item["id"])
    assert v0["app_mode"] == 8 and v0["bundle_id"] == int(bundle_id)
    expect(admin.call("GET", "/applications/999"), 404, 4)
