"""Bundle endpoints: upload, list, show, delete, download."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import checks, clock, content
from connectfile.emulator.archive import is_gzip_tar
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import State

_ENV_FIELDS = ("cluster_name", "image_name", "environment_guid", "r_version",
               "r_environment_management", "py_version", "py_environment_management",
               "quarto_version")


def to_json(state: State, caller: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The Bundle shape (connect-api.md §5.2; field order of Publisher's 2026 mock)."""
    owner = state["content"].get(record["content_guid"], {})
    built = record.get("py_version") is not None
    out: dict[str, Any] = {
        "id": record["id"],
        "content_guid": record["content_guid"],
        "created_time": record["created_time"],
        "created_by": record["created_by"],
        "created_by_name": record["created_by_name"],
        "created_by_user": True,
        "cluster_name": "Local" if built else None,
        "image_name": None,
        "environment_guid": None,
        "r_version": None,
        "r_environment_management": None,
        "py_version": record.get("py_version"),
        "py_environment_management": True if built else None,
        "quarto_version": None,
        "active": owner.get("bundle_id") == record["id"],
        "size": record["size"],
        "metadata": {"source": None, "source_repo": None, "source_branch": None,
                     "source_commit": None, "archive_md5": record["archive_md5"],
                     "archive_sha1": record["archive_sha1"]},
    }
    if caller["user_role"] == "viewer":
        for key in _ENV_FIELDS:
            out[key] = None
    return out


def _archive(ctx: Ctx) -> bytes:
    # Connect > 2025.11 also takes multipart with an `archive` part (connect-api.md §5.1).
    if ctx.request.mimetype == "multipart/form-data":
        part = ctx.request.files.get("archive")
        if part is None:
            raise ApiError(135, "Unable to extract the bundle: no `archive` part.")
        return bytes(part.read())
    return ctx.request.get_data()


def upload(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    with ctx.store.read() as state:
        content.find_collaborated(state, caller, guid)
    data = _archive(ctx)
    if not data:
        raise ApiError(125)
    header = ctx.request.headers.get("X-Content-Checksum")
    if header and header.strip() != base64.b64encode(hashlib.md5(data).digest()).decode():
        raise ApiError(104)
    if not is_gzip_tar(data):
        raise ApiError(135)
    if ctx.settings.manifest_errors_at_upload and checks.manifest_of(data) is None:
        raise ApiError(38)
    with ctx.store.mutate() as state:
        content.find_collaborated(state, caller, guid)  # it may have gone meanwhile
        bundle_id = str(state["next_bundle_id"])
        state["next_bundle_id"] += 1
        record = {"id": bundle_id, "content_guid": guid, "created_time": clock.now(),
                  "created_by": caller["guid"], "created_by_name": caller["username"],
                  "size": len(data), "archive_md5": hashlib.md5(data).hexdigest(),
                  "archive_sha1": hashlib.sha1(data).hexdigest(), "py_version": None}
        # The file lands before the state that points at it is saved.
        ctx.store.write_bundle(bundle_id, data)
        state["bundles"][bundle_id] = record
        return json_response(to_json(state, caller, record))


def _find(state: State, guid: str, bundle_id: str) -> dict[str, Any]:
    record = state["bundles"].get(bundle_id)
    if record is None or record["content_guid"] != guid:
        raise ApiError(4)
    return record  # type: ignore[no-any-return]


def list_bundles(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    with ctx.store.read() as state:
        content.find_visible(state, caller, guid)
        records = sorted((b for b in state["bundles"].values() if b["content_guid"] == guid),
                         key=lambda b: int(b["id"]))
        return json_response([to_json(state, caller, b) for b in records])


def get(ctx: Ctx, guid: str, bundle_id: str) -> Response:
    caller = ctx.caller()
    with ctx.store.read() as state:
        content.find_visible(state, caller, guid)
        return json_response(to_json(state, caller, _find(state, guid, bundle_id)))


def delete(ctx: Ctx, guid: str, bundle_id: str) -> Response:
    caller = ctx.caller()
    with ctx.store.mutate() as state:
        record = content.find_editable(state, caller, guid)
        _find(state, guid, bundle_id)
        if record["bundle_id"] == bundle_id:
            raise ApiError(75)
        del state["bundles"][bundle_id]
    ctx.store.delete_bundle_file(bundle_id)
    return Response(status=204)


def download(ctx: Ctx, guid: str, bundle_id: str) -> Response:
    caller = ctx.caller()
    with ctx.store.read() as state:
        content.find_editable(state, caller, guid)
        _find(state, guid, bundle_id)
    data = ctx.store.read_bundle(bundle_id)
    if data is None:
        raise ApiError(4)
    disposition = f"attachment; filename=bundle-{bundle_id}.tar.gz"
    return Response(data, content_type="application/gzip",
                    headers={"Content-Disposition": disposition})
