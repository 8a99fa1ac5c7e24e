"""Parity with rsconnect-python 1.32.0's write-manifest on the six seed app kinds.

tests/data/parity/KIND/ holds the plain files of each sample app and the two manifests
rsconnect recorded for it (without and with `-x "*.txt" -x data/raw`). The parts git
would not keep (`__pycache__/` at two depths and a `.venv/` virtualenv) are recreated in a
temporary copy, exactly as they were when rsconnect ran.

Deliberate differences, spelled out below (README, "File selection, manifests and bundles"):
- `pkg/__pycache__/...pyc` is in rsconnect's manifests (it skips `__pycache__` only at the
  top level); connectfile drops `__pycache__/` at every depth.
- `*.txt` matches every depth with gitignore semantics, rsconnect's only the top level. The
  only nested .txt in these apps is under data/raw, dropped by both tools, so the file
  lists agree; tests/test_selection.py covers the nested case.
- `python.version`, `package_manager.version` and `locale` describe the machine that ran
  rsconnect; they are not compared. connectfile takes the version from .python-version.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from connectfile.bundle.prepare import prepare
from connectfile.config.model import App, Project

DATA = Path(__file__).parent / "data" / "parity"
KINDS = ("api", "fastapi", "shiny", "dash", "streamlit", "bokeh")
PYC = b"\x00bytecode"  # what the recorded apps held (md5 7475f7ed...)
NESTED_PYC = "pkg/__pycache__/helpers.cpython-311.pyc"


def sample_app(kind: str, tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(DATA / kind / "app", app)
    for cache in (app / "__pycache__" / "cached.cpython-311.pyc", app / NESTED_PYC):
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(PYC)
    venv = app / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "bin" / "python").write_text("#!/bin/sh\n")
    return app


def recorded(kind: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / kind / name).read_text("utf-8"))
    return data


def ours(kind: str, tmp_path: Path, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    root = sample_app(kind, tmp_path)
    app = App(key=kind, type=kind, name=kind, exclude=exclude)
    project = Project(source="connect.toml", root=root, version=1, targets=(), apps=(app,))
    return dict(prepare(project, app).manifest)


def comparable(manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "appmode": manifest["metadata"]["appmode"],
        "entrypoint": manifest["metadata"]["entrypoint"],
        "package_manager": manifest["python"]["package_manager"]["name"],
        "package_file": manifest["python"]["package_manager"]["package_file"],
        "environment": manifest.get("environment"),
        "files": manifest["files"],
    }


@pytest.mark.parametrize("kind", KINDS)
def test_same_manifest_as_rsconnect(kind, tmp_path):
    expected = comparable(recorded(kind, "rsconnect-manifest.json"))
    # Deliberate difference: __pycache__ is dropped at every depth.
    assert NESTED_PYC in expected["files"]
    del expected["files"][NESTED_PYC]
    assert comparable(ours(kind, tmp_path)) == expected


@pytest.mark.parametrize("kind", KINDS)
def test_same_manifest_as_rsconnect_with_excludes(kind, tmp_path):
    expected = comparable(recorded(kind, "rsconnect-manifest-excludes.json"))
    del expected["files"][NESTED_PYC]  # deliberate difference, as above
    # Nested .txt files would also be dropped here (every depth); the only one is under
    # data/raw, which both tools exclude, so nothing else changes.
    assert "data/raw/big.parquet.txt" not in expected["files"]
    assert "requirements.txt" in expected["files"]  # protected from "*.txt" in both
    assert comparable(ours(kind, tmp_path, ("*.txt", "data/raw"))) == expected


@pytest.mark.parametrize("kind", KINDS)
def test_python_fields_come_from_python_version_not_the_machine(kind, tmp_path):
    manifest = ours(kind, tmp_path)
    assert manifest["python"]["version"] == "3.11.0"  # rsconnect: its own 3.11.7
    assert "version" not in manifest["python"]["package_manager"]  # rsconnect: its pip's
    assert manifest["locale"] == "en_US.UTF-8"  # fixed; rsconnect: the machine's
