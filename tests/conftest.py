"""Shared fixtures: a running Connect emulator on 127.0.0.1 for any test that needs one.

    def test_something(emulator):             # an Emulator, started on a free port
        emulator.url, emulator.api_key        # "http://127.0.0.1:PORT", the admin's key
        key = emulator.add_user("pat", "publisher")   # or "viewer" / "administrator"
        emulator.set_user("pat", locked=True)         # or confirmed=False
        emulator.faults.fail("POST", "/__api__/v1/content", 503, times=1)

`publisher_key` / `viewer_key` add such a user to the same emulator and return its key.
Deploy tasks run with no delay between output lines so tests stay fast. Every emulator of the
test run, `server = "local"` ones and subprocesses included, has strict bundles: our client
must never send a bundle whose manifest lists missing or different files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectfile.emulator import Emulator
from connectfile.emulator.server import STRICT_ENV

# tests/data holds sample apps, some with their own tests/ folders: data, not tests to run.
collect_ignore = ["data"]

os.environ[STRICT_ENV] = "1"


@pytest.fixture
def emulator_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("emulator-data")


@pytest.fixture
def emulator(emulator_data_dir: Path) -> Iterator[Emulator]:
    with Emulator(emulator_data_dir, task_step_delay=0.0) as emu:
        yield emu


@pytest.fixture
def publisher_key(emulator: Emulator) -> str:
    return emulator.add_user("publisher1", "publisher")


@pytest.fixture
def viewer_key(emulator: Emulator) -> str:
    return emulator.add_user("viewer1", "viewer")
