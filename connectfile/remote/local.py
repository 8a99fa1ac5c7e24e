"""The product's one seam to the emulator: start a `local` target, or serve one for `emulator`."""

from __future__ import annotations

from connectfile.emulator.context import DEFAULT_VERSION
from connectfile.emulator.faults import FAULTS_FILE, FaultSyntaxError
from connectfile.emulator.local import LOCAL_DIR, local_data_dir, start_local
from connectfile.emulator.server import Emulator
from connectfile.emulator.store import StoreError

__all__ = ["DEFAULT_VERSION", "FAULTS_FILE", "LOCAL_DIR", "Emulator", "FaultSyntaxError",
           "StoreError", "local_data_dir", "start_local"]
