"""Content items: the Content JSON shape, who may see or change them, and their endpoints."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import acl, clock, content_rules, tag_tree, versions
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import State
from connectfile.emulator.users import require_publisher

# The order real servers use (Publisher's 2026 mock, connect-api.md §4.1).
FIELD_ORDER = (
    "guid", "name", "title", "description", "access_type", "connection_timeout",
    "read_timeout", "init_timeout", "idle_timeout", "max_processes", "min_processes",
    "max_conns_per_process", "load_factor", "cpu_request", "cpu_limit", "memory_request",
    "memory_limit", "amd_gpu_limit", "nvidia_gpu_limit", "service_account_name",
    "default_image_name", "default_environment_guid", "default_r_environment_management",
    "default_py_environment_management", "created_time", "last_deployed_time", "bundle_id",
    "app_mode", "content_category", "parameterized", "cluster_name", "image_name",
    "environment_guid", "r_version", "r_environment_management", "py_version",
    "py_environment_management", "quarto_version", "node_version", "run_as",
    "run_as_current_user", "owner_guid", "content_url", "dashboard_url", "app_role", "id",
    "locked", "locked_message", "draft_marker_enabled", "metrics_collection_enabled",
    "notify_on_share", "otel_enabled", "public_content_status",
)
# Hidden from callers whose role is viewer (connect-api.md §4.2).
RUNTIME_FIELDS = ("cluster_name", "image_name", "environment_guid", "r_version", "py_version",
                  "quarto_version", "node_version", "r_environment_management",
                  "py_environment_management", "service_account_name")
INCLUDES = ("owner", "tags", "vanity_url")


def new_record(state: State, owner_guid: str) -> dict[str, Any]:
    stamp = clock.now()
    record: dict[str, Any] = {f: None for f in FIELD_ORDER}
    for key in ("content_url", "dashboard_url", "app_role"):
        del record[key]
    content_id = str(state["next_content_id"])
    state["next_content_id"] += 1
    record.update(guid=clock.new_guid(), id=content_id, name="", description="",
                  access_type="acl", created_time=stamp, last_deployed_time=stamp,
                  app_mode="unknown", content_category="", parameterized=False,
                  run_as_current_user=False, owner_guid=owner_guid, locked=False,
                  locked_message="", draft_marker_enabled=False,
                  metrics_collection_enabled=True, notify_on_share=False, otel_enabled=False)
    return record


def can_view(state: State, caller: dict[str, Any], record: dict[str, Any]) -> bool:
    return caller["user_role"] == "administrator" or acl.app_role(state, caller, record) != "none"


def find(state: State, guid: str) -> dict[str, Any]:
    record = state["content"].get(guid)
    if record is None:
        raise ApiError(4)
    return record  # type: ignore[no-any-return]


def find_visible(state: State, caller: dict[str, Any], guid: str) -> dict[str, Any]:
    record = find(state, guid)
    if not can_view(state, caller, record):
        raise ApiError(22)
    return record


def _collaborates(state: State, caller: dict[str, Any], record: dict[str, Any]) -> bool:
    return acl.app_role(state, caller, record) in ("owner", "editor")


def find_editable(state: State, caller: dict[str, Any], guid: str) -> dict[str, Any]:
    """Content the caller may change: its owner, a collaborator, or any administrator."""
    record = find_visible(state, caller, guid)
    if caller["user_role"] == "viewer":
        raise ApiError(22)
    if caller["user_role"] != "administrator" and not _collaborates(state, caller, record):
        raise ApiError(22)
    return record


def find_collaborated(state: State, caller: dict[str, Any], guid: str) -> dict[str, Any]:
    """Content the caller may upload to: admins too must be collaborators (connect-api.md §1.2)."""
    record = find_editable(state, caller, guid)
    if not _collaborates(state, caller, record):
        raise ApiError(22)
    return record


def content_url(ctx: Ctx, state: State, record: dict[str, Any]) -> str:
    vanity = state["vanities"].get(record["guid"])
    if vanity is not None:
        return f"{ctx.base_url}{vanity['path']}"
    return f"{ctx.base_url}/content/{record['guid']}/"


def absent_fields(ctx: Ctx) -> frozenset[str]:
    """Content fields this server version does not know (versions.CONTENT_FIELDS)."""
    return frozenset(f for f, since in versions.CONTENT_FIELDS.items()
                     if not ctx.settings.at_least(since))


def to_json(ctx: Ctx, state: State, caller: dict[str, Any], record: dict[str, Any],
            include: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    absent = absent_fields(ctx)
    for key in FIELD_ORDER:
        if key in absent:
            continue
        if key == "content_url":
            out[key] = content_url(ctx, state, record)
        elif key == "dashboard_url":
            out[key] = f"{ctx.base_url}/connect/#/apps/{record['guid']}"
        elif key == "app_role":
            out[key] = acl.app_role(state, caller, record)
        else:
            out[key] = record.get(key)
    if caller["user_role"] == "viewer":
        for key in RUNTIME_FIELDS:
            if key in out:
                out[key] = None
    if "owner" in include:
        owner = state["users"].get(record["owner_guid"], {})
        out["owner"] = {k: owner.get(k) for k in ("guid", "username", "first_name", "last_name")}
    if "tags" in include:
        tags = tag_tree.tags_of(state, record["guid"])
        if tags:  # omitted when there are none (posit-sdk asserts this for 2024.06+)
            out["tags"] = tags
    if "vanity_url" in include and record["guid"] in state["vanities"]:
        out["vanity_url"] = content_url(ctx, state, record)
    return out


def _includes(ctx: Ctx) -> tuple[str, ...]:
    raw = ctx.request.args.get("include", "")
    parts = tuple(p.strip() for p in raw.split(",") if p.strip())
    if any(p not in INCLUDES for p in parts):
        raise ApiError(161)
    return parts


def _body(ctx: Ctx) -> Any:
    body = ctx.json_body()
    return {} if body is None else body  # an empty body changes nothing


def _name_taken(state: State, owner_guid: str, name: str, guid: str | None) -> bool:
    if name == "":
        return False  # connect-api.md §4.3: "" never clashes
    return any(c["owner_guid"] == owner_guid and c["name"] == name and c["guid"] != guid
               for c in state["content"].values())


def list_content(ctx: Ctx) -> Response:
    caller = ctx.caller()
    include = _includes(ctx)
    name = ctx.request.args.get("name")
    owner = ctx.request.args.get("owner_guid")
    with ctx.store.read() as state:
        items = [c for c in state["content"].values()
                 if can_view(state, caller, c)
                 and (name is None or c["name"] == name)
                 and (owner is None or c["owner_guid"] == owner)]
        items.sort(key=lambda c: int(c["id"]))
        return json_response([to_json(ctx, state, caller, c, include) for c in items])


def create(ctx: Ctx) -> Response:
    caller = ctx.caller()
    require_publisher(caller)
    if caller.get("principal"):
        raise ApiError(22)  # trusted publishing reaches existing content only
    body = content_rules.check_fields(_body(ctx), update=False,
                                      absent=absent_fields(ctx))
    with ctx.store.mutate() as state:
        record = new_record(state, caller["guid"])
        record.update(body)
        content_rules.check_values(record, allow_periods=ctx.settings.allow_periods_in_names)
        if _name_taken(state, caller["guid"], record["name"], None):
            raise ApiError(26)
        state["content"][record["guid"]] = record
        return json_response(to_json(ctx, state, caller, record))


def get(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    include = _includes(ctx)
    with ctx.store.read() as state:
        record = find_visible(state, caller, guid)
        return json_response(to_json(ctx, state, caller, record, include))


def update(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    if caller.get("principal"):
        # rsconnect-python #835/#836: a title PATCH broke trusted publishing [guess: any field]
        raise ApiError(22)
    body = content_rules.check_fields(_body(ctx), update=True,
                                      absent=absent_fields(ctx))
    with ctx.store.mutate() as state:
        record = find_editable(state, caller, guid)
        merged = {**record, **body}
        content_rules.check_values(merged, allow_periods=ctx.settings.allow_periods_in_names)
        if merged["owner_guid"] != record["owner_guid"]:
            _check_new_owner(state, caller, merged["owner_guid"])
        if _name_taken(state, merged["owner_guid"], merged["name"], guid):
            raise ApiError(26)
        record.update(body)
        return json_response(to_json(ctx, state, caller, record))


def _check_new_owner(state: State, caller: dict[str, Any], owner_guid: str) -> None:
    if caller["user_role"] != "administrator":
        raise ApiError(66)
    owner = state["users"].get(owner_guid)
    if owner is None:
        raise ApiError(9)
    if owner["user_role"] == "viewer":
        raise ApiError(156)


def delete(ctx: Ctx, guid: str) -> Response:
    caller = ctx.caller()
    with ctx.store.mutate() as state:
        find_editable(state, caller, guid)
        del state["content"][guid]
        state["env"].pop(guid, None)
        state["vanities"].pop(guid, None)
        state["content_tags"].pop(guid, None)
        for perm_id in [p for p, perm in state["permissions"].items()
                        if perm["content_guid"] == guid]:
            del state["permissions"][perm_id]
        doomed = [b for b, rec in state["bundles"].items() if rec["content_guid"] == guid]
        for bundle_id in doomed:
            del state["bundles"][bundle_id]
    for bundle_id in doomed:
        ctx.store.delete_bundle_file(bundle_id)
    return Response(status=204)
