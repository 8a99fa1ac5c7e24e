"""One test per version rule: what a server of each Connect version accepts and returns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from emu_bundles import app_files, bundle
from test_emulator_rules import Api, expect

from connectfile.emulator import Emulator

PANEL_FILES = {"app.py": b"import panel as pn\npn.panel('hi').servable()\n",
               "requirements.txt": b"panel\n"}
FIELDS_2026 = ("draft_marker_enabled", "metrics_collection_enabled", "notify_on_share",
               "otel_enabled", "node_version")


@pytest.fixture
def at(tmp_path: Path) -> Iterator[object]:
    """`at("2025.09.0")` -> an admin Api on an emulator claiming that version."""
    started: list[Emulator] = []

    def make(version: str) -> Api:
        emu = Emulator(tmp_path / version, version=version, task_step_delay=0).start()
        started.append(emu)
        api = Api(emu, emu.api_key)
        api.emu = emu  # type: ignore[attr-defined]
        return api

    yield make
    for emu in started:
        emu.stop()


def _deploy(api: Api, data: bytes) -> dict[str, object]:
    guid = api.create(name="versioned")["guid"]
    return api.deploy(api.emu, guid, api.upload(guid, data))  # type: ignore[attr-defined]


def test_panel_needs_2025_11(at: object) -> None:
    panel = bundle(PANEL_FILES, appmode="python-panel", entrypoint="app.py")
    old = _deploy(at("2025.09.0"), panel)  # type: ignore[operator]
    assert old["code"] == 1
    assert old["error"] == "Cannot process manifest: Unrecognized app mode"
    assert _deploy(at("2025.11.0"), panel)["code"] == 0  # type: ignore[operator]


@pytest.mark.parametrize("field", FIELDS_2026)
def test_2026_content_fields_unknown_at_2025_09(at: object, field: str) -> None:
    old = at("2025.09.0")  # type: ignore[operator]
    item = old.create(name="fields")
    assert field not in item
    value = None if field == "node_version" else True
    expect(old.call("PATCH", f"/v1/content/{item['guid']}", json={field: value}), 400, 121)
    expect(old.call("POST", "/v1/content", json={"name": "other", field: value}), 400, 121)


def test_2026_content_fields_at_2026_04(at: object) -> None:
    new = at("2026.04.0")  # type: ignore[operator]
    item = new.create(name="fields")
    assert all(field in item for field in FIELDS_2026)
    r = new.call("PATCH", f"/v1/content/{item['guid']}", json={"otel_enabled": True})
    assert r.status_code == 200 and r.json()["otel_enabled"] is True
    expect(new.call("PATCH", f"/v1/content/{item['guid']}", json={"node_version": "22"}),
           400, 53)


def _multipart(api: Api, guid: str, metadata: dict[str, str]) -> object:
    return api.call("POST", f"/v1/content/{guid}/bundles",
                    files={"archive": ("bundle.tar.gz", bundle(), "application/x-tar"),
                           "metadata": (None, json.dumps(metadata))})


GIT = {"source": "git", "source_repo": "https://github.com/example/repo.git",
       "source_branch": "main", "source_commit": "0f24ab", "team": "data"}


def test_multipart_upload_refused_before_2025_12(at: object) -> None:
    old = at("2025.11.0")  # type: ignore[operator]
    guid = old.create(name="multi")["guid"]
    expect(_multipart(old, guid, GIT), 400, 135)  # type: ignore[arg-type]


def test_multipart_upload_keeps_metadata_from_2025_12(at: object) -> None:
    new = at("2025.12.0")  # type: ignore[operator]
    guid = new.create(name="multi")["guid"]
    r = _multipart(new, guid, GIT)
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    uploaded = r.json()  # type: ignore[attr-defined]
    want = {k: GIT[k] for k in ("source", "source_repo", "source_branch", "source_commit")}
    assert {k: uploaded["metadata"][k] for k in want} == want
    assert "team" not in uploaded["metadata"]
    again = new.call("GET", f"/v1/content/{guid}/bundles/{uploaded['id']}").json()
    assert again["metadata"] == uploaded["metadata"]
    assert new.call("GET", f"/v1/content/{guid}/bundles").json()[0]["metadata"] == \
        uploaded["metadata"]
    # A raw upload on the same server has no source.
    raw = new.call("POST", f"/v1/content/{guid}/bundles", data=bundle()).json()
    assert raw["metadata"]["source"] is None and raw["metadata"]["archive_md5"]
    bad = new.call("POST", f"/v1/content/{guid}/bundles",
                   files={"archive": ("b.tar.gz", bundle()), "metadata": (None, "[1]")})
    expect(bad, 400, 121)
    missing = new.call("POST", f"/v1/content/{guid}/bundles",
                       files={"metadata": (None, "{}")})
    expect(missing, 400, 135)


def test_lockfile_from_2025_12(at: object) -> None:
    old = at("2025.09.0")  # type: ignore[operator]
    guid = old.create(name="locked")["guid"]
    r = old.call("GET", f"/v1/content/{guid}/lockfile")
    assert r.status_code == 404 and r.text == "404 page not found\n"

    new = at("2025.12.0")  # type: ignore[operator]
    guid = new.create(name="locked")["guid"]
    expect(new.call("GET", f"/v1/content/{guid}/lockfile"), 404, 4)
    assert new.deploy(new.emu, guid, new.upload(guid))["code"] == 0  # type: ignore[attr-defined]
    r = new.call("GET", f"/v1/content/{guid}/lockfile")
    assert r.status_code == 200
    assert r.headers["Generated-By"].startswith("connect; python=3.11")
    assert r.text == app_files()["requirements.txt"].decode()


def test_posit_sdk_reads_the_lockfile_at_2025_12(at: object) -> None:
    connect = pytest.importorskip("posit.connect", reason="posit-sdk comes with the test extra")
    new = at("2025.12.0")  # type: ignore[operator]
    guid = new.create(name="sdk-lock")["guid"]
    assert new.deploy(new.emu, guid, new.upload(guid))["code"] == 0  # type: ignore[attr-defined]
    emu = new.emu  # type: ignore[attr-defined]
    client = connect.Client(emu.url, emu.api_key)  # the SDK holds it weakly: keep a name
    item = client.content.get(guid)
    lock = item.get_lockfile()
    assert "flask==3.0.3" in lock.text and lock.python_version.startswith("3.11")
