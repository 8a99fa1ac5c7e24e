"""Conformance: the whole deploy flow of reference §15 with plain `requests` calls."""

from __future__ import annotations

import re
import time
from typing import Any

import requests
from emu_bundles import bundle

from connectfile.emulator import Emulator

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Key {key}"}


def wait_task(emu: Emulator, task_id: str, key: str | None = None) -> dict[str, Any]:
    first, lines = 0, []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = requests.get(f"{emu.url}/__api__/v1/tasks/{task_id}",
                         params={"first": first, "wait": 2}, headers=_h(key or emu.api_key))
        assert r.status_code == 200, r.text
        task = r.json()
        lines += task["output"]
        first = task["last"]
        if task["finished"]:
            task["all_output"] = lines
            return task  # type: ignore[no-any-return]
    raise AssertionError("task did not finish")


def test_full_flow(emulator: Emulator, publisher_key: str) -> None:
    url, h = emulator.url, _h(publisher_key)
    settings = requests.get(f"{url}/__api__/server_settings").json()
    assert settings["version"] == "2025.09.0"

    me = requests.get(f"{url}/__api__/v1/user", headers=h)
    assert me.status_code == 200
    user = me.json()
    assert user["user_role"] == "publisher" and not user["locked"] and user["confirmed"]
    assert UUID.fullmatch(user["guid"])

    py = requests.get(f"{url}/__api__/v1/server_settings/python", headers=h).json()
    assert all(set(i) == {"version", "cluster_name", "image_name", "publishable"}
               for i in py["installations"])

    found = requests.get(f"{url}/__api__/v1/content",
                         params={"name": "sales", "owner_guid": user["guid"]}, headers=h)
    assert found.status_code == 200 and found.json() == []

    created = requests.post(f"{url}/__api__/v1/content", json={"name": "sales"}, headers=h)
    assert created.status_code == 200
    item = created.json()
    guid = item["guid"]
    assert UUID.fullmatch(guid) and item["id"].isdigit()
    assert item["app_mode"] == "unknown" and item["bundle_id"] is None
    assert item["app_role"] == "owner" and item["owner_guid"] == user["guid"]
    assert RFC3339.fullmatch(item["created_time"])
    assert item["content_url"] == f"{url}/content/{guid}/"
    assert item["dashboard_url"] == f"{url}/connect/#/apps/{guid}"

    again = requests.get(f"{url}/__api__/v1/content",
                         params={"name": "sales", "owner_guid": user["guid"]}, headers=h).json()
    assert [c["guid"] for c in again] == [guid]

    patched = requests.patch(f"{url}/__api__/v1/content/{guid}",
                             json={"title": "Sales dashboard", "max_processes": 4}, headers=h)
    assert patched.status_code == 200
    assert patched.json()["title"] == "Sales dashboard" and patched.json()["max_processes"] == 4

    env = requests.patch(f"{url}/__api__/v1/content/{guid}/environment",
                         json=[{"name": "DB_URL", "value": "postgres://x"}], headers=h)
    assert env.status_code == 200 and env.json() == ["DB_URL"]
    assert "postgres" not in env.text

    up = requests.post(f"{url}/__api__/v1/content/{guid}/bundles", data=bundle(),
                       headers={**h, "Content-Type": "application/gzip"})
    assert up.status_code == 200, up.text
    bundle_id = up.json()["id"]
    assert bundle_id.isdigit() and up.json()["active"] is False

    dep = requests.post(f"{url}/__api__/v1/content/{guid}/deploy",
                        json={"bundle_id": bundle_id}, headers=h)
    assert dep.status_code == 202
    task_id = dep.json()["task_id"]
    assert re.fullmatch(r"[A-Za-z0-9]{16}", task_id)

    task = wait_task(emulator, task_id, publisher_key)
    assert task["code"] == 0 and task["error"] == "" and task["result"] is None
    assert "Bundle requested Python version 3.11.4" in task["all_output"]

    item = requests.get(f"{url}/__api__/v1/content/{guid}", headers=h).json()
    assert item["bundle_id"] == bundle_id and item["app_mode"] == "python-api"
    assert item["py_version"].startswith("3.11.")
    assert RFC3339.fullmatch(item["last_deployed_time"])
    page = requests.get(f"{url}/content/{guid}/")
    assert page.status_code == 200 and f"bundle {bundle_id}" in page.text


def test_unknown_route_is_plain_text(emulator: Emulator) -> None:
    r = requests.get(f"{emulator.url}/__api__/v1/nope", headers=_h(emulator.api_key))
    assert r.status_code == 404
    assert r.text == "404 page not found\n"
    assert r.headers["Content-Type"].startswith("text/plain")


def test_output_arrives_over_time_and_wait_long_polls(tmp_path: Any) -> None:
    with Emulator(tmp_path, task_step_delay=0.1) as emu:
        h = _h(emu.api_key)
        api = f"{emu.url}/__api__/v1"
        guid = requests.post(f"{api}/content", json={"name": "slow"}, headers=h).json()["guid"]
        bundle_id = requests.post(f"{api}/content/{guid}/bundles", data=bundle(),
                                  headers=h).json()["id"]
        task_id = requests.post(f"{api}/content/{guid}/deploy", json={"bundle_id": bundle_id},
                                headers=h).json()["task_id"]
        now = requests.get(f"{api}/tasks/{task_id}", headers=h).json()
        assert now["finished"] is False and now["code"] == 0 and now["error"] == ""
        first, polls = now["last"], 0
        while True:
            start = time.monotonic()
            task = requests.get(f"{api}/tasks/{task_id}", params={"first": first, "wait": 5},
                                headers=h).json()
            # The long-poll answers as soon as a line arrives, well before `wait` runs out.
            assert time.monotonic() - start < 2
            assert task["output"] or task["finished"]
            polls += 1
            first = task["last"]
            if task["finished"]:
                break
        assert polls >= 3 and task["code"] == 0
        start = time.monotonic()
        done = requests.get(f"{api}/tasks/{task_id}", params={"first": first, "wait": 5},
                            headers=h).json()
        assert done["output"] == [] and done["finished"] and time.monotonic() - start < 1
