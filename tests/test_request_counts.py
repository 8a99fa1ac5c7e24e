"""Round trips: the plan right after an apply downloads no manifest (apply cached them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_plan_command import apply, project

from connectfile.cli import main
from connectfile.remote.client import ConnectClient

__all__ = ["project"]  # the fixture: a deployable three-app repo on the emulator


def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request a ConnectClient sends from now on, as `METHOD path`."""
    calls: list[str] = []
    send = ConnectClient._send

    def counting(self: ConnectClient, method: str, path: str, **kwargs: Any) -> Any:
        calls.append(f"{method} {path}")
        return send(self, method, path, **kwargs)

    monkeypatch.setattr(ConnectClient, "_send", counting)
    return calls


def test_the_plan_right_after_an_apply_reads_as_little_as_any_warm_plan(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    apply(capsys)
    calls = counted(monkeypatch)
    assert main(["plan", "--detailed-exitcode"]) == 0
    after_apply = list(calls)
    assert not [c for c in after_apply if c.endswith("/download")]
    assert sum(c.startswith("GET /v1/content/") and c.count("/") == 3 for c in after_apply) == 3
    calls.clear()
    assert main(["plan", "--detailed-exitcode"]) == 0
    assert sorted(calls) == sorted(after_apply)
