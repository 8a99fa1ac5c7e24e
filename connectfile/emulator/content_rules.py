"""Validation of content settings on create and update (connect-api.md §4.1, §4.3, §4.5)."""

from __future__ import annotations

import re
from typing import Any

from connectfile.emulator.errors import ApiError

ACCESS_TYPES = ("all", "logged_in", "acl")
MAX_TIMEOUT = 2_592_000
MAX_PROCESSES_LIMIT = 20  # Scheduler.MaxProcessesLimit default, connect-api.md §2.2 fixture
MAX_MEMORY = 9_007_198_180_999_168

# Older servers allowed only [A-Za-z0-9_-]{3,64}; 2026 docs add periods (connect-api.md §16: the
# exact current rule was not seen, so periods are a switch).
_NAME_STRICT = re.compile(r"[A-Za-z0-9_-]{3,64}")
_NAME_PERIODS = re.compile(r"[A-Za-z0-9_.-]{3,64}")

_INT = (int,)
_NUM = (int, float)
_TIMEOUTS = ("connection_timeout", "read_timeout", "init_timeout", "idle_timeout")

# field -> (accepted JSON types, nullable)
SETTABLE: dict[str, tuple[tuple[type, ...], bool]] = {
    "name": ((str,), False),
    "title": ((str,), True),
    "description": ((str,), False),
    "access_type": ((str,), False),
    **{t: (_INT, True) for t in _TIMEOUTS},
    "max_processes": (_INT, True),
    "min_processes": (_INT, True),
    "max_conns_per_process": (_INT, True),
    "load_factor": (_NUM, True),
    "cpu_request": (_NUM, True),
    "cpu_limit": (_NUM, True),
    "memory_request": (_INT, True),
    "memory_limit": (_INT, True),
    "amd_gpu_limit": (_INT, True),
    "nvidia_gpu_limit": (_INT, True),
    "service_account_name": ((str,), True),
    "default_image_name": ((str,), True),
    "default_environment_guid": ((str,), True),
    "default_r_environment_management": ((bool,), True),
    "default_py_environment_management": ((bool,), True),
    "run_as": ((str,), True),
    "run_as_current_user": ((bool,), False),
    "draft_marker_enabled": ((bool,), False),
    "metrics_collection_enabled": ((bool,), False),
    "notify_on_share": ((bool,), False),
    "otel_enabled": ((bool,), False),
}
UPDATE_ONLY: dict[str, tuple[tuple[type, ...], bool]] = {
    "locked": ((bool,), False),
    "locked_message": ((str,), False),
    "owner_guid": ((str,), False),
}
READ_ONLY = frozenset({
    "guid", "id", "created_time", "last_deployed_time", "bundle_id", "app_mode",
    "content_category", "parameterized", "cluster_name", "image_name", "environment_guid",
    "r_version", "py_version", "quarto_version", "node_version", "r_environment_management",
    "py_environment_management", "content_url", "dashboard_url", "app_role",
    "public_content_status", "extension", "owner", "tags", "vanity_url",
})


def check_fields(body: Any, *, update: bool,
                 absent: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Type-check a create/update body; unknown fields are refused like strict servers do.

    `absent` names fields this server version does not have yet (versions.CONTENT_FIELDS):
    they are unknown fields to it.
    """
    if not isinstance(body, dict):
        raise ApiError(121)
    allowed = {**SETTABLE, **UPDATE_ONLY} if update else SETTABLE
    for key, value in body.items():
        if key in absent:
            raise ApiError(121, f"The request JSON is invalid: unknown field {key!r}.")
        if key in READ_ONLY:
            raise ApiError(53, f"Immutable field cannot be changed: {key}.")
        if key not in allowed:
            # connect-api.md §1.3: strictness per endpoint is inferred; refusing is the safe double.
            raise ApiError(121, f"The request JSON is invalid: unknown field {key!r}.")
        types, nullable = allowed[key]
        if value is None and nullable:
            continue
        if isinstance(value, bool) and bool not in types:
            raise ApiError(121, f"The request JSON is invalid: {key} has the wrong type.")
        if not isinstance(value, types):
            raise ApiError(121, f"The request JSON is invalid: {key} has the wrong type.")
    return dict(body)


def check_name(name: str, *, allow_periods: bool) -> None:
    # An empty name is accepted on create (connect-api.md §4.3: Publisher relies on it).
    if name == "":
        return
    pattern = _NAME_PERIODS if allow_periods else _NAME_STRICT
    if not pattern.fullmatch(name):
        raise ApiError(5)


def check_values(merged: dict[str, Any], *, allow_periods: bool) -> None:
    """Range rules on the settings as they would be after the change."""
    check_name(merged.get("name") or "", allow_periods=allow_periods)
    title = merged.get("title")
    if title is not None and not 3 <= len(title) <= 1024:
        raise ApiError(122)
    if len(merged.get("description") or "") > 4096:
        raise ApiError(123)
    if merged.get("access_type") not in ACCESS_TYPES:
        raise ApiError(117)
    load_factor = merged.get("load_factor")
    if load_factor is not None and not 0.0 <= load_factor <= 1.0:
        raise ApiError(150)
    for key in _TIMEOUTS:
        value = merged.get(key)
        if value is not None and not 0 <= value <= MAX_TIMEOUT:
            raise ApiError(151)
    low, high = merged.get("min_processes"), merged.get("max_processes")
    if low is not None and low < 0:
        raise ApiError(191)
    if high is not None and high < 1:
        raise ApiError(192)
    if high is not None and high > MAX_PROCESSES_LIMIT:
        raise ApiError(113)
    # Only explicit values are compared; null means "server default" (connect-api.md §1.3).
    if low is not None and high is not None and low > high:
        raise ApiError(114)
    for key, code in (("memory_request", 181), ("memory_limit", 183)):
        value = merged.get(key)
        if value is not None and not 0 <= value <= MAX_MEMORY:
            raise ApiError(code)
    for key, code in (("cpu_request", 186), ("cpu_limit", 188)):
        value = merged.get(key)
        if value is not None and value < 0:
            raise ApiError(code)
