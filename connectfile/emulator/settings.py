"""Server discovery and identity endpoints: server settings, Python installations, users."""

from __future__ import annotations

from werkzeug.wrappers import Response

from connectfile.emulator import users
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError


def server_settings(ctx: Ctx) -> Response:
    # Anonymous access is assumed (connect-api.md §16); the field set follows §2.1.
    s = ctx.settings
    return json_response({
        "version": s.version,
        "build": f"v{s.version}",
        "about": f"Posit Connect v{s.version} (connectfile emulator)",
        "hostname": "connectfile-emulator",
        "license": {"allow-apis": True, "current-user-execution": False,
                    "enable-launcher": False, "oauth-integrations": False, "tier": "emulator"},
        "runtimes": ["python"],
        "git_enabled": False,
        "git_available": False,
        "execution_type": "native",
        "enable_runtime_constraints": False,
        "enable_image_management": False,
        "enable_runtime_cache_management": False,
        "default_image_selection_enabled": False,
        "default_environment_management_selection": True,
        "default_r_environment_management": True,
        "default_py_environment_management": True,
        "oauth_integrations_enabled": False,
        "dashboard_path": "/connect",
        "prohibited_usernames": ["connect", "apps", "users", "groups", "content", "__api__"],
        "authentication": {"name": "api-key", "handles_credentials": False},
        "maximum_app_image_size": 10_000_000,
    })


def python_settings(ctx: Ctx) -> Response:
    users.require_publisher(ctx.caller())
    return json_response({
        "installations": [{"version": v, "cluster_name": "", "image_name": ""}
                          for v in ctx.settings.python_versions],
        "api_enabled": True,
    })


def current_user(ctx: Ctx) -> Response:
    return json_response(users.user_json(ctx.caller(allow_locked=True)))


def get_user(ctx: Ctx, guid: str) -> Response:
    ctx.caller()
    with ctx.store.read() as state:
        user = state["users"].get(guid)
        if user is None:
            raise ApiError(9)
        out = users.user_json(user)
    del out["privileges"]
    return json_response(out)
