"""Target resolution, URL normalisation, identity and deployed-state reads."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from connectfile.cli import format_error
from connectfile.config.model import App, Project, Target
from connectfile.emulator import Emulator
from connectfile.errors import (
    ConnectfileError,
    CredentialsError,
    ServerUnreachableError,
    UsageError,
)
from connectfile.remote.client import ConnectClient, make_session
from connectfile.remote.state import AppRecord
from connectfile.remote.target import (
    normalize_server_url,
    open_target,
    read_deployed,
    resolve_target,
    version_tuple,
)


def project(*targets: Target) -> Project:
    return Project(source="connect.toml", root=Path("."), version=1, targets=targets, apps=())


STAGING = Target(name="staging", server="https://s.example.com", default=True)
PROD = Target(name="prod", server="https://p.example.com", api_key_env="PROD_KEY")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Connect.Example.com/", "https://connect.example.com"),
        ("http://localhost:3939/__api__/", "http://localhost:3939"),
        ("https://x.example.com/rsc//", "https://x.example.com/rsc"),
    ],
)
def test_normalize_server_url(url: str, expected: str) -> None:
    assert normalize_server_url(url) == expected


def test_normalize_rejects_non_urls() -> None:
    with pytest.raises(UsageError, match="not an http"):
        normalize_server_url("connect.example.com")


def test_version_tuple() -> None:
    assert version_tuple("2025.06.0") >= (2025, 6)
    assert version_tuple("2023.11.0-dev+103-g11242ee129") == (2023, 11, 0)
    assert version_tuple("") == ()


def test_resolve_target() -> None:
    assert resolve_target(project(STAGING, PROD), None) is STAGING
    assert resolve_target(project(STAGING, PROD), "prod") is PROD
    assert resolve_target(project(PROD), None) is PROD
    implicit = resolve_target(project(), None)
    assert (implicit.name, implicit.server) == ("default", None)
    with pytest.raises(UsageError, match=r"no target named 'qa' \(targets: staging, prod\)"):
        resolve_target(project(STAGING, PROD), "qa")
    undefaulted = Target(name="a", server="https://a.example.com")
    with pytest.raises(UsageError, match="pass -t TARGET"):
        resolve_target(project(undefaulted, PROD), None)


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(UsageError, match="set the environment variable PROD_KEY"), \
            open_target(project(STAGING, PROD), "prod", environ={}):
        pass


def test_implicit_target_needs_connect_server() -> None:
    with pytest.raises(UsageError, match="set CONNECT_SERVER"), \
            open_target(project(), None, environ={"CONNECT_API_KEY": "k"}):
        pass


def test_read_deployed_identity_and_manifest_cache(emulator: Emulator, tmp_path: Path) -> None:
    client = ConnectClient(emulator.url, session=make_session(emulator.api_key))
    owner = client.current_user()["guid"]
    app = App(key="sales-api", type="fastapi", name="sales-api")
    assert read_deployed(client, app, None, owner_guid=owner, cache_dir=tmp_path) is None

    guid = client.create_content({"name": "sales-api"}, owner_guid=owner)["guid"]
    manifest = {"version": 1, "metadata": {"appmode": "python-fastapi", "entrypoint": "main:app"},
                "python": {"version": "3.11.9",
                           "package_manager": {"name": "pip", "package_file": "requirements.txt"}},
                "files": {"main.py": {"checksum": hashlib.md5(b"app = 1\n").hexdigest()},
                          "requirements.txt": {"checksum": hashlib.md5(b"").hexdigest()}}}
    blob = tmp_path / "b.tar.gz"
    with tarfile.open(blob, "w:gz") as tar:
        for name, data in (("manifest.json", json.dumps(manifest).encode()),
                           ("main.py", b"app = 1\n"), ("requirements.txt", b"")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    bundle = client.upload_bundle(guid, blob, hashlib.md5(blob.read_bytes()).hexdigest())
    task = client.deploy(guid, bundle)
    while not client.get_task(task, wait=1)["finished"]:
        pass
    client.patch_env(guid, {"LOG_LEVEL": "info"})

    stale = AppRecord(guid="00000000-0000-0000-0000-000000000000")  # deleted since: by name
    cache = tmp_path / "cache"
    deployed = read_deployed(client, app, stale, owner_guid=owner, cache_dir=cache)
    assert deployed is not None
    assert (deployed.guid, deployed.bundle_id, deployed.env_names) == (
        guid, bundle, frozenset({"LOG_LEVEL"}))
    assert deployed.manifest == manifest
    assert [p.name for p in cache.iterdir()] == [f"{guid}-{bundle}.json"]

    emulator.store.delete_bundle_file(bundle)  # a second read must come from the cache
    again = read_deployed(client, app, AppRecord(guid=guid), owner_guid=owner, cache_dir=cache)
    assert again is not None and again.manifest == manifest

    pinned = App(key="sales-api", type="fastapi", name="sales-api", guid=stale.guid)
    with pytest.raises(ConnectfileError, match=r"apps\.sales-api\.guid: no content"):
        read_deployed(client, pinned, None, owner_guid=owner, cache_dir=cache)


def test_wrong_key_is_one_line_naming_the_variable(emulator: Emulator) -> None:
    target = Target(name="emu", server=emulator.url, api_key_env="EMU_KEY")
    with pytest.raises(CredentialsError) as exc, \
            open_target(project(target), "emu", environ={"EMU_KEY": "not-a-key"}):
        pass
    assert format_error(exc.value) == (
        "error: target 'emu': Connect refused the API key in EMU_KEY (We couldn't log you in "
        "with the provided credentials. Please ask your administrator for assistance): set it "
        "to a valid key for this server"
    )
    assert "not-a-key" not in str(exc.value)


def test_unreachable_server_is_one_line_with_the_fix() -> None:
    import socket

    with socket.socket() as s:  # a loopback port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = Target(name="emu", server=f"http://127.0.0.1:{port}")
    with pytest.raises(ServerUnreachableError) as exc, \
            open_target(project(target), "emu", environ={"CONNECT_API_KEY": "k"}):
        pass
    assert format_error(exc.value) == (
        f"error: target 'emu': GET http://127.0.0.1:{port}/__api__/v1/user: could not connect "
        "to the server (check its server URL and that Connect is reachable from here)"
    )


def test_a_key_that_cannot_publish_is_a_credentials_error(emulator: Emulator,
                                                         viewer_key: str) -> None:
    target = Target(name="emu", server=emulator.url, api_key_env="EMU_KEY")
    with pytest.raises(CredentialsError) as exc, \
            open_target(project(target), "emu", environ={"EMU_KEY": viewer_key}):
        pass
    assert not isinstance(exc.value, UsageError)
    assert format_error(exc.value) == (
        "error: the API key of target 'emu' (user 'viewer1') has role 'viewer', which cannot "
        "publish content")
