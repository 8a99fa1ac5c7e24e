"""The apply engine against an in-memory ConnectAPI: ordering, staleness, failures, records."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from connectfile.config.model import App, Project
from connectfile.engine.executor import ApplyContext, ConnectAPI, Event, EventKind, apply_plan
from connectfile.errors import SecretNotSetError, StalePlanError
from connectfile.plans.diff import env_digest, settings_digest
from connectfile.plans.values import Action, AppPlan, EnvChanges, Fingerprint, Plan, SettingChange
from connectfile.remote.state import AppRecord, TargetRecord

SERVER = "https://connect.test"


class FakeConnect:
    """Just enough of Connect for the executor; `calls` lists every call in order."""

    def __init__(self) -> None:
        self.content: dict[str, dict[str, Any]] = {}
        self.env: dict[str, dict[str, str]] = {}
        self.calls: list[tuple[str, ...]] = []
        self.task_fail: set[str] = set()  # bundle ids whose deploy task fails
        self.draft_status = 200
        self.tasks: dict[str, tuple[str, str, bool]] = {}
        self.next_id = 1

    def _id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def get_content(self, guid: str) -> dict[str, Any] | None:
        self.calls.append(("get_content", guid))
        return dict(self.content[guid]) if guid in self.content else None

    def find_content(self, name: str, owner_guid: str) -> dict[str, Any] | None:
        self.calls.append(("find_content", name))
        return next((dict(c) for c in self.content.values() if c["name"] == name), None)

    def create_content(self, fields: Mapping[str, Any], *, owner_guid: str) -> dict[str, Any]:
        self.calls.append(("create_content", fields["name"]))
        guid = f"g-{fields['name']}"
        self.content[guid] = {"guid": guid, "bundle_id": None, "app_mode": "unknown",
                              "content_url": f"{SERVER}/content/{guid}/", **fields}
        return dict(self.content[guid])

    def patch_content(self, guid: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        self.calls.append(("patch_content", guid, *sorted(fields)))
        self.content[guid].update(fields)
        return dict(self.content[guid])

    def patch_env(self, guid: str, values: Mapping[str, str | None]) -> None:
        self.calls.append(("patch_env", guid, *sorted(values)))
        env = self.env.setdefault(guid, {})
        for k, v in values.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v

    def upload_bundle(self, guid: str, path: Path, md5_hex: str, meter: Any = None) -> str:
        assert hashlib.md5(path.read_bytes()).hexdigest() == md5_hex
        self.calls.append(("upload_bundle", guid))
        return self._id()

    def deploy(self, guid: str, bundle_id: str, *, activate: bool = True) -> str:
        self.calls.append(("deploy", guid, bundle_id, str(activate)))
        task = f"T{self._id()}"
        self.tasks[task] = (guid, bundle_id, activate)
        return task

    def get_task(self, task_id: str, *, first: int = 0, wait: int = 0) -> dict[str, Any]:
        guid, bundle_id, activate = self.tasks[task_id]
        lines = [f"line {i}" for i in range(30)]
        if bundle_id in self.task_fail:
            return {"output": lines[first:], "last": 30, "finished": True, "code": 1,
                    "error": "build failed (Error code: python-package-install-failed)"}
        if activate:
            self.content[guid]["bundle_id"] = bundle_id
        return {"output": lines[first:2], "last": 2, "finished": True, "code": 0, "error": ""}

    def set_vanity(self, guid: str, vanity_path: str) -> str:
        self.calls.append(("set_vanity", guid, vanity_path))
        return vanity_path

    def get_url(self, path: str) -> int:
        self.calls.append(("get_url", path))
        return self.draft_status


def _check_protocol(api: FakeConnect) -> ConnectAPI:
    return api  # mypy-level proof that the fake (and so the client) fit the Protocol


def make_ctx(api: FakeConnect, apps: list[App], tmp_path: Path, **kw: Any) -> tuple[
        ApplyContext, list[Event], list[TargetRecord]]:
    events: list[Event] = []
    saved: list[TargetRecord] = []

    def write(key: str, out: Path) -> str:
        out.write_bytes(b"bundle of " + key.encode())
        return hashlib.md5(out.read_bytes()).hexdigest()

    base: dict[str, Any] = dict(
        api=_check_protocol(api), apps={a.key: a for a in apps}, owner_guid="u1",
        project=Project(source="connect.toml", root=tmp_path, version=1, targets=(),
                        apps=tuple(apps)),
        server_url=SERVER, record_server=SERVER, environ={"DB_PASSWORD": "hunter2"},
        local_digests={},
        write_bundle=write, record=None, save_record=saved.append, on_event=events.append,
        task_wait=0,
    )
    base.update(kw)
    return ApplyContext(**base), events, saved


def existing(api: FakeConnect, app: App, bundle: str | None = "5") -> AppPlan:
    guid = f"g-{app.name}"
    api.content[guid] = {"guid": guid, "name": app.name, "bundle_id": bundle,
                         "title": "Old", "content_url": f"{SERVER}/content/{guid}/"}
    return AppPlan(key=app.key, action=Action.NOOP, app_type=app.type, name=app.name, guid=guid,
                   manifest_digest="m1",
                   fingerprint=Fingerprint(guid=guid, bundle_id=bundle,
                                           settings_digest=settings_digest(api.content[guid],
                                                                           app.settings())))


API = App(key="api", type="fastapi", name="api", env={"LOG": "info"}, secrets=("DB_PASSWORD",))
WEB = App(key="web", type="streamlit", name="web", title="New")


def create_plan(app: App) -> AppPlan:
    return AppPlan(
        key=app.key, action=Action.CREATE, app_type=app.type, name=app.name,
        settings=tuple(SettingChange(key=k, before=None, after=v)
                       for k, v in app.settings().items()),
        env=EnvChanges(added=(*app.env, *app.secrets), secrets=app.secrets),
        manifest_digest="m1", fingerprint=Fingerprint(guid=None, bundle_id=None,
                                                      settings_digest=""),
    )


def test_create_runs_in_order_and_writes_the_record(tmp_path: Path) -> None:
    api = FakeConnect()
    ctx, events, saved = make_ctx(api, [API], tmp_path)
    result = apply_plan(Plan(target="t", server=SERVER, apps=(create_plan(API),)), ctx)
    assert result.ok
    assert [c[0] for c in api.calls] == ["find_content", "create_content", "patch_env",
                                         "upload_bundle", "deploy"]
    assert api.env["g-api"] == {"LOG": "info", "DB_PASSWORD": "hunter2"}
    entry = saved[-1].apps["api"]
    assert entry == AppRecord(guid="g-api", bundle_id=api.content["g-api"]["bundle_id"],
                              manifest_digest="m1", env_digests={"LOG": env_digest("info")},
                              secret_names=("DB_PASSWORD",), url=f"{SERVER}/content/g-api/")
    assert [e.message for e in events if e.kind is EventKind.LOG] == ["line 0", "line 1"]
    assert "hunter2" not in repr(events) + repr(saved)


def test_unset_secret_stops_everything_up_front(tmp_path: Path) -> None:
    api = FakeConnect()
    ctx, _, _ = make_ctx(api, [API, WEB], tmp_path, environ={})
    plan = Plan(target="t", server=SERVER, apps=(create_plan(WEB), create_plan(API)))
    with pytest.raises(SecretNotSetError, match=r"apps\.api\.secrets: DB_PASSWORD is not set"):
        apply_plan(plan, ctx)
    assert api.calls == []


def test_stale_plan_changes_nothing(tmp_path: Path) -> None:
    api = FakeConnect()
    web = existing(api, WEB)
    web = AppPlan(**{**{f: getattr(web, f) for f in web.__slots__}, "action": Action.UPDATE,
                     "settings": (SettingChange(key="title", before="Old", after="New"),)})
    api.content[web.guid or ""]["bundle_id"] = "9"  # someone deployed since
    ctx, _, _ = make_ctx(api, [WEB], tmp_path)
    with pytest.raises(StalePlanError, match="active bundle is now 9"):
        apply_plan(Plan(target="t", server=SERVER, apps=(web,)), ctx)
    assert all(c[0] in ("get_content", "find_content") for c in api.calls)

    ctx, _, _ = make_ctx(api, [WEB], tmp_path, local_digests={"web": "other"})
    with pytest.raises(StalePlanError, match="files or manifest changed"):
        apply_plan(Plan(target="t", server=SERVER, apps=(web,)), ctx)


def _redeploy(api: FakeConnect, app: App) -> AppPlan:
    p = existing(api, app)
    return AppPlan(**{**{f: getattr(p, f) for f in p.__slots__}, "action": Action.REDEPLOY})


def test_failed_task_keeps_others_going_and_record_unchanged(tmp_path: Path) -> None:
    api = FakeConnect()
    a, w = _redeploy(api, API), _redeploy(api, WEB)
    api.task_fail.add("2")  # the first bundle uploaded fails
    ctx, _, saved = make_ctx(api, [API, WEB], tmp_path, parallelism=1)
    result = apply_plan(Plan(target="t", server=SERVER, apps=(a, w)), ctx)
    assert not result.ok
    failed, ok = result.outcomes
    assert failed.status == "failed" and "python-package-install-failed" in (failed.error or "")
    assert failed.log_tail == tuple(f"line {i}" for i in range(10, 30))
    assert ok.status == "redeployed"
    assert list(saved[-1].apps) == ["web"]
    assert api.content["g-api"]["bundle_id"] == "5"


def test_draft_answering_5xx_leaves_old_bundle_active(tmp_path: Path) -> None:
    api = FakeConnect()
    api.draft_status = 502
    p = _redeploy(api, WEB)
    ctx, _, saved = make_ctx(api, [WEB], tmp_path, supports_drafts=True)
    result = apply_plan(Plan(target="t", server=SERVER, apps=(p,)), ctx)
    assert not result.ok and "HTTP 502" in (result.outcomes[0].error or "")
    assert api.content["g-web"]["bundle_id"] == "5"
    assert ("deploy", "g-web", "2", "False") in api.calls
    assert ("get_url", "/content/g-web/_bundle2/") in api.calls
    assert saved == []

    api.draft_status = 200
    result = apply_plan(Plan(target="t", server=SERVER, apps=(p,)), ctx)
    new = result.outcomes[0].bundle_id
    assert result.ok and new is not None and api.content["g-web"]["bundle_id"] == new
    assert api.calls[-1] == ("deploy", "g-web", new, "True")


def test_noop_and_refused(tmp_path: Path) -> None:
    api = FakeConnect()
    noop = existing(api, WEB)
    refused = AppPlan(key="api", action=Action.REFUSED, app_type="fastapi", name="api",
                      refusal="Connect cannot change an app's mode")
    ctx, _, saved = make_ctx(api, [API, WEB], tmp_path)
    result = apply_plan(Plan(target="t", server=SERVER, apps=(noop, refused)), ctx)
    assert [o.status for o in result.outcomes] == ["unchanged", "failed"]
    assert api.calls == [] and saved == []


def test_a_task_that_never_finishes_is_reported(tmp_path: Path) -> None:
    api = FakeConnect()
    p = _redeploy(api, WEB)
    api.get_task = lambda task_id, first=0, wait=0: {  # type: ignore[method-assign]
        "output": ["still building"], "last": first + 1, "finished": False}
    ctx, _, _ = make_ctx(api, [WEB], tmp_path, task_timeout=0.0)
    [outcome] = apply_plan(Plan(target="t", server=SERVER, apps=(p,)), ctx).outcomes
    assert "did not finish" in (outcome.error or "") and "bundle 5 stays active" in (
        outcome.error or "")
    assert api.content["g-web"]["bundle_id"] == "5"
