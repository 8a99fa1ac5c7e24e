"""Bundle checks a deploy task runs, with the log lines and Connect-like failure messages."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from connectfile.emulator import pyversions, versions
from connectfile.emulator.archive import ArchiveError, read_files
from connectfile.emulator.context import Settings

PYTHON_MODES = versions.APP_MODES
OTHER_MODES = versions.OTHER_MODES
# Modes whose entrypoint names a file rather than a `module:object`.
FILE_ENTRYPOINT_MODES = frozenset({"python-streamlit", "python-bokeh", "python-panel",
                                    "jupyter-static", "jupyter-voila"})
_BUILD_LINE = {
    "python-api": "Building Python API...", "python-fastapi": "Building Python API...",
    "python-dash": "Building Dash application...",
    "python-streamlit": "Building Streamlit application...",
    "python-bokeh": "Building Bokeh application...",
    "python-shiny": "Building Shiny application...",
    "jupyter-static": "Building Jupyter notebook...",
}


class CheckFailed(Exception):
    """The bundle cannot be deployed; the message becomes the task's `error`."""

    def __init__(self, message: str, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.lines = lines or []  # the log written before the failure


@dataclass
class BuildResult:
    app_mode: str
    py_version: str
    content_category: str
    lines: list[str] = field(default_factory=list)


def manifest_of(data: bytes) -> dict[str, Any] | None:
    """The parsed manifest, or None when it cannot be read (the task reports why)."""
    try:
        files = read_files(data)
        manifest = json.loads(files["manifest.json"])
    except (ArchiveError, KeyError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def entrypoint_file(entrypoint: str, files: dict[str, bytes]) -> str | None:
    """The bundle file an entrypoint refers to, or None when it is missing.

    A file name (`app.py`, `report.ipynb`) names itself; otherwise it is a module, optionally
    with `:object`: `app` is `app.py`, `pkg.mod:app` is `pkg/mod.py` (or a package's
    `__init__.py`). rsconnect-python writes the module form (`app`) even for Streamlit, Bokeh
    and Panel, whose entrypoint is a script.
    """
    if entrypoint in files:
        return entrypoint
    if entrypoint.startswith(EXPRESS_PREFIX):
        # Shiny Express: py-shiny serves `shiny.express.app:<escaped file name>`
        # (reference/rsconnect-python.md §1.3, observed `app_2e_py` for app.py).
        name = _unescape(entrypoint[len(EXPRESS_PREFIX):])
        return name if name in files else None
    base = entrypoint.split(":", 1)[0].replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if candidate in files:
            return candidate
    return None


EXPRESS_PREFIX = "shiny.express.app:"
_ESCAPE = re.compile(r"_([0-9a-f]+)_")


def _unescape(name: str) -> str:
    """`app_2e_py` -> `app.py`: each `_<hex>_` is the character with that code."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), name)


def _load_manifest(files: dict[str, bytes]) -> dict[str, Any]:
    if "manifest.json" not in files:
        raise CheckFailed("Cannot process manifest: manifest.json is missing from the root "
                          "of the bundle")
    try:
        manifest = json.loads(files["manifest.json"])
    except ValueError as exc:
        raise CheckFailed(f"Cannot process manifest: manifest.json is not valid JSON ({exc})"
                          ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("metadata"), dict):
        raise CheckFailed("Cannot process manifest: manifest.json has no metadata section")
    return manifest


def _app_mode(manifest: dict[str, Any], settings: Settings) -> str:
    mode = manifest["metadata"].get("appmode")
    if isinstance(mode, str) and mode in PYTHON_MODES and settings.at_least(PYTHON_MODES[mode]):
        return mode
    if isinstance(mode, str) and mode in OTHER_MODES and settings.at_least(OTHER_MODES[mode]):
        # The emulator only offers Python (its server_settings list no R or Quarto).
        raise CheckFailed(f"Unable to deploy {mode} content: this server has no runtime "
                          "for it (the emulator offers Python only)")
    # Wording from Posit Publisher's troubleshooting docs (connect-api.md §13.2).
    raise CheckFailed("Cannot process manifest: Unrecognized app mode")


def _python(manifest: dict[str, Any], settings: Settings,
            lines: list[str]) -> tuple[str, str]:
    """(chosen installation, package file)."""
    python = manifest.get("python")
    if not isinstance(python, dict) or not isinstance(python.get("version"), str):
        raise CheckFailed("Cannot process manifest: Python content needs python.version")
    requested = python["version"]
    lines.append(f"Bundle requested Python version {requested}")
    requires = None
    env = manifest.get("environment")
    if settings.at_least(versions.PYTHON_REQUIRES) and isinstance(env, dict) \
            and isinstance(env.get("python"), dict):
        requires = env["python"].get("requires")
    try:
        chosen = pyversions.choose(requested, requires if isinstance(requires, str) else None,
                                   settings.python_versions, settings.python_matching)
    except ValueError as exc:
        raise CheckFailed(f"Cannot process manifest: {exc}") from None
    if chosen is None:
        wanted = f"{requested} ({requires})" if requires else requested
        # Wording recorded from a Connect task (rsconnect-python's deploy record fixture).
        raise CheckFailed("Cannot find compatible environment: no compatible Local "
                          f"environment with Python version {wanted}")
    manager = python.get("package_manager")
    package_file = "requirements.txt"
    if isinstance(manager, dict) and isinstance(manager.get("package_file"), str):
        package_file = manager["package_file"]
    return chosen, package_file


def _checksums(manifest: dict[str, Any], files: dict[str, bytes], settings: Settings,
               lines: list[str]) -> None:
    """Listed files that are missing or differ. Connect checks neither (rsconnect-python#429,
    connect-extensions#265), so by default each is a warning line in the task; with
    `strict_bundles` the deploy fails, for clients (like ours) that must never send such a
    bundle. [guess: the warning wording is the emulator's own]"""
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        return
    for name, info in sorted(listed.items()):
        want = info.get("checksum") if isinstance(info, dict) else None
        have = hashlib.md5(files[name]).hexdigest() if name in files else None
        if have is None:
            # Wording follows shinyapps.io's message (connect-api.md §13.2).
            problem = f"Bundle does not contain manifest file: {name}"
        elif isinstance(want, str) and want != have:
            problem = (f"Bundle file {name} does not match the checksum in manifest.json "
                       f"(manifest {want}, file {have})")
        else:
            continue
        if settings.strict_bundles:
            raise CheckFailed(problem)
        lines.append(f"Warning: {problem} (Connect does not check this; the emulator's "
                     "--strict-bundles would fail the deploy)")


def check_bundle(data: bytes | None, settings: Settings) -> BuildResult:
    """Everything Connect verifies before it builds; raise CheckFailed with its message."""
    lines: list[str] = []
    try:
        return _check(data, settings, lines)
    except CheckFailed as exc:
        exc.lines = lines
        raise


def _check(data: bytes | None, settings: Settings, lines: list[str]) -> BuildResult:
    if data is None:
        raise CheckFailed("Unable to extract the bundle: the bundle file is gone")
    try:
        files = read_files(data)
    except ArchiveError as exc:
        raise CheckFailed(f"Unable to extract the bundle: {exc}") from None
    manifest = _load_manifest(files)
    mode = _app_mode(manifest, settings)
    lines.append(_BUILD_LINE.get(mode, "Building Python application..."))
    chosen, package_file = _python(manifest, settings, lines)
    lines.append(f"Using /opt/python/{chosen}/bin/python3 from Local which has version {chosen}")
    entrypoint = manifest["metadata"].get("entrypoint")
    if not isinstance(entrypoint, str) or not entrypoint:
        if mode in FILE_ENTRYPOINT_MODES:
            raise CheckFailed("Cannot process manifest: metadata.entrypoint is missing")
        entrypoint = "app"  # Connect's default module for Python APIs [inferred]
    if entrypoint_file(entrypoint, files) is None:
        raise CheckFailed(f"Cannot find the entrypoint {entrypoint!r} in the bundle "
                          f"(looked for {_expected_file(entrypoint)})")
    if package_file not in files:
        raise CheckFailed(f"An error occurred while building your content: the package file "
                          f"{package_file} is missing from the bundle")
    _checksums(manifest, files, settings, lines)
    for raw in files[package_file].decode("utf-8", "replace").splitlines():
        requirement = raw.split("#", 1)[0].strip()
        if requirement and not requirement.startswith("-"):
            lines.append(f"Collecting {requirement}")
    lines.append("Packages are not installed: this is the connectfile emulator")
    category = manifest["metadata"].get("content_category")
    return BuildResult(app_mode=mode, py_version=chosen,
                       content_category=category if isinstance(category, str) else "",
                       lines=lines)


def _expected_file(entrypoint: str) -> str:
    if entrypoint.endswith((".py", ".ipynb")):
        return entrypoint
    if entrypoint.startswith(EXPRESS_PREFIX):
        return _unescape(entrypoint[len(EXPRESS_PREFIX):])
    return entrypoint.split(":", 1)[0].replace(".", "/") + ".py"
