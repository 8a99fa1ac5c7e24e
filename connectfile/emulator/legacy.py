"""The v0 `GET /__api__/applications/{id}` that rsconnect-python uses for `--app-id <number>`."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import acl, content
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import State

# Legacy numeric app modes (connect-api.md §4.6).
ORDINALS = {
    "unknown": 0, "shiny": 1, "rmd-shiny": 2, "rmd-static": 3, "static": 4, "api": 5,
    "tensorflow-saved-model": 6, "jupyter-static": 7, "python-api": 8, "python-dash": 9,
    "python-streamlit": 10, "python-bokeh": 11, "python-fastapi": 12, "quarto-shiny": 13,
    "quarto-static": 14, "python-shiny": 15, "jupyter-voila": 16, "python-gradio": 17,
    "python-panel": 18, "nodejs": 20,
}
_COPIED = (
    "guid", "access_type", "connection_timeout", "read_timeout", "init_timeout",
    "idle_timeout", "max_processes", "min_processes", "max_conns_per_process", "load_factor",
    "memory_request", "memory_limit", "cpu_request", "cpu_limit", "amd_gpu_limit",
    "nvidia_gpu_limit", "name", "title", "content_category", "created_time",
    "last_deployed_time", "cluster_name", "image_name", "default_image_name",
    "service_account_name", "r_version", "py_version", "quarto_version",
    "r_environment_management", "default_r_environment_management",
    "py_environment_management", "default_py_environment_management", "run_as",
    "run_as_current_user", "description", "owner_guid",
)


def _v0(ctx: Ctx, state: State, caller: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The fields of rsconnect-python's ContentItemV0 (models.py); integers where v0 had them."""
    owner = state["users"].get(record["owner_guid"], {})
    out: dict[str, Any] = {"id": int(record["id"])}
    out.update({k: record.get(k) for k in _COPIED})
    out.update(
        url=content.content_url(ctx, state, record),
        vanity_url=record["guid"] in state["vanities"],
        bundle_id=int(record["bundle_id"]) if record["bundle_id"] else None,
        app_mode=ORDINALS.get(record["app_mode"], 0),
        has_parameters=bool(record.get("parameterized")),
        build_status=2 if record["bundle_id"] else 0,  # [guess] the v0 enum is not recorded
        EnvironmentJson=None, app_role=acl.app_role(state, caller, record),
        owner_first_name=owner.get("first_name", ""), owner_last_name=owner.get("last_name", ""),
        owner_username=owner.get("username", ""), owner_email=owner.get("email", ""),
        owner_locked=bool(owner.get("locked")), is_scheduled=False, git=None,
    )
    return out


def get(ctx: Ctx, app_id: str) -> Response:
    """By numeric id (or guid, which v0 also took [guess])."""
    caller = ctx.caller()
    with ctx.store.read() as state:
        match = next((c for c in state["content"].values()
                      if app_id in (c["id"], c["guid"])), None)
        if match is None:
            raise ApiError(4)
        record = content.find_visible(state, caller, match["guid"])
        return json_response(_v0(ctx, state, caller, record))
