"""The apply engine: re-check a Plan against the server, then carry it out app by app."""

from __future__ import annotations

import enum
import tempfile
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectfile.config.model import App, Project
from connectfile.engine import secrets
from connectfile.engine.api import ConnectAPI as ConnectAPI
from connectfile.engine.destroy import run_destroy, stale_destroy
from connectfile.engine.follow import TASK_TIMEOUT, TASK_WAIT, Interrupted, TaskFailed, follow_task
from connectfile.engine.governance import apply_access
from connectfile.engine.pool import run_all
from connectfile.errors import ConnectApiError, ConnectfileError, DeployError, StalePlanError
from connectfile.files.meter import NO_PROGRESS, Progress
from connectfile.plans import marker
from connectfile.plans.diff import env_digest, settings_digest
from connectfile.plans.values import Action, AppPlan, Plan
from connectfile.remote.lookup import find_existing
from connectfile.remote.records import with_app, without_app
from connectfile.remote.state import AppRecord, TargetRecord

# Writes app `key`'s bundle to `out` (a .tar.gz path) and returns its MD5 as hex.
BundleWriter = Callable[[str, Path], str]
# Called with (app key, guid, bundle id) once a bundle is on the server.
Uploaded = Callable[[str, str, str], None]


class EventKind(str, enum.Enum):
    STEP = "step"  # what apply is doing now ("uploading bundle")
    LOG = "log"  # one line of a Connect task's output
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    app: str
    kind: EventKind
    message: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AppOutcome:
    key: str
    action: Action
    status: str  # created | updated | redeployed | unchanged | failed | interrupted | not started
    guid: str | None = None
    url: str | None = None
    bundle_id: str | None = None
    error: str | None = None
    log_tail: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status not in ("failed", "interrupted", "not started")


@dataclass(frozen=True, kw_only=True, slots=True)
class ApplyResult:
    outcomes: tuple[AppOutcome, ...]
    record: TargetRecord | None

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def interrupted(self) -> bool:
        return any(o.status in ("interrupted", "not started") for o in self.outcomes)


@dataclass(frozen=True, kw_only=True)
class ApplyContext:
    """Everything apply needs besides the plan; built by commands/apply.py."""

    api: ConnectAPI
    project: Project  # the config the apps come from (messages point into it)
    apps: Mapping[str, App]  # the config's apps for this target, by key
    owner_guid: str
    server_url: str  # where content and vanity URLs point
    record_server: str  # how the deployment record names the server (remote.record_server)
    environ: Mapping[str, str]  # where secret values come from
    local_digests: Mapping[str, str]  # app key -> manifest digest of the files on disk now
    write_bundle: BundleWriter
    record: TargetRecord | None
    save_record: Callable[[TargetRecord], None]
    on_event: Callable[[Event], None]
    supports_drafts: bool = False
    principal: bool = False  # a trusted-publishing key: settings PATCHes may be refused
    progress: Progress = NO_PROGRESS  # bundle and upload bytes, on a terminal
    # app key -> the upload's `metadata` part (git provenance), None for the plain upload
    bundle_metadata: Callable[[str], Mapping[str, str] | None] = lambda key: None
    parallelism: int = 4
    uploaded: Uploaded | None = None  # e.g. to fill the manifest cache (no download next plan)
    task_wait: int = TASK_WAIT
    task_timeout: float = TASK_TIMEOUT
    tmp_dir: Path | None = None  # where bundles are written before upload (.connect/tmp/)
    cancel: threading.Event = field(default_factory=threading.Event)  # set by Ctrl-C
    grace: float = 1.0  # seconds in-flight apps get to finish once `cancel` is set




def apply_plan(plan: Plan, ctx: ApplyContext) -> ApplyResult:
    """Check the whole plan first (nothing changes if any check fails), then apply it."""
    check_secrets(plan, ctx)
    runner = _Runner(ctx)
    with ThreadPoolExecutor(max_workers=max(1, ctx.parallelism)) as pool:
        check_fresh(plan, ctx, pool)  # one look-up per app: as parallel as the apply itself
    results = run_all(plan.apps, runner.run, parallelism=ctx.parallelism, cancel=ctx.cancel,
                      grace=ctx.grace)
    outcomes = tuple(o if o is not None else runner.abandoned(a)
                     for a, o in zip(plan.apps, results, strict=True))
    return ApplyResult(outcomes=outcomes, record=runner.record)


