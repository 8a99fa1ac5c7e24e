"""The typed, frozen model of connect.toml that every later stage reads (no I/O, no parsing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

# connect.toml `type` -> Connect app mode (reference/connect-api.md §4.6).
APP_MODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "api": "python-api",
        "flask": "python-api",
        "fastapi": "python-fastapi",
        "shiny": "python-shiny",
        "dash": "python-dash",
        "streamlit": "python-streamlit",
        "bokeh": "python-bokeh",
        "gradio": "python-gradio",
        "panel": "python-panel",
    }
)

# App types whose entrypoint is a file name rather than `module:object`.
FILE_ENTRYPOINT_TYPES: Final = frozenset({"streamlit", "bokeh", "panel"})

DEFAULT_API_KEY_ENV: Final = "CONNECT_API_KEY"
DEFAULT_SERVER_ENV: Final = "CONNECT_SERVER"
IMPLICIT_TARGET: Final = "default"
LOCAL_SERVER: Final = "local"

EMPTY: Final[Mapping[str, str]] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True, slots=True)
class Runtime:
    """Connect scheduler settings; None means not managed by connect.toml."""

    min_processes: int | None = None
    max_processes: int | None = None
    max_conns_per_process: int | None = None
    load_factor: float | None = None
    connection_timeout: int | None = None
    read_timeout: int | None = None
    init_timeout: int | None = None
    idle_timeout: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Resources:
    """Off-host execution settings; memory values are bytes; None means not managed."""

    cpu_request: float | None = None
    cpu_limit: float | None = None
    memory_request: int | None = None
    memory_limit: int | None = None
    amd_gpu_limit: int | None = None
    nvidia_gpu_limit: int | None = None
    default_image_name: str | None = None
    service_account_name: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class FileMapping:
    """A `{from, to}` entry: `source` is relative to the project root, `dest` to the bundle."""

    source: str
    dest: str


@dataclass(frozen=True, kw_only=True, slots=True)
class App:
    """One app, with `[defaults]` and (for a target) `[apps.X.targets.Y]` already merged in.

    Paths are POSIX strings: `path` relative to the project root, `files`, `exclude`,
    `requirements` and a file `entrypoint` relative to the app directory.
    """

    key: str
    type: str
    path: str = "."
    entrypoint: str | None = None
    name: str
    title: str | None = None
    description: str | None = None
    files: tuple[str, ...] = ()
    mappings: tuple[FileMapping, ...] = ()
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] | None = None  # an allowlist; None (or empty): everything
    requirements: str | None = None  # None: found among the dependency sources
    package_manager: str | None = None  # "pip" | "uv" | "none"; None: the server decides
    python: str | None = None
    env: Mapping[str, str] = field(default_factory=lambda: EMPTY)  # mappingproxy is unhashable
    secrets: tuple[str, ...] = ()
    access: str | None = None
    vanity_url: str | None = None
    runtime: Runtime = field(default_factory=Runtime)
    resources: Resources = field(default_factory=Resources)
    guid: str | None = None
    # Who may view / edit and the tags: None leaves that part unmanaged; a tuple (even an
    # empty one) is the whole truth. Entries: "alice" (a username) or "group:analysts".
    viewers: tuple[str, ...] | None = None
    collaborators: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None  # paths in Connect's tag tree, "Finance/Quarterly"
    metadata: Mapping[str, str] = field(default_factory=lambda: EMPTY)  # extra bundle metadata
    git_metadata: bool = True  # send source/repo/branch/commit with bundles (Connect 2025.12+)
    # The target this app was merged for (None: the app without any target). Locating a key
    # (config/locate.py) looks at that target's override first; equality ignores it.
    target: str | None = field(default=None, compare=False)

    @property
    def app_mode(self) -> str:
        return APP_MODES[self.type]

    def settings(self) -> dict[str, Any]:
        """The Connect content fields this app manages, under Connect's field names.

        Keys left unset in connect.toml are absent, so they are never reset on Connect.
        """
        wanted: dict[str, Any] = {"name": self.name}
        if self.title is not None:
            wanted["title"] = self.title
        if self.description is not None:
            wanted["description"] = self.description
        if self.access is not None:
            wanted["access_type"] = self.access
        for group in (self.runtime, self.resources):
            for f in fields(group):
                value = getattr(group, f.name)
                if value is not None:
                    wanted[f.name] = value
        return wanted


@dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """A Connect server to deploy to; `server == "local"` means the embedded emulator."""

    name: str
    server: str | None  # None: read CONNECT_SERVER at run time (implicit target)
    api_key_env: str = DEFAULT_API_KEY_ENV
    ca_bundle: str | None = None  # relative to the project root
    insecure: bool = False
    default: bool = False
    auth: str = "key"  # "key" | "oidc" (trusted publishing, remote/oidc.py)
    audience: str | None = None  # OIDC token audience; None: the server URL
    prune: bool = False  # plan/apply destroy content connectfile deployed for a removed app

    @property
    def is_local(self) -> bool:
        return self.server == LOCAL_SERVER


@dataclass(frozen=True, kw_only=True, slots=True)
class Project:
    """A whole connect.toml.

    `apps` are merged without any target; `target_apps[T]` holds the apps as merged for
    target T (present for every declared target). `lines` maps dotted key paths
    (`apps.web.runtime.max_processes`) to their 1-based line in `source`, so checks made
    after parsing can point at the right line. `path` and `config_bytes` are the file and the
    exact bytes that were parsed: the saved-plan digest is taken from them, never re-read.
    """

    source: str  # the config file's path as shown in messages
    root: Path  # the directory holding connect.toml; a value here, never read by the core
    version: int
    targets: tuple[Target, ...]
    apps: tuple[App, ...]
    target_apps: Mapping[str, tuple[App, ...]] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)
    path: Path | None = None  # the file parsed; None when parsed from text in memory
    config_bytes: bytes = b""  # exactly the bytes parsed (before newline translation)

    def line_of(self, path: str) -> int:
        """The line of `path`, else of its nearest ancestor key, else 0."""
        parts = path.split(".")
        while parts:
            line = self.lines.get(".".join(parts))
            if line:
                return line
            parts.pop()
        return 0

    def app(self, key: str, target: str | None = None) -> App:
        for app in self.apps_for(target):
            if app.key == key:
                return app
        raise KeyError(key)

    def apps_for(self, target: str | None = None) -> tuple[App, ...]:
        if target is None:
            return self.apps
        return self.target_apps.get(target, self.apps)

    def target(self, name: str) -> Target:
        for t in self.targets:
            if t.name == name:
                return t
        raise KeyError(name)
