"""`server = "local"`: an emulator started in-process, with each target's data in its own
`.connect/local/<target>/`."""

from __future__ import annotations

import os
from pathlib import Path

from connectfile.emulator import clock
from connectfile.emulator.faults import FaultSyntaxError
from connectfile.emulator.server import Emulator
from connectfile.emulator.store import StoreError, atomic_write
from connectfile.errors import ConnectfileError

LOCAL_DIR = Path(".connect") / "local"
KEY_FILE = "admin-key"
# Bundles a local target keeps per app (Connect's Applications.BundleRetentionLimit, which
# Connect's docs show set to 3); every apply uploads one, so without a limit the data dir grows
# without end.
LOCAL_BUNDLE_RETENTION = 3


def local_data_dir(target: str) -> Path:
    """A local target's data dir, relative to the project root: `.connect/local/<target>`."""
    return LOCAL_DIR / target


def _admin_key(data_dir: Path) -> str:
    """The internal administrator key: made once, kept (owner-only) in the data dir."""
    path = data_dir / KEY_FILE
    if path.exists():
        key = path.read_text("utf-8").strip()
        if key:
            return key
    key = clock.new_api_key()
    atomic_write(path, key.encode("utf-8"))
    os.chmod(path, 0o600)
    return key


def start_local(project_root: Path, target: str) -> Emulator:
    """Start (and return) the local emulator of `target` on a free loopback port.

    Each local target has its own data dir, so one target never sees another's content.
    """
    relative = local_data_dir(target)
    data_dir = project_root / relative
    data_dir.mkdir(parents=True, exist_ok=True)
    ignore = project_root / LOCAL_DIR / ".gitignore"
    if not ignore.exists():
        # Emulator state and bundles are machine-local; keep them out of the user's repository.
        atomic_write(ignore, b"*\n")
    try:
        emulator = Emulator(data_dir, api_key=_admin_key(data_dir), host="127.0.0.1", port=0,
                            bundle_retention_limit=LOCAL_BUNDLE_RETENTION)
    except (StoreError, FaultSyntaxError) as exc:
        # The one place the emulator meets the CLI's error model: one line, exit 1.
        raise ConnectfileError(f"{exc} (it is the local emulator's; deleting "
                               f"{relative} starts it afresh)") from None
    return emulator.start()
