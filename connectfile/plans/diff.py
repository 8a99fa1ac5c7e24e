"""Compare what connect.toml wants with what Connect runs and decide each app's action (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from connectfile.bundle.manifest import checksums, lookup
from connectfile.bundle.prepared import LocalApp
from connectfile.config.model import App, Project
from connectfile.plans.marker import is_marker, marker_change, marker_name
from connectfile.plans.values import (
    Action,
    AppPlan,
    EnvChanges,
    FileChanges,
    Fingerprint,
    Plan,
    SettingChange,
)
from connectfile.remote.state import AppRecord, DeployedApp, TargetRecord

# Manifest parts compared field by field; anything else is caught by `_manifest_rest`.
_IGNORED_TOP = frozenset({"files", "locale", "version"})


def env_digest(value: str) -> str:
    """The digest kept in the deployment record for a literal env value (never a secret)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def settings_digest(settings: Mapping[str, Any], keys: Iterable[str]) -> str:
    """sha256 of the managed `keys` of Connect's content JSON; apply re-checks it."""
    picked = {k: _canonical(settings.get(k)) for k in sorted(keys)}
    text = json.dumps(picked, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def config_digest(project: Project) -> str:
    """sha256 of the exact connect.toml bytes parsed; a saved plan is refused when it moves."""
    return hashlib.sha256(project.config_bytes).hexdigest()


def normalize_vanity(path: str) -> str:
    """Connect stores vanity paths with a leading and a trailing slash."""
    return "/" + path.strip().strip("/") + "/"


def same_value(a: Any, b: Any) -> bool:
    """Equality that treats 1 and 1.0 as equal (TOML ints vs Connect floats) but not True and 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return bool(a == b)


def plan_app(
    app: App,
    local: LocalApp,
    deployed: DeployedApp | None,
    record: AppRecord | None,
    *,
    resend_secrets: bool = False,
) -> AppPlan:
    """The action and every change apply would make for one app."""
    wanted = app.settings()
    vanity = normalize_vanity(app.vanity_url) if app.vanity_url is not None else None
    if deployed is None:
        return AppPlan(
            key=app.key,
            action=Action.CREATE,
            app_type=app.type,
            name=app.name,
            settings=tuple(SettingChange(key=k, before=None, after=v) for k, v in wanted.items()),
            env=_env_changes(app, None, None, resend_secrets=True),
            files=FileChanges(added=tuple(sorted(checksums(local.manifest)))),
            redeploy_reasons=(),
            file_count=local.file_count,
            bundle_size=local.size,
            vanity_url=vanity,
            manifest_digest=local.digest,
            fingerprint=Fingerprint(guid=None, bundle_id=None, settings_digest=""),
            marker=marker_change(app.env, ()),
        )

    settings = tuple(
        SettingChange(key=k, before=deployed.settings.get(k), after=v)
        for k, v in wanted.items()
        if not same_value(deployed.settings.get(k), v)
    )
    env = _env_changes(app, deployed, record, resend_secrets=resend_secrets)
    files, bundle_changes, reasons = _bundle_diff(local.manifest, deployed)
    if deployed.vanity_url is not None and normalize_vanity(deployed.vanity_url) == vanity:
        vanity = None
    refusal = _refusal(app, deployed, needs_bundle=bool(reasons))
    if refusal is not None:
        action = Action.REFUSED
    elif reasons:
        action = Action.REDEPLOY
    elif settings or env or vanity is not None:
        action = Action.UPDATE
    else:
        action = Action.NOOP
    return AppPlan(
        key=app.key,
        action=action,
        app_type=app.type,
        name=app.name,
        guid=deployed.guid,
        content_url=deployed.content_url or None,
        dashboard_url=deployed.dashboard_url or None,
        settings=settings,
        env=env,
        files=files,
        redeploy_reasons=reasons,
        bundle_changes=bundle_changes,
        file_count=local.file_count,
        bundle_size=local.size,
        vanity_url=vanity,
        refusal=refusal,
        manifest_digest=local.digest,
        fingerprint=Fingerprint(
            guid=deployed.guid,
            bundle_id=deployed.bundle_id,
            settings_digest=settings_digest(deployed.settings, wanted),
        ),
        marker=marker_change(app.env, deployed.env_names),
    )


def build_plan(
    *,
    target: str,
    server: str,
    apps: Sequence[AppPlan],
    config_keys: Iterable[str],
    record: TargetRecord | None,
    config_digest: str,
) -> Plan:
    """Assemble the whole plan; apps in the record but not in the config become orphans."""
    known = set(config_keys)
    orphans = tuple(sorted(k for k in (record.apps if record else {}) if k not in known))
    return Plan(
        target=target,
        server=server,
        apps=tuple(apps),
        config_digest=config_digest,
        orphans=orphans,
    )


def _refusal(app: App, deployed: DeployedApp, *, needs_bundle: bool) -> str | None:
    if deployed.app_mode not in ("unknown", "") and deployed.app_mode != app.app_mode:
        return (
            f"Connect cannot change an app's mode after its first deploy: content "
            f"{deployed.guid} runs as {deployed.app_mode}, and type = \"{app.type}\" needs "
            f"{app.app_mode}. To deploy it as {app.type}, give the app a new `name` (and drop "
            f"any `guid` pin) so Connect creates new content, or delete content "
            f"{deployed.guid} on Connect; then plan again."
        )
    if needs_bundle and deployed.locked:
        return (
            f"content {deployed.guid} is locked on Connect, which blocks new deploys; "
            "unlock it on Connect, then plan again."
        )
    return None


def needs_env_names(app: App, record: AppRecord | None) -> bool:
    """Whether `plan_app` looks at the env var names on Connect for `app`.

    Only names connect.toml sets, or that an earlier apply set (the record), are ever
    compared; an app with neither needs no read of its environment.
    """
    return bool(app.env or app.secrets or (record and (record.env_digests or record.secret_names)))


def needs_vanity(app: App) -> bool:
    """Whether `plan_app` looks at the vanity URL on Connect: only when connect.toml sets one."""
    return app.vanity_url is not None


def _env_changes(
    app: App,
    deployed: DeployedApp | None,
    record: AppRecord | None,
    *,
    resend_secrets: bool,
) -> EnvChanges:
    literals = sorted(app.env)
    secrets = sorted(app.secrets)
    if deployed is None:
        return EnvChanges(added=(*literals, *secrets), secrets=tuple(secrets))
    names = deployed.env_names
    on_server = frozenset(n for n in names if not is_marker(n))  # the marker is never the user's
    managed_before = set(record.env_digests) | set(record.secret_names) if record else set()
    wanted = set(literals) | set(secrets)
    added = tuple(n for n in (*literals, *secrets) if n not in on_server)
    removed = tuple(sorted(n for n in managed_before - wanted if n in on_server))
    changed, unsure = _changed_literals(app, on_server, names, record)
    sent_before = set(record.secret_names) if record else set(on_server)
    send = tuple(
        n for n in secrets if resend_secrets or n not in on_server or n not in sent_before
    )
    return EnvChanges(added=added, removed=removed, changed=changed, secrets=send, unsure=unsure)


def _changed_literals(
    app: App, on_server: frozenset[str], names: frozenset[str], record: AppRecord | None
) -> tuple[tuple[str, ...], bool]:
    """The literal names whose value may differ on Connect, and whether that is a guess.

    Connect never returns values. The server's marker (plans/marker.py) is the proof that
    works without a record; a record's per-name digests say which name moved.
    """
    present = tuple(n for n in sorted(app.env) if n in on_server)
    if not present:
        return (), False
    wanted = marker_name(app.env)
    if wanted in names:
        return (), False  # the last apply, from anywhere, set exactly these values
    if record is not None and record.env_digests:
        digests = record.env_digests
        by_name = tuple(n for n in present if digests.get(n) != env_digest(app.env[n]))
        if by_name or not any(is_marker(n) for n in names):
            return by_name, False
        # The record agrees with connect.toml but the server's marker does not: someone
        # applied other values since (a CI run); the record cannot say which.
    return present, True


def _bundle_diff(
    local: Mapping[str, Any], deployed: DeployedApp
) -> tuple[FileChanges, tuple[SettingChange, ...], tuple[str, ...]]:
    """File changes, manifest field changes and the reasons a new bundle is needed."""
    if deployed.manifest is None:
        reason = "first_deploy" if deployed.bundle_id is None else "bundle_unreadable"
        return FileChanges(added=tuple(sorted(checksums(local)))), (), (reason,)
    if dict(local) == dict(deployed.manifest):
        # The no-change case, settled by one comparison instead of two checksum tables.
        return FileChanges(), (), ()
    mine = checksums(local)
    theirs = checksums(deployed.manifest)
    files = FileChanges(
        added=tuple(sorted(mine.keys() - theirs.keys())),
        removed=tuple(sorted(theirs.keys() - mine.keys())),
        modified=tuple(sorted(p for p in mine.keys() & theirs.keys() if mine[p] != theirs[p])),
    )
    fields: list[SettingChange] = []
    reasons: list[str] = []
    for label, path in (
        ("app_mode", ("metadata", "appmode")),
        ("entrypoint", ("metadata", "entrypoint")),
        ("python", ("python", "version")),
        ("requirements", ("python", "package_manager", "package_file")),
    ):
        before, after = lookup(deployed.manifest, *path), lookup(local, *path)
        if before != after:
            fields.append(SettingChange(key=label, before=before, after=after))
            reasons.append(label)
    if files:
        reasons.append("files")
    package_file = lookup(local, "python", "package_manager", "package_file")
    if "requirements" not in reasons and isinstance(package_file, str) and (
        package_file in files.modified or package_file in files.added
    ):
        reasons.append("requirements")
    if not reasons and _manifest_rest(local) != _manifest_rest(deployed.manifest):
        reasons.append("manifest")
    return files, tuple(fields), tuple(reasons)


def _manifest_rest(manifest: Mapping[str, Any]) -> Any:
    """The manifest minus the fields compared one by one and those that vary by machine."""
    rest = {k: v for k, v in manifest.items() if k not in _IGNORED_TOP}
    python = rest.get("python")
    if isinstance(python, Mapping):
        python = {k: v for k, v in python.items() if k != "version"}
        manager = python.get("package_manager")
        if isinstance(manager, Mapping):
            # The pip version is the deploying machine's, not something the app asked for.
            python["package_manager"] = {
                k: v for k, v in manager.items() if k not in ("version", "package_file")
            }
        rest["python"] = python
    metadata = rest.get("metadata")
    if isinstance(metadata, Mapping):
        rest["metadata"] = {
            k: v for k, v in metadata.items() if k not in ("appmode", "entrypoint")
        }
    return _canonical(rest)


def _canonical(value: Any) -> Any:
    """JSON-ready value where 2.0 and 2 compare and hash the same."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value
