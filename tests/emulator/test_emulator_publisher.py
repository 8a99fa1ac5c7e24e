"""Posit Publisher's deploy sequence (publisher.md §5.1-5.2), replayed request by request."""

from __future__ import annotations

import base64
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from emu_bundles import app_files, bundle

from connectfile.emulator import Emulator

USER_FIELDS = ("guid", "username", "first_name", "last_name", "email", "user_role",
               "created_time", "updated_time", "active_time", "confirmed", "locked")
PREFLIGHT = ("/__api__/v1/user", "/__api__/server_settings",
             "/__api__/server_settings/applications",
             "/__api__/server_settings/scheduler/python-fastapi",
             "/__api__/v1/server_settings/python", "/__api__/v1/server_settings/r",
             "/__api__/v1/server_settings/quarto", "/__api__/v1/server_settings/nodejs")


class Publisher:
    """The requests Publisher 2.x makes, with its headers and its success tests."""

    def __init__(self, emu: Emulator, key: str) -> None:
        self.url = emu.url
        self.session = requests.Session()  # Publisher keeps a cookie jar
        self.session.headers["Authorization"] = f"Key {key}"

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=10, **kw)

    def preflight(self, guid: str | None) -> None:
        user = self.call("GET", "/__api__/v1/user").json()
        assert all(k in user for k in USER_FIELDS)
        assert not user["locked"] and user["confirmed"]
        assert user["user_role"] in ("publisher", "administrator")
        with ThreadPoolExecutor(8) as pool:  # the eight settings reads run in parallel
            answers = dict(zip(PREFLIGHT, pool.map(lambda p: self.call("GET", p), PREFLIGHT),
                               strict=True))
        for path, r in answers.items():
            # A 404 from nodejs on servers before 2026.04 means "no Node.js".
            assert r.ok or (path.endswith("/nodejs") and r.status_code == 404), (path, r.text)
        settings = answers["/__api__/server_settings"].json()
        assert settings["license"]["allow-apis"] and "execution_type" in settings
        assert "acl" in answers["/__api__/server_settings/applications"].json()["access_types"]
        scheduler = answers["/__api__/server_settings/scheduler/python-fastapi"].json()
        assert scheduler["max_processes_limit"] >= 0
        assert answers["/__api__/v1/server_settings/python"].json()["api_enabled"]
        if guid is not None:
            item = self.call("GET", f"/__api__/v1/content/{guid}").json()
            assert not item["locked"] and item["app_mode"] in ("unknown", "", "python-fastapi")
            assert item["dashboard_url"] and item["content_url"]

    def deploy(self, guid: str | None, archive: bytes) -> str:
        self.preflight(guid)
        if guid is None:
            created = self.call("POST", "/__api__/v1/content", json={"name": ""})
            assert created.status_code == 200, created.text
            guid = created.json()["guid"]
        checksum = base64.b64encode(hashlib.md5(archive).digest()).decode()
        up = self.call("POST", f"/__api__/v1/content/{guid}/bundles", data=archive,
                       headers={"Content-Type": "application/gzip",
                                "X-Content-Checksum": checksum}, allow_redirects=False)
        assert up.status_code == 200, up.text
        bundle_id = up.json()["id"]
        assert isinstance(bundle_id, str)
        patch = self.call("PATCH", f"/__api__/v1/content/{guid}",
                          json={"name": "", "title": "From Publisher", "max_processes": 2})
        assert patch.ok, patch.text
        env = self.call("PATCH", f"/__api__/v1/content/{guid}/environment",
                        json=[{"name": "DATABASE_URL", "value": "sqlite://"}])
        assert env.ok, env.text
        task_id = self.call("POST", f"/__api__/v1/content/{guid}/deploy",
                            json={"bundle_id": bundle_id}).json()["task_id"]
        first, deadline = 0, time.monotonic() + 10
        while time.monotonic() < deadline:  # every 500 ms, `first` only, no `wait`
            task = self.call("GET", f"/__api__/v1/tasks/{task_id}",
                             params={"first": first}).json()
            first = task["last"]
            if task["finished"]:
                break
            time.sleep(0.5)
        assert task["finished"] and task["error"] == "", task
        page = self.call("GET", f"/content/{guid}/")
        assert page.status_code < 500
        return guid


def test_publisher_deploys_and_redeploys(emulator: Emulator, publisher_key: str) -> None:
    publisher = Publisher(emulator, publisher_key)
    archive = bundle(app_files(), appmode="python-fastapi")
    guid = publisher.deploy(None, archive)
    assert publisher.deploy(guid, archive) == guid
    (item,) = emulator.state()["content"].values()
    assert item["app_mode"] == "python-fastapi" and item["title"] == "From Publisher"
    assert emulator.env_value_is(guid, "DATABASE_URL", "sqlite://")
