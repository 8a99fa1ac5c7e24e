"""Save a Plan for `apply FILE` (plan -o) and load it back unchanged; never a key or a secret."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from connectfile import __version__
from connectfile.errors import UsageError
from connectfile.files.atomic import write_atomic
from connectfile.plans.marker import MarkerChange
from connectfile.plans.values import (
    Action,
    AppPlan,
    EnvChanges,
    FileChanges,
    Fingerprint,
    Plan,
    SettingChange,
)

KIND: Final = "connectfile-plan"
FILE_VERSION: Final = 1


def save_plan(path: Path, plan: Plan) -> None:
    """Write the plan as JSON, atomically (temp file in the same directory + os.replace)."""
    text = json.dumps(plan_to_data(plan), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write the plan to {path}: {exc.strerror}") from None


def load_plan(path: Path) -> Plan:
    """Read a saved plan; a file that is not one says so in one line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such plan file (make one with `plan -o`)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path}: not a saved connectfile plan ({exc})") from None
    try:
        return plan_from_data(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(
            f"{path}: not a saved connectfile plan, or a damaged one ({exc!r}); "
            "run `connectfile plan -o FILE` again"
        ) from None


def plan_to_data(plan: Plan) -> dict[str, Any]:
    """Every field of the plan as JSON-ready data."""
    return {
        "kind": KIND,
        "file_version": FILE_VERSION,
        "connectfile_version": __version__,
        "target": plan.target,
        "server": plan.server,
        "config_digest": plan.config_digest,
        "orphans": list(plan.orphans),
        "apps": [_app_to_data(a) for a in plan.apps],
    }


def plan_from_data(data: Mapping[str, Any]) -> Plan:
    if data.get("kind") != KIND:
        raise ValueError(f"kind is {data.get('kind')!r}, not {KIND!r}")
    if data.get("file_version") != FILE_VERSION:
        raise ValueError(
            f"file_version {data.get('file_version')!r} is not {FILE_VERSION} "
            f"(written by connectfile {data.get('connectfile_version')})"
        )
    return Plan(
        target=str(data["target"]),
        server=str(data["server"]),
        config_digest=str(data["config_digest"]),
        orphans=_strs(data["orphans"]),
        apps=tuple(_app_from_data(a) for a in data["apps"]),
    )


def _app_to_data(a: AppPlan) -> dict[str, Any]:
    fp = a.fingerprint
    return {
        "key": a.key,
        "action": a.action.value,
        "app_type": a.app_type,
        "name": a.name,
        "guid": a.guid,
        "content_url": a.content_url,
        "dashboard_url": a.dashboard_url,
        "settings": _changes_to_data(a.settings),
        "env": {
            "added": list(a.env.added),
            "removed": list(a.env.removed),
            "changed": list(a.env.changed),
            "secrets": list(a.env.secrets),  # names only
            "unsure": a.env.unsure,
        },
        "files": {
            "added": list(a.files.added),
            "removed": list(a.files.removed),
            "modified": list(a.files.modified),
        },
        "redeploy_reasons": list(a.redeploy_reasons),
        "bundle_changes": _changes_to_data(a.bundle_changes),
        "file_count": a.file_count,
        "bundle_size": a.bundle_size,
        "vanity_url": a.vanity_url,
        "refusal": a.refusal,
        "manifest_digest": a.manifest_digest,
        "fingerprint": None if fp is None else {
            "guid": fp.guid,
            "bundle_id": fp.bundle_id,
            "settings_digest": fp.settings_digest,
        },
        "marker": None if a.marker is None else {
            "set": a.marker.set,
            "remove": list(a.marker.remove),
        },
    }


def _app_from_data(d: Mapping[str, Any]) -> AppPlan:
    env, files, fp = d["env"], d["files"], d["fingerprint"]
    return AppPlan(
        key=str(d["key"]),
        action=Action(d["action"]),
        app_type=str(d["app_type"]),
        name=str(d["name"]),
        guid=_opt(d["guid"]),
        content_url=_opt(d["content_url"]),
        dashboard_url=_opt(d["dashboard_url"]),
        settings=_changes_from_data(d["settings"]),
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
        bundle_changes=_changes_from_data(d["bundle_changes"]),
        file_count=int(d["file_count"]),
        bundle_size=int(d["bundle_size"]),
        vanity_url=_opt(d["vanity_url"]),
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
    )


def _changes_to_data(changes: Sequence[SettingChange]) -> list[dict[str, Any]]:
    # A list, not a mapping, so the order the diff chose survives the round trip.
    return [{"key": c.key, "before": c.before, "after": c.after} for c in changes]


def _changes_from_data(items: Sequence[Mapping[str, Any]]) -> tuple[SettingChange, ...]:
    return tuple(
        SettingChange(key=str(c["key"]), before=c["before"], after=c["after"]) for c in items
    )


def _strs(items: Sequence[Any]) -> tuple[str, ...]:
    if isinstance(items, str):
        raise TypeError("expected a list of strings")
    return tuple(str(x) for x in items)


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)
