"""`server = "local"`: an emulator started in-process with its data under `.connect/local/`."""

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


def start_local(project_root: Path) -> Emulator:
    """Start (and return) the project's local emulator on a free loopback port."""
    data_dir = project_root / LOCAL_DIR
    data_dir.mkdir(parents=True, exist_ok=True)
    ignore = data_dir / ".gitignore"
    if not ignore.exists():
        # Emulator state and bundles are machine-local; keep them out of the user's repository.
        atomic_write(ignore, b"*\n")
    try:
        emulator = Emulator(data_dir, api_key=_admin_key(data_dir), host="127.0.0.1", port=0)
    except (StoreError, FaultSyntaxError) as exc:
        # The one place the emulator meets the CLI's error model: one line, exit 1.
        raise ConnectfileError(f"{exc} (it is the local emulator's; deleting "
                               f"{LOCAL_DIR} starts it afresh)") from None
    return emulator.start()
