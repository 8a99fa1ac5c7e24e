"""Concurrent requests leave consistent state, and the state survives a restart."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from emu_bundles import app_files, bundle
from test_emulator_rules import Api

from connectfile.emulator import Emulator

THREADS = 50


def _work(api: Api, n: int) -> tuple[str, str, str]:
    guid = api.create(name=f"app-{n:02d}", title=f"App number {n}")["guid"]
    data = bundle({**app_files(), "extra.txt": f"thread {n}\n".encode()})
    bundle_id = api.upload(guid, data)
    r = api.call("PATCH", f"/v1/content/{guid}/environment",
                 json=[{"name": f"VAR_{n}", "value": str(n)}])
    assert r.status_code == 200 and r.json() == [f"VAR_{n}"]
    return guid, bundle_id, hashlib.md5(data).hexdigest()


def test_fifty_threads_then_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Emulator(data_dir, task_step_delay=0) as emu:
        key = emu.add_user("busy", "publisher")
        api = Api(emu, key)
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(lambda n: _work(api, n), range(THREADS)))
        # A second round on the same names must all clash (uniqueness under concurrency).
        with ThreadPoolExecutor(THREADS) as pool:
            clashes = list(pool.map(
                lambda n: api.call("POST", "/v1/content", json={"name": f"app-{n:02d}"}),
                range(THREADS)))
        assert {r.status_code for r in clashes} == {409}
        guid0, bundle0, _ = results[0]
        assert api.deploy(emu, guid0, bundle0)["code"] == 0

    guids = {g for g, _, _ in results}
    bundle_ids = [b for _, b, _ in results]
    assert len(guids) == THREADS
    assert sorted(bundle_ids, key=int) == [str(i) for i in range(1, THREADS + 1)]
    state = json.loads((data_dir / "state.json").read_text())
    assert sorted(int(c["id"]) for c in state["content"].values()) == list(range(1, THREADS + 1))
    assert key not in (data_dir / "state.json").read_text()  # only key hashes are stored

    with Emulator(data_dir, task_step_delay=0) as again:
        api = Api(again, key)  # the publisher's key still works after the restart
        items = api.call("GET", "/v1/content").json()
        assert {c["guid"] for c in items} == guids
        assert {c["name"] for c in items} == {f"app-{n:02d}" for n in range(THREADS)}
        for guid, bundle_id, md5 in results:
            listed = api.call("GET", f"/v1/content/{guid}/bundles").json()
            assert [b["id"] for b in listed] == [bundle_id]
            assert listed[0]["metadata"]["archive_md5"] == md5
            raw = api.call("GET", f"/v1/content/{guid}/bundles/{bundle_id}/download").content
            assert hashlib.md5(raw).hexdigest() == md5
        n = next(i for i, (g, _, _) in enumerate(results) if g == guid0)
        assert api.call("GET", f"/v1/content/{guid0}/environment").json() == [f"VAR_{n}"]
        assert api.call("GET", f"/v1/content/{guid0}").json()["bundle_id"] == bundle0
        assert requests.get(f"{again.url}/content/{guid0}/").status_code == 200
        fresh = api.create(name="after-restart")
        assert fresh["id"] == str(THREADS + 1)


def test_no_temp_files_left(tmp_path: Path) -> None:
    with Emulator(tmp_path, task_step_delay=0) as emu:
        api = Api(emu, emu.api_key)
        guid = api.create(name="tidy")["guid"]
        api.upload(guid)
    leftovers = [p.name for p in tmp_path.rglob(".*") if p.is_file()]
    assert leftovers == []


def test_kept_alive_connection_does_not_outlive_stop(tmp_path: Path) -> None:
    session = requests.Session()
    emu = Emulator(tmp_path, task_step_delay=0).start()
    url = emu.url
    assert session.get(f"{url}/__api__/server_settings").status_code == 200
    emu.stop()
    try:
        status = session.get(f"{url}/__api__/server_settings", timeout=2).status_code
    except requests.ConnectionError:
        status = None
    assert status is None
