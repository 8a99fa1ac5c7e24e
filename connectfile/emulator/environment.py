"""Content environment variables: only names are returned, and only salted digests stored."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import content
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import State


def value_digest(state: State, value: str) -> str:
    """What is stored instead of a value: the emulator never runs apps, so it never needs
    the value itself, and secrets stay out of its data dir (`.connect/local/<target>/` for
    `server = "local"`)."""
    salt = state.setdefault("env_salt", secrets.token_hex(16))
    return "sha256:" + hashlib.sha256((salt + value).encode("utf-8")).hexdigest()


def _parse(body: Any, *, allow_null: bool) -> list[tuple[str, str | None]]:
    if not isinstance(body, list):
        raise ApiError(121)
    pairs: list[tuple[str, str | None]] = []
    for item in body:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) \
                or not item["name"] or set(item) - {"name", "value"}:
            raise ApiError(121)
        value = item.get("value")
        if not (isinstance(value, str) or (value is None and allow_null)):
            raise ApiError(121)
        pairs.append((item["name"], value))
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ApiError(149)
    return pairs


def get(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    with ctx.store.read() as state:
        content.find_editable(state, caller, guid)
        return json_response(sorted(state["env"].get(guid, {})))


def put(ctx: Ctx, guid: str) -> Response:
    """Replace the whole set: variables not listed are removed."""
    caller = ctx.caller()
    pairs = _parse(ctx.json_body(), allow_null=True)
    with ctx.store.mutate() as state:
        content.find_editable(state, caller, guid)
        state["env"][guid] = {n: value_digest(state, v) for n, v in pairs if v is not None}
        return json_response(sorted(state["env"][guid]))


def patch(ctx: Ctx, guid: str) -> Response:
    """Upsert the listed variables; `value: null` deletes one; others are untouched."""
    caller = ctx.caller()
    pairs = _parse(ctx.json_body(), allow_null=True)
    with ctx.store.mutate() as state:
        content.find_editable(state, caller, guid)
        env = state["env"].setdefault(guid, {})
        for name, value in pairs:
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value_digest(state, value)
        return json_response(sorted(env))
