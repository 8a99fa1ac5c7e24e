"""Bundle endpoints: upload (raw or, from 2025.12, multipart with metadata), list, show,
delete, download."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import checks, clock, content, versions
from connectfile.emulator.archive import archive_problem
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import State

# The source fields a multipart upload's `metadata` part may set (rsconnect-python.md §7.6).
SOURCE_FIELDS = ("source", "source_repo", "source_branch", "source_commit")
_ENV_FIELDS = ("cluster_name", "image_name", "environment_guid", "r_version",
               "r_environment_management", "py_version", "py_environment_management",
               "quarto_version")


def to_json(state: State, caller: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The Bundle shape (connect-api.md §5.2; field order of Publisher's 2026 mock)."""
    owner = state["content"].get(record["content_guid"], {})
    built = record.get("py_version") is not None
    source = record.get("source_metadata") or {}
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
        "metadata": {**{k: source.get(k) for k in SOURCE_FIELDS},
                     "archive_md5": record["archive_md5"],
                     "archive_sha1": record["archive_sha1"]},
    }
    if caller["user_role"] == "viewer":
        for key in _ENV_FIELDS:
            out[key] = None
    return out


def _metadata(raw: str) -> dict[str, str | None]:
    """The source fields of a multipart `metadata` part (a JSON object of strings)."""
    try:
        value = json.loads(raw)
    except ValueError:
        raise ApiError(87) from None
    if not isinstance(value, dict) or not all(v is None or isinstance(v, str)
                                              for v in value.values()):
        raise ApiError(121, "The request JSON is invalid: metadata must be an object of "
                            "strings.")
    # Keys other than the four source fields (rsconnect's `--metadata team=data`) are accepted
    # and not returned. [guess: no recording shows what Connect does with them]
    return {k: value[k] for k in SOURCE_FIELDS if k in value}


def _archive(ctx: Ctx) -> tuple[bytes, dict[str, str | None]]:
    """The archive bytes and the source metadata sent with them."""
    raw = ctx.request.get_data(cache=True)
    header = ctx.request.headers.get("X-Content-Checksum")
    if header and header.strip() != base64.b64encode(hashlib.md5(raw).digest()).decode():
        raise ApiError(104)
    # Before 2025.12 a multipart body is just bytes that are not a gzip tar: such a server
    # answers 135 below, which is what rsconnect-python avoids by sending multipart only to
    # newer servers. [inferred]
    if ctx.request.mimetype != "multipart/form-data" \
            or not ctx.settings.at_least(versions.BUNDLE_METADATA):
        return raw, {}
    part = ctx.request.files.get("archive")
    if part is None:
        raise ApiError(135, "Unable to extract the bundle: the upload has no `archive` part.")
    text = ctx.request.form.get("metadata")
    if text is None and "metadata" in ctx.request.files:
        text = ctx.request.files["metadata"].read().decode("utf-8", "replace")
    return bytes(part.read()), _metadata(text) if text is not None else {}


def upload(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    with ctx.store.read() as state:
        content.find_collaborated(state, caller, guid)
    data, source = _archive(ctx)
    if not data:
        raise ApiError(125)
    problem = archive_problem(data)
    if problem is not None:
        raise ApiError(135, f"Unable to extract the bundle: {problem}.")
    if ctx.settings.manifest_errors_at_upload and checks.manifest_of(data) is None:
        raise ApiError(38)
    with ctx.store.mutate() as state:
        content.find_collaborated(state, caller, guid)  # it may have gone meanwhile
        bundle_id = str(state["next_bundle_id"])
        state["next_bundle_id"] += 1
        record = {"id": bundle_id, "content_guid": guid, "created_time": clock.now(),
                  "created_by": caller["guid"], "created_by_name": caller["username"],
                  "size": len(data), "archive_md5": hashlib.md5(data).hexdigest(),
                  "archive_sha1": hashlib.sha1(data).hexdigest(), "py_version": None,
                  "source_metadata": source}
        # The file lands before the state that points at it is saved.
        ctx.store.write_bundle(bundle_id, data)
        state["bundles"][bundle_id] = record
        pruned = _prune(state, guid, ctx.settings.bundle_retention_limit)
        answer = json_response(to_json(state, caller, record))
    for old in pruned:
        ctx.store.delete_bundle_file(old)
    return answer


def _prune(state: State, guid: str, limit: int) -> list[str]:
    """Drop the item's oldest bundles beyond `limit`, never the active one. Connect reaps
    them periodically (Applications.BundleReapFrequency, 24 h); the emulator does it on
    upload, so its data dir never holds more."""
    if limit <= 0:
        return []
    active = state["content"].get(guid, {}).get("bundle_id")
    mine = sorted((b for b, rec in state["bundles"].items() if rec["content_guid"] == guid),
                  key=int, reverse=True)
    doomed = [b for b in mine[limit:] if b != active]
    for bundle_id in doomed:
        del state["bundles"][bundle_id]
    return doomed


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
