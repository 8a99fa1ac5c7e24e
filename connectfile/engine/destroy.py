"""Which content `destroy` and `prune = true` delete (only what connectfile deployed), and how."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from connectfile.config.model import App, Project
from connectfile.errors import UsageError
from connectfile.plans.destroy import destroy_app, destroy_moved, with_destroys
from connectfile.plans.diff import config_digest
from connectfile.plans.marker import is_marker
from connectfile.plans.values import AppPlan, Plan
from connectfile.remote.lookup import find_existing
from connectfile.remote.state import AppRecord, DeployedApp, TargetRecord

log = logging.getLogger("connectfile")


class DestroyAPI(Protocol):
    """The calls this module makes; client.ConnectClient satisfies it."""

    def get_content(self, guid: str) -> dict[str, Any] | None: ...
    def find_content(self, name: str, owner_guid: str) -> dict[str, Any] | None: ...
    def get_env_names(self, guid: str) -> frozenset[str]: ...
    def delete_content(self, guid: str) -> bool: ...


def plan_destroy(
    api: DestroyAPI, project: Project, *, target: str, server: str, keys: Sequence[str],
    record: TargetRecord | None, owner_guid: str,
) -> Plan:
    """The plan that deletes the content of the apps `keys` (in connect.toml or the record)."""
    apps = {a.key: a for a in project.apps_for(target)}
    entries: list[AppPlan] = []
    for key in dict.fromkeys(keys):
        entry = record.apps.get(key) if record else None
        app = apps.get(key)
        if app is None and entry is None:
            known = ", ".join(sorted({*apps, *(record.apps if record else ())})) or "none"
            raise UsageError(f"destroy {key}: no app {key!r} in {project.source} or in the "
                             f"deployment record of target {target!r} (apps: {known})")
        content = _ours(api, key, app, entry, owner_guid=owner_guid, target=target)
        if content is None:
            log.info("%s: no content on target %r, nothing to destroy", key, target)
            continue
        entries.append(destroy_app(key, DeployedApp.from_api(content)))
    base = Plan(target=target, server=server, apps=(), config_digest=config_digest(project))
    return with_destroys(base, entries)


def _ours(
    api: DestroyAPI, key: str, app: App | None, entry: AppRecord | None, *, owner_guid: str,
    target: str,
) -> dict[str, Any] | None:
    """The app's content, when connectfile deployed it (record or env marker) or it is pinned.

    Content found by name alone may be someone's hand-made item: it is never destroyed.
    """
    if app is not None and app.guid is not None:
        return find_existing(api, app, entry, owner_guid=owner_guid)
    if entry is not None:
        content = api.get_content(entry.guid)
        if content is not None:
            return content
    if app is None:
        return None
    content = api.find_content(app.name, owner_guid)
    if content is None:
        return None
    guid = str(content["guid"])
    if any(is_marker(n) for n in api.get_env_names(guid)):
        return content
    raise UsageError(
        f"destroy {key}: content {app.name!r} ({guid}) on target {target!r} was not deployed "
        "by connectfile (no deployment record, no env marker), so it is left alone; delete it "
        f'on Connect, or pin it with guid = "{guid}" to destroy it with connectfile'
    )


def prune(api: DestroyAPI, plan: Plan, record: TargetRecord | None) -> Plan:
    """`plan` plus the destroy of each orphan (in the record, gone from connect.toml) whose
    recorded content still exists; content merely sharing a name is never touched."""
    entries = []
    for key in plan.orphans:
        entry = record.apps.get(key) if record else None
        content = api.get_content(entry.guid) if entry is not None else None
        if content is not None:
            entries.append(destroy_app(key, DeployedApp.from_api(content)))
    return with_destroys(plan, entries)


def stale_destroy(api: DestroyAPI, planned: AppPlan) -> str | None:
    """Why a planned destroy must not run now (apply's freshness check), or None."""
    guid = planned.fingerprint.guid if planned.fingerprint else planned.guid
    now = api.get_content(guid) if guid else None
    return destroy_moved(planned, None if now is None else DeployedApp.from_api(now))


def run_destroy(api: DestroyAPI, planned: AppPlan, step: Callable[[str], None]) -> None:
    assert planned.guid is not None  # a destroy entry always names its content
    step(f"deleting content {planned.guid}")
    api.delete_content(planned.guid)
    step(f"destroyed: content {planned.guid}")
