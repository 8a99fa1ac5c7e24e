"""What every request handler gets: the request, the store, the settings, and small helpers."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from connectfile.emulator import users, versions
from connectfile.emulator.errors import ApiError
from connectfile.emulator.store import Store

if TYPE_CHECKING:
    from connectfile.emulator.faults import Faults
    from connectfile.emulator.tasks import TaskRunner

DEFAULT_VERSION = "2025.09.0"


def default_python_versions() -> list[str]:
    """3.10-3.13 plus the interpreter running the emulator (cli.py's documented default)."""
    versions = ["3.10.16", "3.11.11", "3.12.9", "3.13.2"]
    here = platform.python_version()
    if not any(v.rsplit(".", 1)[0] == here.rsplit(".", 1)[0] for v in versions):
        versions.append(here)
    return versions


@dataclass
class Settings:
    """Server behaviour that differs between Connect versions or configurations."""

    version: str = DEFAULT_VERSION
    python_versions: list[str] = field(default_factory=default_python_versions)
    # "minor" is Connect's default matching, "exact" its stricter option (connect-api.md §13.1a).
    python_matching: str = "minor"
    # Seconds between deploy-task output lines.
    task_step_delay: float = 0.05
    allow_periods_in_names: bool = True
    # Reference §16: whether manifest problems fail the upload (400 code 38) or the task is
    # not confirmed; the task is the default.
    manifest_errors_at_upload: bool = False
    # Whether manifest checksums and listed files fail the deploy (Connect: they do not).
    strict_bundles: bool = False
    # Connect's Applications.BundleRetentionLimit: bundles kept per content item, 0 = all
    # (Connect's default).
    bundle_retention_limit: int = 0

    def version_tuple(self) -> tuple[int, ...]:
        return versions.parse(self.version)

    def at_least(self, gate: versions.Version) -> bool:
        """Whether this server's version has the feature introduced at `gate` (versions.py)."""
        return self.version_tuple() >= gate

    def supports_drafts(self) -> bool:
        return self.at_least(versions.DRAFTS)


@dataclass
class Ctx:
    """One request's view of the emulator."""

    request: Request
    store: Store
    settings: Settings
    tasks: TaskRunner
    faults: Faults

    @property
    def base_url(self) -> str:
        return self.request.host_url.rstrip("/")

    def caller(self, *, allow_locked: bool = False) -> dict[str, Any]:
        """The authenticated user (a copy), or 401."""
        with self.store.read() as state:
            return dict(users.authenticate(state, self.request.headers.get("Authorization"),
                                           allow_locked=allow_locked))

    def json_body(self) -> Any:
        raw = self.request.get_data(cache=True)
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting is a 400 too
            raise ApiError(87) from None


def json_response(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value), status=status, content_type="application/json")


def error_response(err: ApiError) -> Response:
    return json_response(err.body(), err.status)
