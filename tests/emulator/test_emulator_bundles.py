"""Deploy tasks check bundles like Connect: broken bundles fail, the active bundle stays."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from emu_bundles import FLASK_APP, REQUIREMENTS, app_files, bundle, manifest, tar_gz
from test_emulator_rules import Api, expect

from connectfile.emulator import Emulator


def _wrong_checksum() -> bytes:
    files = app_files()
    meta = manifest(files)
    files["app.py"] = FLASK_APP + b"# edited after the manifest was written\n"
    return tar_gz({**files, "manifest.json": json.dumps(meta).encode()})


def _dotdot_member() -> bytes:
    files = app_files()
    meta = manifest(files)
    return tar_gz({**files, "manifest.json": json.dumps(meta).encode(),
                   "../outside.py": b"print('escaped')\n"})


BROKEN: dict[str, tuple[Callable[[], bytes], str]] = {
    "wrong checksum": (_wrong_checksum, "does not match the checksum in manifest.json"),
    "missing entrypoint": (lambda: bundle(entrypoint="main:app"),
                           "Cannot find the entrypoint 'main:app' in the bundle "
                           "(looked for main.py)"),
    "unknown app mode": (lambda: bundle(appmode="python-fortran"),
                         "Cannot process manifest: Unrecognized app mode"),
    "unavailable python": (lambda: bundle(python="3.7.17"),
                           "Cannot find compatible environment: no compatible Local "
                           "environment with Python version 3.7.17"),
    "missing requirements": (lambda: bundle({"app.py": FLASK_APP}),
                             "the package file requirements.txt is missing from the bundle"),
    "dot-dot member": (_dotdot_member,
                       "Unable to extract the bundle: member '../outside.py' points outside"),
}


@pytest.fixture
def live(emulator: Emulator, publisher_key: str) -> tuple[Api, str, str]:
    """A publisher's content item with a good bundle active."""
    api = Api(emulator, publisher_key)
    guid = api.create(name="live")["guid"]
    good = api.upload(guid)
    task = api.deploy(emulator, guid, good)
    assert task["code"] == 0 and task["error"] == "", task
    return api, guid, good


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_bundle_fails_and_keeps_active(emulator: Emulator, live: tuple[Api, str, str],
                                              case: str) -> None:
    api, guid, good = live
    before = api.call("GET", f"/v1/content/{guid}").json()
    make, message = BROKEN[case]
    task = api.deploy(emulator, guid, api.upload(guid, make()))
    assert task["finished"] and task["code"] == 1
    assert message in task["error"]
    assert task["result"] == {"type": "build-failed-error",
                              "data": "An error occurred while building the content"}
    assert task["error"] in task["all_output"]
    after = api.call("GET", f"/v1/content/{guid}").json()
    assert after == before and after["bundle_id"] == good


def test_each_failure_has_its_own_message(emulator: Emulator,
                                          live: tuple[Api, str, str]) -> None:
    api, guid, _ = live
    errors = {api.deploy(emulator, guid, api.upload(guid, make()))["error"]
              for make, _ in BROKEN.values()}
    assert len(errors) == len(BROKEN)


@pytest.mark.parametrize(("files", "links", "message"), [
    ({"app.py": FLASK_APP}, None, "manifest.json is missing from the root"),
    ({"manifest.json": b"{not json"}, None, "manifest.json is not valid JSON"),
    ({"/etc/evil": b"x"}, None, "points outside the bundle"),
    ({}, {"escape": "../../etc/passwd"}, "escapes the bundle"),
    ({}, {"abs": "/etc/passwd"}, "escapes the bundle"),
])
def test_more_broken_archives(emulator: Emulator, live: tuple[Api, str, str],
                              files: dict[str, bytes], links: dict[str, str] | None,
                              message: str) -> None:
    api, guid, _ = live
    if "manifest.json" not in files and "app.py" not in files:
        base = app_files()
        files = {**files, **base, "manifest.json": json.dumps(manifest(base)).encode()}
    task = api.deploy(emulator, guid, api.upload(guid, tar_gz(files, links=links)))
    assert task["code"] == 1 and message in task["error"], task["error"]


def test_file_listed_but_missing(emulator: Emulator, live: tuple[Api, str, str]) -> None:
    api, guid, _ = live
    files = app_files()
    meta = manifest({**files, "data.csv": b"a,b\n"})
    task = api.deploy(emulator, guid, api.upload(
        guid, tar_gz({**files, "manifest.json": json.dumps(meta).encode()})))
    assert task["error"] == "Bundle does not contain manifest file: data.csv"
    assert "Bundle requested Python version 3.11.4" in task["all_output"]


def test_upload_refuses_what_is_not_a_gzip_tar(emulator: Emulator, publisher_key: str) -> None:
    api = Api(emulator, publisher_key)
    guid = api.create(name="junk")["guid"]
    expect(api.call("POST", f"/v1/content/{guid}/bundles", data=b"plain text"), 400, 135)
    expect(api.call("POST", f"/v1/content/{guid}/bundles", data=b""), 400, 125)
    r = api.call("POST", f"/v1/content/{guid}/bundles", data=bundle(),
                 headers={**api.headers, "X-Content-Checksum": "AAAA"})
    expect(r, 400, 104)


def test_manifest_errors_at_upload_switch(tmp_path: Path) -> None:
    with Emulator(tmp_path, manifest_errors_at_upload=True, task_step_delay=0) as emu:
        api = Api(emu, emu.api_key)
        guid = api.create(name="strict")["guid"]
        expect(api.call("POST", f"/v1/content/{guid}/bundles",
                        data=tar_gz({"app.py": FLASK_APP})), 400, 38)


