"""`GET /v1/content/{guid}/lockfile` (Connect 2025.12+): the active bundle's Python packages."""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from connectfile.emulator import content, versions
from connectfile.emulator.archive import ArchiveError, read_files
from connectfile.emulator.context import Ctx
from connectfile.emulator.errors import ApiError, NoRoute


def _package_file(manifest: object) -> str:
    python = manifest.get("python") if isinstance(manifest, dict) else None
    manager = python.get("package_manager") if isinstance(python, dict) else None
    name = manager.get("package_file") if isinstance(manager, dict) else None
    return name if isinstance(name, str) else "requirements.txt"


def get(ctx: Ctx, guid: str) -> Response:
    if not ctx.settings.at_least(versions.LOCKFILE):
        raise NoRoute
    caller = ctx.caller()
    with ctx.store.read() as state:
        record = content.find_visible(state, caller, guid)
        bundle_id, py_version = record["bundle_id"], record["py_version"]
    if bundle_id is None or py_version is None:
        # [guess] nothing deployed means no environment and so no lockfile.
        raise ApiError(4)
    try:
        files = read_files(ctx.store.read_bundle(bundle_id) or b"")
    except ArchiveError:
        raise ApiError(4) from None
    try:
        manifest = json.loads(files.get("manifest.json", b"{}"))
    except ValueError:
        manifest = {}
    # The emulator installs nothing, so the "lock" is the bundle's own requirement lines
    # [guess: a real server lists what pip resolved, pinned].
    lines = [line.split("#", 1)[0].strip()
             for line in files.get(_package_file(manifest), b"").decode("utf-8", "replace")
             .splitlines()]
    body = "".join(f"{line}\n" for line in lines if line and not line.startswith("-"))
    # Header format from posit-sdk (publisher.md §7.2, connect-api.md §12).
    return Response(body, content_type="text/plain; charset=utf-8",
                    headers={"Generated-By": f"connect; python={py_version}"})