def _acting(plan: Plan) -> list[AppPlan]:
    return [a for a in plan.apps if a.action not in (Action.NOOP, Action.REFUSED)]


def check_secrets(plan: Plan, ctx: ApplyContext) -> None:
    """Every secret this plan sends must be set; an unset one stops the run up front."""
    acting = _acting(plan)
    secrets.check_secrets(ctx.project, [ctx.apps[a.key] for a in acting if a.key in ctx.apps],
                          ctx.environ, target=plan.target,
                          only={a.key: a.env.secrets for a in acting})


def check_fresh(plan: Plan, ctx: ApplyContext, pool: Executor | None = None) -> None:
    """Refuse the plan (StalePlanError, nothing changed) if the files or the server moved.

    The per-app server look-ups run on `pool` when given (concurrently), else one by one.
    """
    reasons: list[str] = []
    for a in plan.apps:
        now = ctx.local_digests.get(a.key)
        if now is not None and a.manifest_digest and now != a.manifest_digest:
            reasons.append(f"{a.key}: its files or manifest changed since the plan was made")
    acting = _acting(plan)
    look = (pool.map if pool is not None else map)(lambda a: _server_moved(a, ctx), acting)
    for a, reason in zip(acting, look, strict=True):
        if reason:
            reasons.append(f"{a.key}: {reason}")
    if reasons:
        raise StalePlanError(
            "the saved plan is stale, nothing was changed:\n  "
            + "\n  ".join(reasons)
            + "\nrun `connectfile plan` again"
        )


def _server_moved(a: AppPlan, ctx: ApplyContext) -> str | None:
    fp = a.fingerprint
    if fp is None:
        return None
    if a.action is Action.DESTROY:
        return stale_destroy(ctx.api, a)
    app = ctx.apps.get(a.key)
    if app is None:
        return "the app is no longer in connect.toml"
    if fp.guid is None:
        # The plan found no content by the one rule; the same rule must still find none.
        entry = ctx.record.apps.get(a.key) if ctx.record else None
        found = find_existing(ctx.api, app, entry, owner_guid=ctx.owner_guid)
        if found is not None:
            name = found.get("name") or a.name
            return f"content named {name!r} now exists on the server ({found.get('guid')})"
        return None
    content = ctx.api.get_content(fp.guid)
    if content is None:
        return f"content {fp.guid} no longer exists on the server"
    bundle = content.get("bundle_id")
    bundle = None if bundle is None else str(bundle)
    if bundle != fp.bundle_id:
        return (
            f"the active bundle is now {bundle} (the plan saw {fp.bundle_id}): "
            "someone deployed it since"
        )
    if settings_digest(content, app.settings()) != fp.settings_digest:
        return "its settings were changed on the server since"
    return None


