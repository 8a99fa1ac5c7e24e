"""Users list and search (`/v1/users`), groups and their members (`/v1/groups`)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import clock, users
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import State

GROUP_FIELDS = ("guid", "name", "owner_guid")


def _page_args(ctx: Ctx) -> tuple[int, int]:
    """`page_number` (>= 1, default 1) and `page_size` (1-500, default 20); out of range is 400
    (connect-api.md §1.5) [code 25 guessed]."""
    out = []
    for name, default, high in (("page_number", 1, None), ("page_size", 20, 500)):
        raw = ctx.request.args.get(name, "")
        try:
            value = int(raw) if raw else default
        except ValueError:
            raise ApiError(25, f"The parameter is invalid: {name}.") from None
        if value < 1 or (high is not None and value > high):
            raise ApiError(25, f"The parameter is invalid: {name}.")
        out.append(value)
    return out[0], out[1]


def _page(ctx: Ctx, items: list[dict[str, Any]]) -> Response:
    number, size = _page_args(ctx)
    start = (number - 1) * size
    return json_response({"results": items[start:start + size], "current_page": number,
                          "total": len(items)})


def _matches(prefix: str, *values: str) -> bool:
    return not prefix or any(v.lower().startswith(prefix.lower()) for v in values if v)


def list_users(ctx: Ctx) -> Response:
    """`prefix` matches username, first or last name, ignoring case (posit-sdk docstring);
    email too [guess]."""
    ctx.caller()
    prefix = ctx.request.args.get("prefix", "")
    role = ctx.request.args.get("user_role")
    with ctx.store.read() as state:
        found = [users.public_json(u) for u in state["users"].values()
                 if _matches(prefix, u["username"], u["first_name"], u["last_name"],
                             u["email"])
                 and (role is None or u["user_role"] in role.split("|"))]
    found.sort(key=lambda u: u["username"])
    return _page(ctx, found)


def group_json(group: dict[str, Any]) -> dict[str, Any]:
    """The Group shape (posit-sdk fixture v1/groups/{guid}.json)."""
    return {k: group[k] for k in GROUP_FIELDS}


def _group(state: State, guid: str) -> dict[str, Any]:
    group = state["groups"].get(guid)
    if group is None:
        raise ApiError(153)
    return group  # type: ignore[no-any-return]


def _may_change(caller: dict[str, Any], group: dict[str, Any]) -> None:
    if caller["user_role"] != "administrator" and group["owner_guid"] != caller["guid"]:
        raise ApiError(22)


def list_groups(ctx: Ctx) -> Response:
    ctx.caller()
    prefix = ctx.request.args.get("prefix", "")
    with ctx.store.read() as state:
        found = [group_json(g) for g in state["groups"].values() if _matches(prefix, g["name"])]
    found.sort(key=lambda g: g["name"].lower())
    return _page(ctx, found)


def add_group(state: State, name: str, owner_guid: str) -> dict[str, Any]:
    if any(g["name"] == name for g in state["groups"].values()):
        raise ApiError(26)
    group = {"guid": clock.new_guid(), "name": name, "owner_guid": owner_guid,
             "created_time": clock.now(), "members": []}
    state["groups"][group["guid"]] = group
    return group


def create_group(ctx: Ctx) -> Response:
    """Publishers and administrators may create groups [guess: Connect's default
    `Authorization.PublishersCanManageGroups`]; names are unique (409 code 26 [guess])."""
    caller = ctx.caller()
    users.require_publisher(caller)
    body = ctx.json_body()
    if not isinstance(body, dict) or not isinstance(body.get("name"), str) \
            or not body["name"].strip():
        raise ApiError(121)
    with ctx.store.mutate() as state:
        return json_response(group_json(add_group(state, body["name"], caller["guid"])))


def get_group(ctx: Ctx, guid: str) -> Response:
    ctx.caller()
    with ctx.store.read() as state:
        return json_response(group_json(_group(state, guid)))


def delete_group(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    with ctx.store.mutate() as state:
        _may_change(caller, _group(state, guid))
        del state["groups"][guid]
        for perm_id in [p for p, perm in state["permissions"].items()
                        if perm["principal_guid"] == guid]:
            del state["permissions"][perm_id]
    return Response(status=204)


def members(ctx: Ctx, guid: str) -> Response:
    ctx.caller()
    with ctx.store.read() as state:
        group = _group(state, guid)
        found = [users.public_json(state["users"][u]) for u in group["members"]
                 if u in state["users"]]
    return _page(ctx, found)


def add_member(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    body = ctx.json_body()
    if not isinstance(body, dict) or not isinstance(body.get("user_guid"), str):
        raise ApiError(121)
    with ctx.store.mutate() as state:
        group = _group(state, guid)
        _may_change(caller, group)
        if body["user_guid"] not in state["users"]:
            raise ApiError(9)
        if body["user_guid"] not in group["members"]:
            group["members"].append(body["user_guid"])
    # [guess] the body of a successful add is not recorded; posit-sdk ignores it.
    return json_response({})


def remove_member(ctx: Ctx, guid: str, user_guid: str) -> Response:
    caller = ctx.caller()
    with ctx.store.mutate() as state:
        group = _group(state, guid)
        _may_change(caller, group)
        if user_guid not in group["members"]:
            raise ApiError(9)
        group["members"].remove(user_guid)
    return Response(status=204)
