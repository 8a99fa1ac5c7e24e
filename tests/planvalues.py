"""Hand-built apps, local facts and deployed states for the diff, render and planfile tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectfile.bundle.prepared import BundleFile, LocalApp
from connectfile.config.model import App, Runtime
from connectfile.plans.diff import env_digest, plan_app
from connectfile.plans.values import AppPlan, Plan
from connectfile.remote.state import AppRecord, DeployedApp

SERVER = "https://connect-staging.example.com"
GUID = "5c1e0d2a-9b7f-4c1e-8a33-2f0b6c1d9e01"


def manifest(
    files: dict[str, str] | None = None,
    *,
    appmode: str = "python-fastapi",
    entrypoint: str = "main:app",
    python: str = "3.11.6",
) -> dict[str, Any]:
    files = {"main.py": "aaa", "requirements.txt": "rrr"} if files is None else files
    return {
        "version": 1,
        "locale": "en_US.UTF-8",
        "metadata": {"appmode": appmode, "entrypoint": entrypoint},
        "python": {
            "version": python,
            "package_manager": {"name": "pip", "package_file": "requirements.txt"},
        },
        "files": {p: {"checksum": c} for p, c in files.items()},
    }


def local(files: dict[str, str] | None = None, **kw: Any) -> LocalApp:
    m = manifest(files, **kw)
    return prepared(m, size=39117)


def prepared(m: dict[str, Any], *, size: int) -> LocalApp:
    """A prepared app whose bundle holds the manifest's files, `size` bytes in all."""
    paths = sorted(m["files"])
    members = tuple(
        BundleFile(dest=p, source=None, data=b"", size=size if i == 0 else 0,
                   md5=m["files"][p]["checksum"])
        for i, p in enumerate(paths)
    )
    return LocalApp(app=app(), directory=Path("."), files=members, manifest=m,
                    manifest_bytes=b"{}", digest="d" * 64, python_version="3.11.6",
                    requirements_generated=False)


def app(**kw: Any) -> App:
    base: dict[str, Any] = {"key": "sales-api", "type": "fastapi", "name": "sales-api"}
    base.update(kw)
    return App(**base)


def deployed(**kw: Any) -> DeployedApp:
    content: dict[str, Any] = {
        "guid": GUID,
        "name": "sales-api",
        "title": None,
        "description": "",
        "access_type": "acl",
        "app_mode": "python-fastapi",
        "bundle_id": "17",
        "content_url": f"{SERVER}/content/{GUID}/",
        "dashboard_url": f"{SERVER}/connect/#/apps/{GUID}",
        "max_processes": None,
        "load_factor": None,
    }
    extra = {k: kw.pop(k) for k in list(kw) if k not in ("env_names", "manifest", "vanity_url")}
    content.update(extra)
    kw.setdefault("manifest", manifest())
    return DeployedApp.from_api(content, **kw)


def record(env: dict[str, str] | None = None, secrets: tuple[str, ...] = ()) -> AppRecord:
    return AppRecord(
        guid=GUID,
        bundle_id="17",
        env_digests={k: env_digest(v) for k, v in (env or {}).items()},
        secret_names=secrets,
    )


def sample_plans() -> dict[str, Plan]:
    """One plan per golden render: create, update, redeploy, no-op, refused."""
    create = plan_app(
        app(title="Sales API", env={"LOG_LEVEL": "info"}, secrets=("DB_PASSWORD",),
            vanity_url="sales", runtime=Runtime(max_processes=4)),
        local({f"f{i}.py": "x" for i in range(14)}),
        None,
        None,
    )
    update = plan_app(
        app(title="New", env={"LOG_LEVEL": "debug", "NEW_FLAG": "1"}, secrets=("DB_PASSWORD",),
            runtime=Runtime(max_processes=4, load_factor=0.5)),
        local(),
        deployed(title="Old", max_processes=2, env_names=frozenset(
            {"LOG_LEVEL", "OLD_VAR", "DB_PASSWORD", "UNMANAGED"})),
        record(env={"LOG_LEVEL": "info", "OLD_VAR": "x"}),
    )
    redeploy = plan_app(
        app(key="dashboard", name="dashboard", type="fastapi", title="New"),
        local({"app.py": "a2", "assets/logo.png": "l1", "requirements.txt": "rrr"},
              entrypoint="app:app", python="3.12.1"),
        deployed(name="dashboard", title="Old", manifest=manifest(
            {"app.py": "a1", "old.csv": "o1", "requirements.txt": "rrr"}, entrypoint="app:app")),
        None,
    )
    noop = plan_app(app(), local(), deployed(), record())
    refused = plan_app(
        app(key="legacy", name="legacy", type="streamlit", entrypoint="app.py"),
        local(appmode="python-streamlit", entrypoint="app.py"),
        deployed(name="legacy", app_mode="python-dash",
                 manifest=manifest(appmode="python-dash", entrypoint="app:app")),
        None,
    )

    def plan(*apps: AppPlan, orphans: tuple[str, ...] = ()) -> Plan:
        return Plan(target="staging", server=SERVER, apps=apps, config_digest="c" * 64,
                    orphans=orphans)

    return {
        "create": plan(create),
        "update": plan(update),
        "redeploy": plan(redeploy, noop, orphans=("old-app",)),
        "noop": plan(noop),
        "refused": plan(refused, noop),
    }
