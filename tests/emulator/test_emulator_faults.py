"""Each fault kind, injected in-process and through the data dir's faults.json."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import requests
from emu_bundles import bundle
from test_emulator_rules import Api

from connectfile.emulator import Emulator
from connectfile.emulator.faults import FaultSyntaxError, Rule, parse_compact


def test_fail_n_times(emulator: Emulator) -> None:
    api = Api(emulator, emulator.api_key)
    guid = api.create(name="flaky")["guid"]
    emulator.faults.fail("POST", "/__api__/v1/content/*/bundles", 503, times=2)
    statuses = [api.call("POST", f"/v1/content/{guid}/bundles", data=bundle()).status_code
                for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert [b["id"] for b in api.call("GET", f"/v1/content/{guid}/bundles").json()] == ["1"]


def test_fail_body_is_a_connect_error(emulator: Emulator) -> None:
    emulator.faults.fail("GET", "/__api__/v1/user", 500, code=1, message="boom")
    r = Api(emulator, emulator.api_key).call("GET", "/v1/user")
    assert r.status_code == 500 and r.json() == {"code": 1, "error": "boom", "payload": None}


def test_method_must_match(emulator: Emulator) -> None:
    emulator.faults.fail("POST", "/__api__/v1/user", 500)
    assert Api(emulator, emulator.api_key).call("GET", "/v1/user").status_code == 200


def test_delay(emulator: Emulator) -> None:
    emulator.faults.delay("GET", "/__api__/v1/user", 0.3, times=1)
    api = Api(emulator, emulator.api_key)
    start = time.monotonic()
    assert api.call("GET", "/v1/user").status_code == 200
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    api.call("GET", "/v1/user")
    assert time.monotonic() - start < 0.3
    emulator.faults.delay("GET", "/__api__/v1/user", 2.0)
    with pytest.raises(requests.Timeout):
        api.call("GET", "/v1/user", timeout=0.3)


def test_drop_connection(emulator: Emulator) -> None:
    api = Api(emulator, emulator.api_key)
    emulator.faults.drop("POST", "/__api__/v1/content")
    with pytest.raises(requests.ConnectionError):
        api.call("POST", "/v1/content", json={"name": "dropped"})
    # The request was handled by nobody: nothing was created, and the next call works.
    assert api.call("GET", "/v1/content").json() == []
    assert api.call("POST", "/v1/content", json={"name": "dropped"}).status_code == 200


def test_fail_next_deploy(emulator: Emulator) -> None:
    api = Api(emulator, emulator.api_key)
    guid = api.create(name="doomed-deploy")["guid"]
    good = api.upload(guid)
    assert api.deploy(emulator, guid, good)["code"] == 0
    emulator.faults.fail_next_deploy("Out of disk space (Error code: disk-full)")
    task = api.deploy(emulator, guid, api.upload(guid))
    assert task["code"] == 1 and task["error"] == "Out of disk space (Error code: disk-full)"
    assert api.call("GET", f"/v1/content/{guid}").json()["bundle_id"] == good
    assert api.deploy(emulator, guid, api.upload(guid))["code"] == 0


def test_content_page_can_fail(emulator: Emulator) -> None:
    api = Api(emulator, emulator.api_key)
    guid = api.create(name="page")["guid"]
    draft = api.upload(guid)
    assert api.deploy(emulator, guid, draft, activate=False)["code"] == 0
    emulator.faults.fail("GET", f"/content/{guid}/_bundle*", 502)
    assert requests.get(f"{emulator.url}/content/{guid}/_bundle{draft}/").status_code == 502


def test_faults_file_is_picked_up_while_running(emulator: Emulator) -> None:
    api = Api(emulator, emulator.api_key)
    path = emulator.data_dir / "faults.json"
    path.write_text(json.dumps([
        "GET /__api__/v1/user=418x1",
        {"kind": "fail", "method": "GET", "path": "/__api__/v1/content", "status": 503,
         "times": 1},
        "fail_next_deploy=from the file",
    ]))
    assert api.call("GET", "/v1/user").status_code == 418
    assert api.call("GET", "/v1/user").status_code == 200
    assert api.call("GET", "/v1/content").status_code == 503
    guid = api.create(name="filed")["guid"]
    assert api.deploy(emulator, guid, api.upload(guid))["error"] == "from the file"
    path.write_text(json.dumps(["* /__api__/v1/*=500x*"]))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    assert api.call("GET", "/v1/user").status_code == 500
    assert api.call("GET", "/v1/user").status_code == 500
    path.unlink()
    assert api.call("GET", "/v1/user").status_code == 200


def test_compact_syntax() -> None:
    assert parse_compact("POST /x/*=503x2") == Rule("fail", "POST", "/x/*", status=503, times=2)
    assert parse_compact("GET /x=503") == Rule("fail", "GET", "/x", status=503, times=1)
    assert parse_compact("GET /x=delay:1.5") == Rule("delay", "GET", "/x", seconds=1.5,
                                                     times=None)
    assert parse_compact("* /x=drop") == Rule("drop", "*", "/x", times=1)
    assert parse_compact("fail_next_deploy=nope") == "nope"
    with pytest.raises(FaultSyntaxError):
        parse_compact("POST /x=teapot")


def test_cli_data_dir_faults(tmp_path: Path) -> None:
    (tmp_path / "faults.json").write_text(json.dumps(["GET /__api__/server_settings=503"]))
    with Emulator(tmp_path, task_step_delay=0) as emu:
        assert requests.get(f"{emu.url}/__api__/server_settings").status_code == 503
        assert requests.get(f"{emu.url}/__api__/server_settings").status_code == 200


def test_broken_faults_file(tmp_path: Path) -> None:
    path = tmp_path / "faults.json"
    path.write_text('["GET /x=teapot"]')
    with pytest.raises(FaultSyntaxError, match=r"faults\.json"):
        Emulator(tmp_path)
    path.write_text("[]")
    with Emulator(tmp_path, task_step_delay=0) as emu:
        path.write_text("{oops")
        os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        # A typo while running is logged and ignored, never a failed request.
        assert requests.get(f"{emu.url}/__api__/server_settings").status_code == 200