@pytest.mark.parametrize(("files", "args"), [
    ({"pkg/__init__.py": b"", "pkg/web.py": FLASK_APP, "requirements.txt": REQUIREMENTS},
     {"entrypoint": "pkg.web:app"}),
    ({"pkg/__init__.py": FLASK_APP, "requirements.txt": REQUIREMENTS},
     {"entrypoint": "pkg"}),
    ({"dash_app.py": FLASK_APP, "requirements.txt": REQUIREMENTS},
     {"appmode": "python-streamlit", "entrypoint": "dash_app.py"}),
    ({"app.py": FLASK_APP, "requirements.txt": REQUIREMENTS}, {"appmode": "python-fastapi",
                                                               "entrypoint": "app"}),
    ({"app.py": FLASK_APP, "reqs/prod.txt": REQUIREMENTS}, {"package_file": "reqs/prod.txt"}),
    ({"my-app.py": FLASK_APP, "requirements.txt": REQUIREMENTS},
     {"appmode": "python-shiny", "entrypoint": "shiny.express.app:my_2d_app_2e_py"}),
])
def test_valid_layouts(emulator: Emulator, files: dict[str, bytes], args: dict[str, Any]) -> None:
    api = Api(emulator, emulator.api_key)
    guid = api.create()["guid"]
    task = api.deploy(emulator, guid, api.upload(guid, bundle(files, **args)))
    assert task["code"] == 0, task["error"]
    assert api.call("GET", f"/v1/content/{guid}").json()["app_mode"] \
        == args.get("appmode", "python-api")


def test_missing_express_file(emulator: Emulator) -> None:
    api = Api(emulator, emulator.api_key)
    guid = api.create()["guid"]
    broken = bundle(appmode="python-shiny", entrypoint="shiny.express.app:ui_2e_py")
    task = api.deploy(emulator, guid, api.upload(guid, broken))
    assert "Cannot find the entrypoint 'shiny.express.app:ui_2e_py' in the bundle " \
        "(looked for ui.py)" in task["error"]


def test_python_matching(tmp_path: Path) -> None:
    with Emulator(tmp_path / "minor", python_versions=["3.11.9", "3.12.4"],
                  task_step_delay=0) as emu:
        api = Api(emu, emu.api_key)
        guid = api.create(name="minor")["guid"]
        assert api.deploy(emu, guid, api.upload(guid, bundle(python="3.11.2")))["code"] == 0
        assert api.call("GET", f"/v1/content/{guid}").json()["py_version"] == "3.11.9"
        requires = {"environment": {"python": {"requires": ">=3.12"}}}
        assert api.deploy(emu, guid, api.upload(guid, bundle(python="3.10.1", **requires))
                          )["code"] == 0
        assert api.call("GET", f"/v1/content/{guid}").json()["py_version"] == "3.12.4"
        task = api.deploy(emu, guid, api.upload(guid, bundle(python="3.10.1")))
        assert task["error"].startswith("Cannot find compatible environment")
    with Emulator(tmp_path / "exact", python_versions=["3.11.9"], python_matching="exact",
                  task_step_delay=0) as emu:
        api = Api(emu, emu.api_key)
        guid = api.create(name="exact")["guid"]
        assert api.deploy(emu, guid, api.upload(guid, bundle(python="3.11.2")))["code"] == 1
        assert api.deploy(emu, guid, api.upload(guid, bundle(python="3.11.9")))["code"] == 0


def test_failed_draft_answers_404_on_draft_url(emulator: Emulator,
                                               live: tuple[Api, str, str]) -> None:
    import requests

    api, guid, _ = live
    bad = api.upload(guid, bundle(python="2.7.18"))
    assert api.deploy(emulator, guid, bad, activate=False)["code"] == 1
    assert requests.get(f"{emulator.url}/content/{guid}/_bundle{bad}/").status_code == 404


@pytest.mark.parametrize("case", ["wrong checksum", "missing listed file"])
def test_lenient_bundles_warn_like_connect(tmp_path: Path, case: str) -> None:
    files = app_files()
    meta = manifest(files)
    if case == "wrong checksum":
        meta["files"]["app.py"]["checksum"] = "0" * 32
    else:
        meta["files"]["gone.py"] = {"checksum": "0" * 32}
    data = tar_gz({**files, "manifest.json": json.dumps(meta).encode()})
    with Emulator(tmp_path, task_step_delay=0, strict_bundles=False) as emu:
        api = Api(emu, emu.api_key)
        guid = api.create(name="lenient")["guid"]
        task = api.deploy(emu, guid, api.upload(guid, data))
    assert task["code"] == 0, task
    (warning,) = [line for line in task["all_output"] if line.startswith("Warning: ")]
    assert ("app.py" if case == "wrong checksum" else "gone.py") in warning


def test_bundle_retention_keeps_the_newest_and_the_active(tmp_path: Path) -> None:
    with Emulator(tmp_path, task_step_delay=0, bundle_retention_limit=2) as emu:
        api = Api(emu, emu.api_key)
        guid = api.create(name="kept")["guid"]
        active = api.upload(guid)
        assert api.deploy(emu, guid, active)["code"] == 0
        newer = [api.upload(guid) for _ in range(4)]
        ids = [b["id"] for b in api.call("GET", f"/v1/content/{guid}/bundles").json()]
        assert ids == [active, *newer[-2:]]
        files = sorted(p.name for p in (tmp_path / "bundles").iterdir())
        assert files == sorted(f"{i}.tar.gz" for i in ids)
