"""Content permissions (the ACL): `/v1/content/{guid}/permissions[/{id}]` (connect-api.md §11)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import content, versions
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import State

FIELDS = ("id", "content_guid", "principal_guid", "principal_type", "role")
ROLES = ("viewer", "owner")  # `owner` here means collaborator (posit-sdk docstring)


def to_json(perm: dict[str, Any]) -> dict[str, Any]:
    # `id` is a numeric string, as in the spec and most recordings (connect-api.md §1.3).
    return {k: perm[k] for k in FIELDS}


def _parse(ctx: Ctx, state: State, record: dict[str, Any]) -> tuple[str, str, str]:
    body = ctx.json_body()
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str)
                                             for k in ("principal_guid", "principal_type",
                                                       "role")):
        raise ApiError(121)
    guid, kind, role = body["principal_guid"], body["principal_type"], body["role"]
    if kind not in ("user", "group"):
        raise ApiError(152)
    if role not in ROLES:
        # [guess] the table has no code for an unknown role; 121 is the generic one.
        raise ApiError(121, f"The request JSON is invalid: role must be one of "
                            f"{', '.join(ROLES)}.")
    if kind == "group":
        if guid not in state["groups"]:
            raise ApiError(153)
    else:
        user = state["users"].get(guid)
        if user is None:
            raise ApiError(9)
        if guid == record["owner_guid"]:
            raise ApiError(34)
        if role == "owner" and user["user_role"] == "viewer":
            raise ApiError(33)
    return guid, kind, role


def _find(state: State, guid: str, perm_id: str) -> dict[str, Any]:
    perm = state["permissions"].get(perm_id)
    if perm is None or perm["content_guid"] != guid:
        raise ApiError(4)
    return perm  # type: ignore[no-any-return]


def list_permissions(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    with ctx.store.read() as state:
        content.find_visible(state, caller, guid)
        perms = sorted((p for p in state["permissions"].values() if p["content_guid"] == guid),
                       key=lambda p: int(p["id"]))
        return json_response([to_json(p) for p in perms])


def get(ctx: Ctx, guid: str, perm_id: str) -> Response:
    caller = ctx.caller()
    with ctx.store.read() as state:
        content.find_visible(state, caller, guid)
        return json_response(to_json(_find(state, guid, perm_id)))


def create(ctx: Ctx, guid: str) -> Response:
    """Add a principal. Before 2026 a principal already listed is 409 code 154/155; 2026 docs
    call the route "Add or update permission", so from 2026.01 it updates the role.
    [guess: the release that switched is not recorded]"""
    caller = ctx.caller()
    with ctx.store.mutate() as state:
        record = content.find_editable(state, caller, guid)
        principal, kind, role = _parse(ctx, state, record)
        existing = next((p for p in state["permissions"].values()
                         if p["content_guid"] == guid and p["principal_guid"] == principal),
                        None)
        if existing is not None:
            if not ctx.settings.at_least(versions.PERMISSION_UPSERT):
                raise ApiError(154 if kind == "user" else 155)
            existing["role"] = role
            return json_response(to_json(existing))
        perm_id = str(state["next_permission_id"])
        state["next_permission_id"] += 1
        perm = {"id": perm_id, "content_guid": guid, "principal_guid": principal,
                "principal_type": kind, "role": role}
        state["permissions"][perm_id] = perm
        return json_response(to_json(perm))


def update(ctx: Ctx, guid: str, perm_id: str) -> Response:
    caller = ctx.caller()
    with ctx.store.mutate() as state:
        record = content.find_editable(state, caller, guid)
        perm = _find(state, guid, perm_id)
        principal, kind, role = _parse(ctx, state, record)
        if principal != perm["principal_guid"] or kind != perm["principal_type"]:
            # [guess] a permission's principal cannot be swapped; only its role changes.
            raise ApiError(53, "Immutable field cannot be changed: principal_guid.")
        perm["role"] = role
        return json_response(to_json(perm))


def delete(ctx: Ctx, guid: str, perm_id: str) -> Response:
    caller = ctx.caller()
    with ctx.store.mutate() as state:
        content.find_editable(state, caller, guid)
        _find(state, guid, perm_id)
        del state["permissions"][perm_id]
    return Response(status=204)
