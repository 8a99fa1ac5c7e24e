"""`POST /v1/content/{guid}/deploy`: pick the bundle, then build it in a background task."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import checks, clock, content
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import State
from connectfile.emulator.tasks import Task


@dataclass(frozen=True)
class DeployRequest:
    guid: str
    content_id: str
    bundle_id: str
    activate: bool


def _parse(ctx: Ctx) -> tuple[str | None, bool]:
    body: Any = ctx.json_body()
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ApiError(121)
    allowed = {"bundle_id", "activate"} if ctx.settings.supports_drafts() else {"bundle_id"}
    unknown = set(body) - allowed
    if unknown:
        # Servers before 2025.06 reject `activate` (rsconnect-python only sends it to newer).
        raise ApiError(121, f"The request JSON is invalid: unknown field {sorted(unknown)[0]!r}.")
    bundle_id = body.get("bundle_id")
    if isinstance(bundle_id, int) and not isinstance(bundle_id, bool):
        bundle_id = str(bundle_id)
    if bundle_id is not None and (not isinstance(bundle_id, str) or not bundle_id.isdigit()):
        raise ApiError(3)
    activate = body.get("activate", True)
    if not isinstance(activate, bool):
        raise ApiError(121)
    return bundle_id, activate


def _choose_bundle(state: State, guid: str, bundle_id: str | None) -> str:
    if bundle_id is None:
        # connect-api.md §6.1: an omitted bundle_id deploys the newest bundle.
        mine = [int(b["id"]) for b in state["bundles"].values() if b["content_guid"] == guid]
        if not mine:
            raise ApiError(28)
        return str(max(mine))
    record = state["bundles"].get(bundle_id)
    if record is None:
        # connect-api.md §6.1 lists 404 code 28 for "no bundle"; using it for an unknown id
        # is a guess.
        raise ApiError(28)
    if record["content_guid"] != guid:
        raise ApiError(82)
    return bundle_id


def deploy(ctx: Ctx, guid: str) -> Response:
    return json_response({"task_id": _start(ctx, guid)}, 202)


def build(ctx: Ctx, guid: str) -> Response:
    """`POST /v1/content/{guid}/build`: the same task as deploy, answered 200 (connect-api.md
    §6.2, §15). Like deploy it activates unless `activate: false` (rsconnect-python's
    content_build) [guess: §6.2 says a build restores without activating]."""
    return json_response({"task_id": _start(ctx, guid)})


def _start(ctx: Ctx, guid: str) -> str:
    caller = ctx.caller()
    wanted, activate = _parse(ctx)
    with ctx.store.read() as state:
        record = content.find_collaborated(state, caller, guid)
        if record["locked"]:
            # connect-api.md §4.1: locking blocks deploys; the exact code is not documented.
            raise ApiError(22, "This content is locked; unlock it before deploying.")
        bundle_id = _choose_bundle(state, guid, wanted)
        current_mode = record["app_mode"]
        request = DeployRequest(guid, record["id"], bundle_id, activate)
    manifest = checks.manifest_of(ctx.store.read_bundle(bundle_id) or b"")
    if manifest is not None and current_mode not in ("unknown", ""):
        metadata = manifest.get("metadata")
        mode = metadata.get("appmode") if isinstance(metadata, dict) else None
        # An unrecognised mode is left to the task, which reports it (connect-api.md §13.2).
        known = {*checks.PYTHON_MODES, *checks.OTHER_MODES}
        if isinstance(mode, str) and mode in known and mode != current_mode:
            raise ApiError(48)
    task = ctx.tasks.start(caller["guid"], lambda t: _build(ctx, t, request))
    return task.id


def _build(ctx: Ctx, task: Task, req: DeployRequest) -> None:
    delay = ctx.settings.task_step_delay

    def emit(line: str) -> None:
        ctx.tasks.emit(task, line)
        if delay:
            time.sleep(delay)

    emit(f"[connectfile-emulator] Content GUID: {req.guid}")
    emit(f"[connectfile-emulator] Content ID: {req.content_id}")
    emit(f"[connectfile-emulator] Bundle ID: {req.bundle_id}")
    try:
        result = checks.check_bundle(ctx.store.read_bundle(req.bundle_id), ctx.settings)
    except checks.CheckFailed as exc:
        for line in exc.lines:
            emit(line)
        _fail(ctx, task, emit, str(exc))
        return
    for line in result.lines:
        emit(line)
    injected = ctx.faults.take_deploy_failure()
    if injected is not None:
        _fail(ctx, task, emit, injected)
        return
    with ctx.store.mutate() as state:
        record = state["content"].get(req.guid)
        bundle = state["bundles"].get(req.bundle_id)
        gone = record is None or bundle is None
        if bundle is not None:
            bundle["py_version"] = result.py_version
        if record is not None and req.activate:
            record.update(bundle_id=req.bundle_id, app_mode=result.app_mode,
                          content_category=result.content_category, parameterized=False,
                          py_version=result.py_version, py_environment_management=True,
                          cluster_name="Local", last_deployed_time=clock.now())
    if gone:
        _fail(ctx, task, emit, "The content or bundle was deleted during the deploy.")
        return
    if req.activate:
        emit("Launching application...")
        emit("Application successfully deployed")
    else:
        emit(f"Draft bundle {req.bundle_id} built; the active bundle is unchanged")
    ctx.tasks.finish(task, 0, "")


def _fail(ctx: Ctx, task: Task, emit: Any, message: str) -> None:
    emit(message)
    # A failed build's result, as recorded from a Connect task (rsconnect-python's deploy
    # record fixture; connect-api.md §7).
    ctx.tasks.finish(task, 1, message, {"type": "build-failed-error",
                                        "data": "An error occurred while building the content"})
