"""The one JSON encoding of a Plan: `plan --json` prints it, a saved plan is it plus extras (pure).

Field names and meanings are those of schema/plan.schema.json. A saved plan (`saved=True`)
adds what apply re-checks and what the human render needs back (config digest, manifest
digest, fingerprint, env marker, local bundle totals); the schema lets documents carry extra fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectfile.plans.marker import MarkerChange
from connectfile.plans.values import (
    FORMAT_VERSION,
    AccessChanges,
    Action,
    AppPlan,
    Commit,
    EnvChanges,
    FileChanges,
    Fingerprint,
    Grant,
    Plan,
    Provenance,
    SettingChange,
    TagChange,
)

ORPHAN_NOTE = "no longer in connect.toml (left on the server)"


def plan_to_json(plan: Plan, *, saved: bool = False) -> dict[str, Any]:
    """The `--json` document; field names are stable, new ones are only ever added."""
    doc: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "target": plan.target,
        "server": plan.server,
        "apps": [_app_json(a, saved=saved) for a in plan.apps],
        "orphans": [{"key": k, "note": ORPHAN_NOTE} for k in plan.orphans],
        "summary": {
            "create": plan.count(Action.CREATE),
            "update": plan.count(Action.UPDATE),
            "redeploy": plan.count(Action.REDEPLOY),
            "unchanged": plan.count(Action.NOOP),
            "refused": plan.count(Action.REFUSED),
            "destroy": plan.count(Action.DESTROY),
        },
        "has_changes": plan.has_changes,
    }
    if saved:
        doc["config_digest"] = plan.config_digest
    return doc


def plan_from_json(doc: Mapping[str, Any]) -> Plan:
    """The Plan a saved document describes; KeyError/TypeError/ValueError when it is damaged."""
    if doc.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"format_version {doc.get('format_version')!r} is not {FORMAT_VERSION}")
    return Plan(
        target=str(doc["target"]),
        server=str(doc["server"]),
        config_digest=str(doc["config_digest"]),
        orphans=_strs([o["key"] for o in doc["orphans"]]),
        apps=tuple(_app_from_json(a) for a in doc["apps"]),
    )


def _app_json(app: AppPlan, *, saved: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "key": app.key,
        "action": app.action.value,
        "type": app.app_type,
        "content": {
            "guid": app.guid,
            "name": app.name,
            "url": app.content_url,
            "dashboard_url": app.dashboard_url,
        },
        "changes": {
            "settings": _changes_json(app.settings),
            "env": {
                "added": list(app.env.added),
                "removed": list(app.env.removed),
                "changed": list(app.env.changed),
                "secrets": list(app.env.secrets),  # names only, never a value
                "unsure": app.env.unsure,
            },
            "files": {
                "added": list(app.files.added),
                "removed": list(app.files.removed),
                "modified": list(app.files.modified),
            },
            "manifest": _changes_json(app.bundle_changes),
            "vanity_url": app.vanity_url,
            "permissions": {
                "added": [_grant_json(g) for g in app.access.added],
                "removed": [_grant_json(g) for g in app.access.removed],
            },
            "tags": {
                "added": [{"path": t.path, "id": t.id} for t in app.access.tags_added],
                "removed": [{"path": t.path, "id": t.id} for t in app.access.tags_removed],
            },
        },
        "redeploy_reasons": list(app.redeploy_reasons),
        "bundle": (
            {"files": app.file_count, "size": app.bundle_size} if app.needs_bundle else None
        ),
        "refusal": app.refusal,
        "provenance": _provenance_json(app.provenance),
    }
    if saved:
        fp = app.fingerprint
        doc |= {
            # `bundle` is null when no bundle is sent; the totals are kept for the render.
            "file_count": app.file_count,
            "bundle_size": app.bundle_size,
            "manifest_digest": app.manifest_digest,
            "fingerprint": None if fp is None else {
                "guid": fp.guid,
                "bundle_id": fp.bundle_id,
                "settings_digest": fp.settings_digest,
            },
            "marker": None if app.marker is None else {
                "set": app.marker.set,
                "remove": list(app.marker.remove),
            },
        }
    return doc


def _app_from_json(d: Mapping[str, Any]) -> AppPlan:
    content, changes, fp = d["content"], d["changes"], d["fingerprint"]
    env, files = changes["env"], changes["files"]
    return AppPlan(
        key=str(d["key"]),
        action=Action(d["action"]),
        app_type=str(d["type"]),
        name=str(content["name"]),
        guid=_opt(content["guid"]),
        content_url=_opt(content["url"]),
        dashboard_url=_opt(content["dashboard_url"]),
        settings=_changes_from_json(changes["settings"]),
        env=EnvChanges(
            added=_strs(env["added"]),
            removed=_strs(env["removed"]),
            changed=_strs(env["changed"]),
            secrets=_strs(env["secrets"]),
            unsure=bool(env.get("unsure", False)),
        ),
        files=FileChanges(
            added=_strs(files["added"]),
            removed=_strs(files["removed"]),
            modified=_strs(files["modified"]),
        ),
        redeploy_reasons=_strs(d["redeploy_reasons"]),
        bundle_changes=_changes_from_json(changes["manifest"]),
        file_count=int(d["file_count"]),
        bundle_size=int(d["bundle_size"]),
        vanity_url=_opt(changes["vanity_url"]),
        refusal=_opt(d["refusal"]),
        manifest_digest=str(d["manifest_digest"]),
        fingerprint=None if fp is None else Fingerprint(
            guid=_opt(fp["guid"]),
            bundle_id=_opt(fp["bundle_id"]),
            settings_digest=str(fp["settings_digest"]),
        ),
        marker=None if not d.get("marker") else MarkerChange(
            set=_opt(d["marker"]["set"]),
            remove=_strs(d["marker"]["remove"]),
        ),
        access=_access_from_json(changes),
        provenance=_provenance_from_json(d.get("provenance")),
    )


def _grant_json(grant: Grant) -> dict[str, Any]:
    return {"role": grant.role, "principal": grant.principal, "guid": grant.guid,
            "kind": grant.kind, "permission_id": grant.permission_id}


def _access_from_json(changes: Mapping[str, Any]) -> AccessChanges:
    permissions = changes.get("permissions") or {"added": [], "removed": []}
    tags = changes.get("tags") or {"added": [], "removed": []}

    def grants(items: Sequence[Mapping[str, Any]]) -> tuple[Grant, ...]:
        return tuple(Grant(role=str(g["role"]), principal=str(g["principal"]),
                           guid=str(g["guid"]), kind=str(g["kind"]),
                           permission_id=_opt(g["permission_id"])) for g in items)

    def tag_list(items: Sequence[Mapping[str, Any]]) -> tuple[TagChange, ...]:
        return tuple(TagChange(path=str(t["path"]), id=str(t["id"])) for t in items)

    return AccessChanges(added=grants(permissions["added"]), removed=grants(permissions["removed"]),
                         tags_added=tag_list(tags["added"]), tags_removed=tag_list(tags["removed"]))


def _provenance_json(p: Provenance | None) -> dict[str, Any] | None:
    def commit(c: Commit | None) -> dict[str, Any] | None:
        return None if c is None else {"commit": c.commit, "branch": c.branch}

    return None if p is None else {"deployed": commit(p.deployed),
                                   "working_tree": commit(p.working_tree)}


def _provenance_from_json(d: Any) -> Provenance | None:
    def commit(c: Any) -> Commit | None:
        return None if not c else Commit(commit=str(c["commit"]), branch=_opt(c.get("branch")))

    return None if not d else Provenance(deployed=commit(d.get("deployed")),
                                         working_tree=commit(d.get("working_tree")))


def _changes_json(changes: Sequence[SettingChange]) -> dict[str, Any]:
    # JSON objects keep their order both ways, so the order the diff chose survives.
    return {c.key: {"before": c.before, "after": c.after} for c in changes}


def _changes_from_json(items: Mapping[str, Any]) -> tuple[SettingChange, ...]:
    if not isinstance(items, Mapping):
        raise TypeError("expected an object of before/after changes")
    return tuple(
        SettingChange(key=str(k), before=c["before"], after=c["after"]) for k, c in items.items()
    )


def _strs(items: Sequence[Any]) -> tuple[str, ...]:
    if isinstance(items, str):
        raise TypeError("expected a list of strings")
    return tuple(str(x) for x in items)


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)
