"""The `emulator` command: serve a local Connect double until interrupted."""

from __future__ import annotations

import threading
from pathlib import Path

from connectfile.errors import UsageError
from connectfile.remote.local import (
    DEFAULT_VERSION,
    FAULTS_FILE,
    Emulator,
    FaultSyntaxError,
    StoreError,
)


def _versions(text: str | None) -> list[str] | None:
    if text is None:
        return None
    versions = [v.strip() for v in text.split(",") if v.strip()]
    for version in versions:
        if not all(part.isdigit() for part in version.split(".")) or version.count(".") < 1:
            raise UsageError(f"--python-versions: {version!r} is not a version like "
                             "3.11.9; give a comma-separated list such as 3.11.9,3.12.4")
    if not versions:
        raise UsageError("--python-versions is empty; give e.g. 3.11.9,3.12.4")
    return versions


def _connect_version(text: str | None) -> str:
    if text is None:
        return DEFAULT_VERSION
    parts = text.strip().split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise UsageError(f"--version: {text!r} is not a Connect version like 2025.09.0")
    return text.strip()


def run(*, host: str, port: int, data_dir: Path, api_key: str | None,
        python_versions: str | None, connect_version: str | None = None,
        strict_bundles: bool = False, bundle_retention: int = 0) -> int:
    versions = _versions(python_versions)
    version = _connect_version(connect_version)
    if bundle_retention < 0:
        raise UsageError("--bundle-retention: give 0 (keep all) or a positive number")
    try:
        emulator = Emulator(data_dir, api_key=api_key, python_versions=versions, host=host,
                            port=port, log_requests=True, version=version,
                            strict_bundles=True if strict_bundles else None,
                            bundle_retention_limit=bundle_retention)
    except (StoreError, FaultSyntaxError) as exc:
        raise UsageError(f"--data-dir: {exc}") from None
    try:
        emulator.start()
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                         "pick another --port") from None
    print(f"Connect emulator (as Connect {version}) listening on {emulator.url}")
    if api_key is None:
        # Generated for this run only; printing it is the point (the user needs it).
        print(f"Administrator API key: {emulator.api_key}")
    else:
        print("Administrator API key: the one given with --api-key")
    print(f"Data directory: {data_dir} (faults: {data_dir / FAULTS_FILE})")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    finally:
        emulator.stop()
    return 0
