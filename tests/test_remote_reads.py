"""Planning skips the env and vanity reads whose answers the diff would ignore."""

from __future__ import annotations

from pathlib import Path

import pytest
from planvalues import prepared

from connectfile.config.model import App
from connectfile.emulator import Emulator
from connectfile.plans.diff import needs_env_names, needs_vanity, plan_app
from connectfile.remote.client import ConnectClient, make_session
from connectfile.remote.state import AppRecord, DeployedApp
from connectfile.remote.target import read_deployed


class CountingClient(ConnectClient):
    def __init__(self, url: str, key: str) -> None:
        super().__init__(url, session=make_session(key))
        self.calls: list[str] = []

    def get_env_names(self, guid: str) -> frozenset[str]:
        self.calls.append("env")
        return super().get_env_names(guid)

    def get_vanity(self, guid: str) -> str | None:
        self.calls.append("vanity")
        return super().get_vanity(guid)


@pytest.mark.parametrize(
    ("app", "record", "expected"),
    [
        (App(key="a", type="api", name="a-app"), None, []),
        (App(key="a", type="api", name="a-app", env={"X": "1"}), None, ["env"]),
        (App(key="a", type="api", name="a-app", secrets=("S",)), None, ["env"]),
        (App(key="a", type="api", name="a-app", vanity_url="/v/"), None, ["vanity"]),
        (App(key="a", type="api", name="a-app"),
         AppRecord(guid="?", env_digests={"OLD": "d"}), ["env"]),
        (App(key="a", type="api", name="a-app"),
         AppRecord(guid="?", secret_names=("OLD",)), ["env"]),
    ],
)
def test_only_the_reads_the_diff_uses(emulator: Emulator, tmp_path: Path, app: App,
                                      record: AppRecord | None, expected: list[str]) -> None:
    client = CountingClient(emulator.url, emulator.api_key)
    owner = str(client.current_user()["guid"])
    guid = str(client.create_content({"name": "a-app"}, owner_guid=owner)["guid"])
    if record is not None:
        record = AppRecord(guid=guid, env_digests=record.env_digests,
                           secret_names=record.secret_names)
    deployed = read_deployed(client, app, record, owner_guid=owner, cache_dir=tmp_path,
                             read_env=needs_env_names(app, record), read_vanity=needs_vanity(app))
    assert deployed is not None and deployed.guid == guid
    assert client.calls == expected
    client.calls.clear()
    read_deployed(client, app, record, owner_guid=owner, cache_dir=tmp_path)
    assert client.calls == ["env", "vanity"]  # by default everything is read


def test_skipped_reads_could_not_change_the_plan() -> None:
    """With nothing to compare, the env names and vanity URL on Connect make no difference."""
    app = App(key="a", type="api", name="a-app")
    assert not needs_env_names(app, None) and not needs_vanity(app)
    local = prepared({"files": {}}, size=0)
    content = {"guid": "g", "name": "a-app", "app_mode": "python-api", "bundle_id": "1"}
    bare = DeployedApp.from_api(content, manifest={"files": {}})
    full = DeployedApp.from_api(content, manifest={"files": {}},
                                env_names=frozenset({"X", "Y"}), vanity_url="/v/")
    assert plan_app(app, local, bare, None) == plan_app(app, local, full, None)
