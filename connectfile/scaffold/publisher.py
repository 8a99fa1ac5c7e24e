"""Posit Publisher's `.posit/publish/*.toml` (format v3) as connect.toml apps (pure).

Field meanings: reference/publisher.md §1.2 (configuration) and §4.1 (deployment records).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from connectfile.config.schema import load_schema
from connectfile.scaffold.peers import ImportedApp, Pin, Skipped, app_key, app_table

# Publisher `type` -> connect.toml `type` (publisher.md §1.4); other types are not Python apps.
TYPES: Final[Mapping[str, str]] = {
    "python-flask": "flask",
    "python-fastapi": "fastapi",
    "python-shiny": "shiny",
    "python-dash": "dash",
    "python-streamlit": "streamlit",
    "python-bokeh": "bokeh",
    "python-gradio": "gradio",
    "python-panel": "panel",
}
RUNTIME_KEYS: Final = ("min_processes", "max_processes", "max_conns_per_process", "load_factor",
                       "connection_timeout", "read_timeout", "init_timeout", "idle_timeout")
RESOURCE_KEYS: Final = ("cpu_request", "cpu_limit", "memory_request", "memory_limit",
                        "amd_gpu_limit", "nvidia_gpu_limit", "default_image_name",
                        "service_account_name")
# Publisher names new configurations "<title>-XXXX" (publisher.md §1.1); the key drops the suffix.
_GENERATED_SUFFIX: Final = re.compile(r"-[A-Z0-9]{4}$")
DEFAULT_PACKAGE_FILE: Final = "requirements.txt"
# Values that are Publisher's defaults, and mean what connectfile does anyway.
_DEFAULTS: Final[Mapping[str, tuple[Any, ...]]] = {"validate": (True,),
                                                   "has_parameters": (False,)}
# Keys Publisher writes that need nothing in connect.toml.
_SILENT: Final = frozenset({"$schema", "type", "entrypoint", "title", "description", "files",
                            "environment", "secrets", "python", "connect", "comments",
                            "product_type"})


def supported(key: str) -> bool:
    """Whether this connectfile's schema has app key `key` (older ones lack `include`...)."""
    return key in load_schema()["$defs"]["app"]["properties"]


