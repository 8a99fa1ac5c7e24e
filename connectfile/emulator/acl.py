"""Who may do what with a content item: its owner, its ACL (users and groups), its access type."""

from __future__ import annotations

from typing import Any

from connectfile.emulator.store import State


def acl_role(state: State, user_guid: str, content_guid: str) -> str | None:
    """`owner` (collaborator), `viewer`, or None, from the item's permissions (connect-api.md
    §11), a group's permission counting for each of its members."""
    groups = {g for g, group in state["groups"].items() if user_guid in group["members"]}
    found = None
    for perm in state["permissions"].values():
        if perm["content_guid"] != content_guid:
            continue
        if (perm["principal_type"] == "user" and perm["principal_guid"] == user_guid) or \
                (perm["principal_type"] == "group" and perm["principal_guid"] in groups):
            if perm["role"] == "owner":
                return "owner"
            found = "viewer"
    return found


def app_role(state: State, caller: dict[str, Any], record: dict[str, Any]) -> str:
    """The caller's `app_role`: owner, editor (a collaborator), viewer or none."""
    if record["owner_guid"] == caller["guid"]:
        return "owner"
    if caller.get("principal") and record["guid"] in caller.get("granted", ()):
        return "editor"  # trusted publishing grants a principal existing content only
    role = acl_role(state, caller["guid"], record["guid"])
    if role == "owner":
        return "editor"
    if role == "viewer" or record["access_type"] in ("all", "logged_in"):
        return "viewer"
    return "none"
