"""Tags (`/v1/tags`, admin-managed tree) and content tags (`/v1/content/{guid}/tags`)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import clock, content, tag_tree
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import State


def _require_admin(caller: dict[str, Any]) -> None:
    if caller["user_role"] != "administrator":
        raise ApiError(22)


def _lookup(state: State, tag_id: str) -> dict[str, Any]:
    return tag_tree.find(state, tag_id) if tag_id.isdigit() else tag_tree.by_path(state, tag_id)


def _check_name(state: State, name: Any, parent: str | None, tag_id: str | None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ApiError(78)
    if len(name) > 255:
        raise ApiError(77)
    if any(t["parent_id"] == parent and t["name"] == name and t["id"] != tag_id
           for t in state["tags"].values()):
        raise ApiError(81)
    return name


def _parent(state: State, body: dict[str, Any]) -> str | None:
    parent = body.get("parent_id")
    if parent is None or parent == "":
        return None
    return str(tag_tree.find(state, parent, code=157)["id"])


def _body(ctx: Ctx) -> dict[str, Any]:
    body = ctx.json_body()
    if not isinstance(body, dict):
        raise ApiError(121)
    return body


def list_tags(ctx: Ctx) -> Response:
    ctx.caller()
    name = ctx.request.args.get("name")
    parent = ctx.request.args.get("parent_id")
    with ctx.store.read() as state:
        tags = [t for t in state["tags"].values()
                if (name is None or t["name"] == name)
                and (parent is None or t["parent_id"] == (parent or None))]
        return json_response([tag_tree.tag_json(t) for t in sorted(tags,
                                                                     key=lambda t: int(t["id"]))])


def create(ctx: Ctx) -> Response:
    caller = ctx.caller()
    _require_admin(caller)
    body = _body(ctx)
    with ctx.store.mutate() as state:
        parent = _parent(state, body)
        name = _check_name(state, body.get("name"), parent, None)
        tag_id = str(state["next_tag_id"])
        state["next_tag_id"] += 1
        stamp = clock.now()
        tag = {"id": tag_id, "name": name, "parent_id": parent, "created_time": stamp,
               "updated_time": stamp}
        state["tags"][tag_id] = tag
        return json_response(tag_tree.tag_json(tag))


def get(ctx: Ctx, tag_id: str) -> Response:
    ctx.caller()
    with ctx.store.read() as state:
        return json_response(tag_tree.tag_json(_lookup(state, tag_id)))


def update(ctx: Ctx, tag_id: str) -> Response:
    caller = ctx.caller()
    _require_admin(caller)
    body = _body(ctx)
    with ctx.store.mutate() as state:
        tag = tag_tree.find(state, tag_id)
        parent = _parent(state, body) if "parent_id" in body else tag["parent_id"]
        if parent is not None and (parent == tag["id"]
                                   or parent in tag_tree.descendants(state, tag["id"])):
            raise ApiError(88)
        name = _check_name(state, body.get("name", tag["name"]), parent, tag["id"])
        tag.update(name=name, parent_id=parent, updated_time=clock.now())
        return json_response(tag_tree.tag_json(tag))


def delete(ctx: Ctx, tag_id: str) -> Response:
    """Deletes the tag and its descendants, and takes them off every content item."""
    caller = ctx.caller()
    _require_admin(caller)
    with ctx.store.mutate() as state:
        tag = tag_tree.find(state, tag_id)
        doomed = {tag["id"], *tag_tree.descendants(state, tag["id"])}
        for gone in doomed:
            del state["tags"][gone]
        for guid, ids in state["content_tags"].items():
            state["content_tags"][guid] = [t for t in ids if t not in doomed]
    return Response(status=204)


def tag_content(ctx: Ctx, tag_id: str) -> Response:
    caller = ctx.caller()
    with ctx.store.read() as state:
        tag = _lookup(state, tag_id)
        items = [c for guid, c in state["content"].items()
                 if tag["id"] in state["content_tags"].get(guid, [])
                 and content.can_view(state, caller, c)]
        items.sort(key=lambda c: int(c["id"]))
        return json_response([content.to_json(ctx, state, caller, c) for c in items])


def content_tags(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    with ctx.store.read() as state:
        content.find_visible(state, caller, guid)
        return json_response(tag_tree.tags_of(state, guid))


def add_content_tag(ctx: Ctx, guid: str) -> Response:
    """Adds the tag and its ancestors (connect-api.md §10); a category alone is 400 code 79."""
    caller = ctx.caller()
    body = _body(ctx)
    with ctx.store.mutate() as state:
        content.find_editable(state, caller, guid)
        tag = tag_tree.find(state, body.get("tag_id"), code=158)
        if tag["parent_id"] is None:
            raise ApiError(79)
        ids = state["content_tags"].setdefault(guid, [])
        for tag_id in [tag["id"], *tag_tree.ancestors(state, tag["id"])]:
            if tag_id not in ids:
                ids.append(tag_id)
        # The spec says Tag[]; posit-sdk's recording (tag-add.json) is the one tag; the
        # recording wins.
        return json_response(tag_tree.tag_json(tag))


def remove_content_tag(ctx: Ctx, guid: str, tag_id: str) -> Response:
    """Removes the tag and its descendants; answers the item's remaining tags (200, Tag[])."""
    caller = ctx.caller()
    with ctx.store.mutate() as state:
        content.find_editable(state, caller, guid)
        tag = tag_tree.find(state, tag_id, code=158)
        doomed = {tag["id"], *tag_tree.descendants(state, tag["id"])}
        ids = state["content_tags"].get(guid, [])
        state["content_tags"][guid] = [t for t in ids if t not in doomed]
        return json_response(tag_tree.tags_of(state, guid))