class _Runner:
    """Applies one AppPlan at a time (called from worker threads); owns the record."""

    def __init__(self, ctx: ApplyContext) -> None:
        self.ctx = ctx
        self.record = ctx.record
        self._lock = threading.Lock()
        self._doing: dict[str, str] = {}

    def emit(self, key: str, kind: EventKind, message: str) -> None:
        self.ctx.on_event(Event(app=key, kind=kind, message=message))

    def run(self, a: AppPlan) -> AppOutcome:
        if a.action is Action.NOOP:
            return AppOutcome(key=a.key, action=a.action, status="unchanged", guid=a.guid,
                              url=self._url(a.guid, a.content_url, None))
        if a.action is Action.REFUSED:
            message = a.refusal or "refused by the plan"
            self.emit(a.key, EventKind.FAILED, message)
            return AppOutcome(key=a.key, action=a.action, status="failed", guid=a.guid,
                              error=message)
        try:
            return self._destroy(a) if a.action is Action.DESTROY else self._apply(a)
        except Interrupted as exc:
            return AppOutcome(key=a.key, action=a.action, status="interrupted", guid=a.guid,
                              error=str(exc))
        except ConnectfileError as exc:
            self.emit(a.key, EventKind.FAILED, str(exc))
            return AppOutcome(key=a.key, action=a.action, status="failed", guid=a.guid,
                              url=self._url(a.guid, a.content_url, None), error=str(exc),
                              log_tail=exc.log_tail if isinstance(exc, TaskFailed) else ())

    def abandoned(self, a: AppPlan) -> AppOutcome:
        """The outcome of an app the run walked away from after Ctrl-C."""
        with self._lock:
            doing = self._doing.get(a.key)
        if doing is None:
            return AppOutcome(key=a.key, action=a.action, status="not started", guid=a.guid,
                              error="not started: the run was interrupted")
        return AppOutcome(key=a.key, action=a.action, status="interrupted", guid=a.guid,
                          error=f"interrupted while {doing}")

    def _step(self, key: str, doing: str) -> None:
        """Note what `key` is doing now (for the Ctrl-C summary); stop here if cancelled."""
        with self._lock:
            self._doing[key] = doing
        if self.ctx.cancel.is_set():
            raise Interrupted(f"interrupted before {doing}")

    def _apply(self, a: AppPlan) -> AppOutcome:
        ctx, app = self.ctx, self.ctx.apps[a.key]
        self._step(a.key, "changing settings")
        guid, content_url = a.guid, a.content_url
        changed = {s.key: s.after for s in a.settings}
        if a.action is Action.CREATE:
            self.emit(a.key, EventKind.STEP, f"creating content {a.name!r}")
            content = ctx.api.create_content({"name": a.name, **changed},
                                             owner_guid=ctx.owner_guid)
            guid, content_url = str(content["guid"]), content.get("content_url")
        elif changed:
            self.emit(a.key, EventKind.STEP, "updating " + ", ".join(sorted(changed)))
            assert guid is not None  # the diff gives every existing app its guid
            content_url = self._patch(a, guid, changed).get("content_url") or content_url
        assert guid is not None
        env = self._env_values(a, app)
        if env:
            # Names only: values (secrets above all) never reach an event or a log line.
            shown = sorted(n for n in env if not marker.is_marker(n))
            if shown:
                self.emit(a.key, EventKind.STEP, "setting env " + ", ".join(shown))
            ctx.api.patch_env(guid, env)
        bundle_id = a.fingerprint.bundle_id if a.fingerprint else None
        if a.needs_bundle:
            bundle_id = self._deploy(a, guid, previous=bundle_id)
        vanity = None
        if a.vanity_url is not None:
            self.emit(a.key, EventKind.STEP, f"setting vanity URL {a.vanity_url}")
            vanity = ctx.api.set_vanity(guid, a.vanity_url)
        if a.access:
            apply_access(ctx.api, guid, a.name, a.access,
                         lambda message: self.emit(a.key, EventKind.STEP, message))
        url = self._url(guid, content_url, vanity or app.vanity_url)
        self._save(a, app, AppRecord(
            guid=guid,
            bundle_id=bundle_id,
            manifest_digest=a.manifest_digest or None,
            env_digests={k: env_digest(v) for k, v in sorted(app.env.items())},
            secret_names=tuple(sorted(app.secrets)),
            url=url,
        ))
        status = {Action.CREATE: "created", Action.REDEPLOY: "redeployed"}.get(a.action, "updated")
        self.emit(a.key, EventKind.DONE, f"{status}: {url}")
        return AppOutcome(key=a.key, action=a.action, status=status, guid=guid, url=url,
                          bundle_id=bundle_id)

    def _patch(self, a: AppPlan, guid: str, changed: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return self.ctx.api.patch_content(guid, changed)
        except ConnectApiError as exc:
            if not (self.ctx.principal and exc.status == 403):
                raise
            # rsconnect-python #835/#836: a title PATCH broke trusted publishing.
            keys = ", ".join(f"apps.{a.key}.{k}" for k in sorted(changed))
            raise DeployError(
                f"Connect refused to change {keys} (HTTP 403, code {exc.code}): the service "
                "principal of trusted publishing may not change content settings; change "
                "them on Connect or apply once with an API key, then plan again"
            ) from None

    def _env_values(self, a: AppPlan, app: App) -> dict[str, str | None]:
        values: dict[str, str | None] = {n: None for n in a.env.removed}
        for name in (*a.env.added, *a.env.changed):
            if name in app.env:
                values[name] = app.env[name]
        for name in a.env.secrets:
            values[name] = self.ctx.environ[name]  # checked up front by check_secrets
        if a.marker is not None:
            # Rides along with whatever else apply changes, so a CI run without records
            # can prove the literal values unchanged next time (plans/marker.py).
            values.update({old: None for old in a.marker.remove})
            if a.marker.set is not None:
                values[a.marker.set] = marker.VALUE
        return values

    def _deploy(self, a: AppPlan, guid: str, *, previous: str | None) -> str:
        ctx = self.ctx
        self._step(a.key, "uploading its bundle")
        if ctx.tmp_dir is not None:
            ctx.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="connectfile-", dir=ctx.tmp_dir) as tmp:
            path = Path(tmp) / f"{a.key}.tar.gz"
            md5 = ctx.write_bundle(a.key, path)
            size = path.stat().st_size
            self.emit(a.key, EventKind.STEP, f"uploading bundle ({a.file_count} files, "
                      f"{size} bytes)")
            meta = ctx.bundle_metadata(a.key)
            with ctx.progress.transfer(f"{a.key}: upload", size) as meter:
                bundle_id = (ctx.api.upload_bundle(guid, path, md5, meter) if meta is None
                             else ctx.api.upload_bundle(guid, path, md5, meter, metadata=meta))
        if ctx.uploaded is not None:
            ctx.uploaded(a.key, guid, bundle_id)
        try:
            self._activate(a, guid, bundle_id, previous)
        except TaskFailed as exc:
            if previous is None:
                raise
            raise TaskFailed(f"{exc}; bundle {previous} stays active", exc.log_tail) from None
        return bundle_id

    def _activate(self, a: AppPlan, guid: str, bundle_id: str, previous: str | None) -> None:
        """Deploy `bundle_id`; on servers with drafts, only a draft that answers goes live."""
        ctx = self.ctx
        if ctx.supports_drafts and a.action is Action.REDEPLOY and previous is not None:
            self.emit(a.key, EventKind.STEP, f"deploying bundle {bundle_id} as a draft")
            self._follow(a.key, ctx.api.deploy(guid, bundle_id, activate=False))
            draft = f"/content/{guid}/_bundle{bundle_id}/"
            status = ctx.api.get_url(draft)
            if status >= 500:
                raise DeployError(
                    f"the draft of bundle {bundle_id} built, but {draft} answered HTTP "
                    f"{status}; bundle {previous} stays active"
                )
            self.emit(a.key, EventKind.STEP, f"draft answered HTTP {status}; activating it")
            self._follow(a.key, ctx.api.deploy(guid, bundle_id, activate=True))
        else:
            self.emit(a.key, EventKind.STEP, f"deploying bundle {bundle_id}")
            self._follow(a.key, ctx.api.deploy(guid, bundle_id))

    def _follow(self, key: str, task_id: str | None) -> None:
        """Poll the task with first/wait, emitting each new log line, until it finishes.

        None: the deploy's answer was lost but Connect shows the bundle built (client.deploy).
        """
        if task_id is None:
            self.emit(key, EventKind.STEP, "the deploy answer was lost, but Connect shows the "
                      "bundle built (its build log is not available)")
            return
        building = f"Connect was building (task {task_id}; it goes on building on the server)"
        with self._lock:
            self._doing[key] = building
        follow_task(self.ctx.api, task_id, wait=self.ctx.task_wait,
                    timeout=self.ctx.task_timeout, cancel=self.ctx.cancel,
                    on_line=lambda line: self.emit(key, EventKind.LOG, line),
                    building=building)

    def _url(self, guid: str | None, content_url: str | None, vanity: str | None) -> str | None:
        if vanity:
            return self.ctx.server_url + "/" + vanity.strip("/") + "/"
        if content_url:
            return content_url
        return f"{self.ctx.server_url}/content/{guid}/" if guid else None

    def _destroy(self, a: AppPlan) -> AppOutcome:
        run_destroy(self.ctx.api, a, lambda text: self.emit(a.key, EventKind.STEP, text))
        with self._lock:
            self.record = without_app(self.record, a.key)
            if self.record is not None:
                self.ctx.save_record(self.record)
        return AppOutcome(key=a.key, action=a.action, status="destroyed", guid=a.guid)

    def _save(self, a: AppPlan, app: App, entry: AppRecord) -> None:
        with self._lock:
            self.record = with_app(self.record, self.ctx.record_server, a.key, entry)
            self.ctx.save_record(self.record)
