"""Round trips and memory: the plan after an apply downloads no manifest; plan keeps little."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_plan_command import apply, project

from connectfile.cli import main
from connectfile.config.load import load_project
from connectfile.engine.planning import plan_target
from connectfile.remote.client import ConnectClient
from connectfile.remote.target import open_target

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


def test_plan_keeps_the_prepared_state_only_of_apps_that_upload_a_bundle(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def planned() -> tuple[list[str], list[str]]:
        loaded = load_project(project / "connect.toml")
        with open_target(loaded, None) as session:
            done = plan_target(loaded, session, apps=(), python=None, force_generate=False)
        return [a.key for a in done.plan.apps if a.needs_bundle], sorted(done.prepared)

    uploading, kept = planned()
    assert len(uploading) == 3 and kept == sorted(uploading)
    apply(capsys)
    (project / "apps" / "web" / "new.py").write_text("x = 1\n")
    assert planned() == (["web"], ["web"])
