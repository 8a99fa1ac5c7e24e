"""Server discovery and identity: server settings (general, applications, scheduler, runtimes),
the current user, one user, and `__ping__`."""

from __future__ import annotations

from werkzeug.wrappers import Response

from connectfile.emulator import content_rules, users, versions
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError, NoRoute

# Publisher's mock fixture server-settings-scheduler.json; max_processes_limit is the one
# content_rules enforces.
SCHEDULER = {
    "min_processes": 0, "max_processes": 3, "max_conns_per_process": 20, "load_factor": 0.5,
    "init_timeout": 60, "idle_timeout": 120, "min_processes_limit": 0,
    "max_processes_limit": content_rules.MAX_PROCESSES_LIMIT, "connection_timeout": 5,
    "read_timeout": 30, "cpu_request": 0.0, "max_cpu_request": 0.0, "cpu_limit": 0.0,
    "max_cpu_limit": 0.0, "memory_request": 0, "max_memory_request": 0, "memory_limit": 0,
    "max_memory_limit": 0, "amd_gpu_limit": 0, "max_amd_gpu_limit": 0, "nvidia_gpu_limit": 0,
    "max_nvidia_gpu_limit": 0,
}


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
        # A real server lists its runtimes capitalised (rsconnect-python's 2023.11 recording:
        # ["R", "Python", "Quarto"]); the emulator has only Python.
        "runtimes": ["Python"],
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
    # `publishable` marks installations new content may use [guess: the flag is seen on
    # rsconnect-python 1.32's Node.js installations; every emulated one is publishable].
    return json_response({
        "installations": [{"version": v, "cluster_name": "", "image_name": "",
                           "publishable": True}
                          for v in ctx.settings.python_versions],
        "api_enabled": True,
    })


def r_settings(ctx: Ctx) -> Response:
    """No R installations: the emulator builds Python only (Publisher fixture shape)."""
    users.require_publisher(ctx.caller())
    return json_response({"installations": []})


def quarto_settings(ctx: Ctx) -> Response:
    users.require_publisher(ctx.caller())
    return json_response({"installations": []})


def nodejs_settings(ctx: Ctx) -> Response:
    """From 2026.04 only; Publisher reads the 404 of older servers as "no Node.js"."""
    if not ctx.settings.at_least(versions.NODEJS):
        raise NoRoute
    users.require_publisher(ctx.caller())
    return json_response({"installations": [], "enabled": False})


def applications(ctx: Ctx) -> Response:
    """Publisher's fixture server-settings-applications.json. Authentication required
    [guess: the dashboard reads it signed in]."""
    ctx.caller()
    return json_response({"access_types": ["acl", "logged_in", "all"],
                          "run_as": "rstudio-connect", "run_as_group": "",
                          "run_as_current_user": False})


def scheduler(ctx: Ctx, app_mode: str | None = None) -> Response:
    """The same defaults for every app mode [guess: real servers may differ per mode]."""
    ctx.caller()
    return json_response(dict(SCHEDULER))


def ping(ctx: Ctx) -> Response:
    """`GET /__ping__`: anonymous liveness check [guess: body `{}`]."""
    return json_response({})


def current_user(ctx: Ctx) -> Response:
    caller = ctx.caller(allow_locked=True)
    if caller.get("principal"):
        raise ApiError(22)  # a service principal has no user (connect-api.md §1.2)
    return json_response(users.user_json(caller))


def get_user(ctx: Ctx, guid: str) -> Response:
    ctx.caller()
    with ctx.store.read() as state:
        user = state["users"].get(guid)
        if user is None:
            raise ApiError(9)
        return json_response(users.public_json(user))
