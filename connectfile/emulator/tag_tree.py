"""The tag tree over the stored state: Tag JSON, ancestors, descendants, a content item's tags."""

from __future__ import annotations

from typing import Any

from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import State

TAG_FIELDS = ("id", "name", "parent_id", "created_time", "updated_time")


def tag_json(tag: dict[str, Any]) -> dict[str, Any]:
    """The Tag shape (connect-api.md §10; posit-sdk fixtures v1/tags*.json)."""
    return {k: tag[k] for k in TAG_FIELDS}


def find(state: State, tag_id: Any, code: int = 4) -> dict[str, Any]:
    """The tag, or `code` (4 on the tag routes, 158 where a body names it)."""
    tag = state["tags"].get(str(tag_id)) if isinstance(tag_id, (str, int)) else None
    if tag is None or isinstance(tag_id, bool):
        raise ApiError(code)
    return tag  # type: ignore[no-any-return]


def ancestors(state: State, tag_id: str) -> list[str]:
    """`tag_id`'s parent, grandparent, ... up to its category."""
    out: list[str] = []
    parent = state["tags"][tag_id]["parent_id"]
    while parent is not None and parent not in out:
        out.append(parent)
        parent = state["tags"][parent]["parent_id"]
    return out


def descendants(state: State, tag_id: str) -> list[str]:
    out: list[str] = []
    frontier = [tag_id]
    while frontier:
        current = frontier.pop()
        children = [t for t, tag in state["tags"].items() if tag["parent_id"] == current]
        out += children
        frontier += children
    return out


def tags_of(state: State, content_guid: str) -> list[dict[str, Any]]:
    """The item's tags as Tag JSON, by id."""
    ids = state["content_tags"].get(content_guid, [])
    return [tag_json(state["tags"][t]) for t in sorted(ids, key=int) if t in state["tags"]]


def by_path(state: State, path: str) -> dict[str, Any]:
    """`GET /v1/tags/{path}`: a comma-separated name path from a category (connect-api.md §10)."""
    parent: str | None = None
    tag: dict[str, Any] | None = None
    for name in path.split(","):
        tag = next((t for t in state["tags"].values()
                    if t["parent_id"] == parent and t["name"] == name), None)
        if tag is None:
            raise ApiError(4)
        parent = tag["id"]
    if tag is None:
        raise ApiError(4)
    return tag
