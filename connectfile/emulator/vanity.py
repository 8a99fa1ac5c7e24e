"""Vanity URLs: one normalised path per content item, unique and not nested in another."""

from __future__ import annotations

import re
from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import clock, content
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError

_ALLOWED = re.compile(r"[A-Za-z0-9_/-]+")
# Reserved top-level paths (connect-api.md §9) plus the dashboard path.
_RESERVED = ("favicon.ico", "connect", "apps", "users", "groups", "setpassword",
             "user-completion", "confirm", "recent", "reports", "plots", "unpublished",
             "settings", "metrics", "tokens", "help", "login", "welcome", "register",
             "resetpassword", "content")


MAX_PATH = 1024


def normalise(path: str) -> str:
    """`team/app` -> `/team/app/`; 400 code 52 when Connect would refuse the path."""
    clean = "/" + path.strip("/") + "/"
    first = clean.strip("/").split("/")[0]
    # A length limit of our own (Connect's is not documented): a path is a URL prefix.
    if len(clean) > MAX_PATH or clean == "/" or "//" in clean or not _ALLOWED.fullmatch(clean) \
            or clean.startswith("/__") or first in _RESERVED:
        raise ApiError(52)
    return clean


def _overlaps(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def get(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    with ctx.store.read() as state:
        content.find_visible(state, caller, guid)
        vanity = state["vanities"].get(guid)
        if vanity is None:
            raise ApiError(4)  # connect-api.md §9 says 404; code 4 is a guess
        return json_response(vanity)


def put(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    body: Any = ctx.json_body()
    if not isinstance(body, dict) or not isinstance(body.get("path"), str) \
            or not isinstance(body.get("force", False), bool):
        raise ApiError(121)
    path = normalise(body["path"])
    with ctx.store.mutate() as state:
        content.find_editable(state, caller, guid)
        for other_guid, other in list(state["vanities"].items()):
            if other_guid == guid or not _overlaps(path, other["path"]):
                continue
            if body.get("force") and other["path"] == path:
                content.find_editable(state, caller, other_guid)
                del state["vanities"][other_guid]
            else:
                raise ApiError(51)
        vanity = {"content_guid": guid, "path": path, "created_time": clock.now()}
        state["vanities"][guid] = vanity
        return json_response(vanity)


def delete(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    with ctx.store.mutate() as state:
        content.find_editable(state, caller, guid)
        state["vanities"].pop(guid, None)
    return Response(status=204)


def list_all(ctx: Ctx) -> Response:
    """`GET /v1/vanities`: every vanity URL, for administrators (connect-api.md §9)."""
    caller = ctx.caller()
    if caller["user_role"] != "administrator":
        raise ApiError(22)
    with ctx.store.read() as state:
        return json_response(sorted(state["vanities"].values(), key=lambda v: v["path"]))
