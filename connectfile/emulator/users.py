"""Users, roles and API keys: who is calling, and the `User` JSON shape."""

from __future__ import annotations

import hashlib
from typing import Any

from connectfile.emulator import clock
from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import State

ROLES = ("administrator", "publisher", "viewer")
BOOTSTRAP_ADMIN = "admin"

# The administrator's list is recorded (rsconnect-python fixture me.json, Connect 2023.11);
# the publisher's and viewer's are subsets of it [guess: not recorded].
_ADMIN_PRIVILEGES = [
    "add_users", "add_vanities", "build_bundles", "change_app_permissions", "change_apps",
    "change_groups", "change_usernames", "change_users", "change_variant_schedule",
    "create_groups", "edit_run_as", "edit_runtime", "lock_users", "manage_repository",
    "publish_apps", "remove_apps", "remove_groups", "remove_users", "remove_vanities",
    "view_app_settings", "view_apps",
]
_PRIVILEGES = {
    "viewer": ["view_apps"],
    "publisher": ["add_vanities", "build_bundles", "change_app_permissions", "change_apps",
                  "create_groups", "edit_runtime", "manage_repository", "publish_apps",
                  "remove_apps", "remove_vanities", "view_app_settings", "view_apps"],
    "administrator": _ADMIN_PRIVILEGES,
}
# Recorded preferences of a fresh administrator (me.json) [guess: the same for every user].
_PREFERENCES = {"hide_jump_start": True, "jump_start_language": "python",
                "hide_auth_origin_help": False}
PUBLIC_FIELDS = ("email", "username", "first_name", "last_name", "user_role", "created_time",
                 "updated_time", "active_time", "confirmed", "locked", "guid")


def key_hash(key: str) -> str:
    # Only hashes are stored, so the state file never holds a usable key.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def add_user(state: State, username: str, role: str, key: str) -> dict[str, Any]:
    """Create `username` with `role` (or give an existing one this role) and accept `key` for it."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    for user in state["users"].values():
        if user["username"] == username:
            user["user_role"] = role
            user["key_hashes"].append(key_hash(key))
            return dict(user)
    stamp = clock.now()
    user = {"guid": clock.new_guid(), "username": username, "email": f"{username}@example.com",
            "first_name": username.capitalize(), "last_name": "", "user_role": role,
            "created_time": stamp, "updated_time": stamp, "active_time": None,
            "confirmed": True, "locked": False, "key_hashes": [key_hash(key)]}
    state["users"][user["guid"]] = user
    return dict(user)


def set_flags(state: State, username: str, *, locked: bool | None = None,
              confirmed: bool | None = None) -> None:
    for user in state["users"].values():
        if user["username"] == username:
            if locked is not None:
                user["locked"] = locked
            if confirmed is not None:
                user["confirmed"] = confirmed
            user["updated_time"] = clock.now()
            return
    raise KeyError(f"no user named {username!r}")


def set_only_key(state: State, username: str, role: str, key: str) -> None:
    """Make `key` the single key of `username` (the bootstrap admin gets a fresh key per start)."""
    add_user(state, username, role, key)
    for user in state["users"].values():
        if user["username"] == username:
            user["key_hashes"] = [key_hash(key)]


def authenticate(state: State, authorization: str | None, *,
                 allow_locked: bool = False) -> dict[str, Any]:
    """The user behind an `Authorization: Key <key>` header, or 401 code 24/30.

    A locked user can still read `GET /v1/user` (clients check `locked` there, connect-api.md §3)
    but nothing else (403 code 50).
    """
    if not authorization:
        raise ApiError(24)
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "key" or not key.strip():
        raise ApiError(24)
    wanted = key_hash(key.strip())
    for user in state["users"].values():
        if wanted in user["key_hashes"]:
            if user["locked"] and not allow_locked:
                raise ApiError(50)
            return user  # type: ignore[no-any-return]
    raise ApiError(30)


def public_json(user: dict[str, Any]) -> dict[str, Any]:
    """The User shape of `/v1/users[/{guid}]` (posit-sdk fixtures v1/users*)."""
    return {f: user[f] for f in PUBLIC_FIELDS}


def user_json(user: dict[str, Any]) -> dict[str, Any]:
    """The `GET /v1/user` shape: the recorded order, with `password` (always ""),
    `preferences` and `privileges` (connect-api.md §3; rsconnect-python fixture me.json)."""
    out = public_json(user)
    out = {**{k: out[k] for k in PUBLIC_FIELDS[:4]}, "password": "",
           **{k: out[k] for k in PUBLIC_FIELDS[4:]}}
    out["preferences"] = dict(_PREFERENCES)
    out["privileges"] = list(_PRIVILEGES[user["user_role"]])
    return out


def require_publisher(user: dict[str, Any]) -> None:
    if user["user_role"] not in ("administrator", "publisher"):
        raise ApiError(22)