def from_config(
    name: str, config: Mapping[str, Any], *, path: str, source: str,
    records: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> ImportedApp | Skipped:
    """The app for configuration `name` (the file stem) of the project at `path`.

    `records` are (file, parsed record) pairs of that project; those naming this
    configuration and holding a content id become pins.
    """
    kind = config.get("type")
    if config.get("product_type", "connect") != "connect":
        return Skipped(source=source, reason=f"product_type {config['product_type']!r} is not "
                       "Posit Connect (connectfile deploys to Connect only)")
    if kind not in TYPES:
        return Skipped(source=source, reason=f"type {kind!r} is not a Python app or API "
                       f"(connectfile deploys {', '.join(TYPES)})")
    ours = TYPES[str(kind)]
    table = app_table(ours, path, config.get("entrypoint"))
    dropped: list[str] = []
    title = config.get("title")
    if isinstance(title, str) and title:
        if 3 <= len(title) <= 1024:
            table["title"] = title
        else:
            dropped.append(f"title = {title!r} (connect.toml titles are 3 to 1024 characters)")
    if isinstance(config.get("description"), str) and config["description"]:
        table["description"] = config["description"]
    _files(config.get("files"), table, dropped)
    python = config.get("python")
    if isinstance(python, Mapping):
        _python(python, table, dropped)
    environment = config.get("environment")
    if isinstance(environment, Mapping) and environment:
        table["env"] = {str(k): str(v) for k, v in environment.items()}
    secrets = config.get("secrets")
    if isinstance(secrets, list) and secrets:
        table["secrets"] = [str(s) for s in secrets]
    connect = config.get("connect")
    if isinstance(connect, Mapping):
        _connect(connect, table, dropped)
    for key in config:
        if key not in _SILENT and config[key] not in _DEFAULTS.get(key, ()):
            dropped.append(_unmapped(key, config[key]))
    pins = tuple(
        Pin(server_url=str(record["server_url"]), guid=str(record["id"]), source=file,
            deployed_at=str(record.get("deployed_at", "")))
        for file, record in records
        if record.get("configuration_name") == name and record.get("id")
        and isinstance(record.get("server_url"), str)
    )
    key = app_key(_GENERATED_SUFFIX.sub("", name) or name)
    return ImportedApp(key=key, table=table, source=source, pins=pins, dropped=tuple(dropped))


def _files(files: Any, table: dict[str, Any], dropped: list[str]) -> None:
    if not isinstance(files, list):
        return
    # Publisher lists its own config and records so collaborators can redeploy a downloaded
    # bundle (publisher.md §3 rule 6); connectfile never bundles .posit/, so they are noise.
    patterns = [str(p) for p in files
                if not str(p).lstrip("!/").startswith(".posit/") and str(p).strip()]
    if not patterns or patterns in (["*"], ["/*"], ["**"]):
        return  # Publisher's "everything": connectfile's default
    if supported("include"):
        table["include"] = patterns
    else:
        dropped.append(f"files = {patterns!r} (this connectfile has no include allowlist; "
                       "use exclude)")


def _python(python: Mapping[str, Any], table: dict[str, Any], dropped: list[str]) -> None:
    version = python.get("version")
    if isinstance(version, str) and version:
        table["python"] = ".".join(version.split(".")[:3])
    package_file = python.get("package_file")
    if isinstance(package_file, str) and package_file and package_file != DEFAULT_PACKAGE_FILE:
        table["requirements"] = package_file
    manager = python.get("package_manager")
    if isinstance(manager, str) and manager:
        if supported("package_manager"):
            table["package_manager"] = manager
        elif manager != "pip":  # pip is what connectfile's manifests name anyway
            dropped.append(f"python.package_manager = {manager!r} (connectfile's manifests "
                           "name pip; the server decides)")
    if python.get("requires_python"):
        dropped.append(f"python.requires_python = {python['requires_python']!r} (set python "
                       "to the version to deploy)")


def _connect(connect: Mapping[str, Any], table: dict[str, Any], dropped: list[str]) -> None:
    for section, ours, keys in (("runtime", "runtime", RUNTIME_KEYS),
                                ("kubernetes", "resources", RESOURCE_KEYS)):
        values = connect.get(section)
        if not isinstance(values, Mapping):
            continue
        kept = {k: v for k, v in values.items() if k in keys}
        if section == "runtime" and kept.get("min_processes") == 0:
            # Publisher allows 0, Connect's default; connect.toml asks for at least 1.
            del kept["min_processes"]
            dropped.append("connect.runtime.min_processes = 0 (Connect's default; "
                           "connect.toml leaves it unmanaged)")
        if kept:
            table[ours] = kept
        for key in values:
            if key not in keys:
                dropped.append(f"connect.{section}.{key} (not managed by connectfile)")
    for section in connect:
        if section not in ("runtime", "kubernetes"):
            dropped.append(f"[connect.{section}] (not managed by connectfile)")


def _unmapped(key: str, value: Any) -> str:
    reasons = {
        "validate": "connectfile waits for the deploy task instead of requesting the URL",
        "has_parameters": "a parameterised report setting",
        "integration_requests": "OAuth integrations are not managed by connectfile",
        "source": "rendered content is not deployed by connectfile",
        "r": "R content is not deployed by connectfile",
        "quarto": "Quarto content is not deployed by connectfile",
        "jupyter": "notebooks are not deployed by connectfile",
    }
    shown = f"{key} = {str(value).lower()}" if isinstance(value, bool) else f"[{key}]" \
        if isinstance(value, Mapping) else key
    return f"{shown} ({reasons.get(key, 'no connect.toml equivalent')})"
