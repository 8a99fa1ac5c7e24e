"""Dependency sources in order, their conversion, package_manager, and committed manifests
keeping what connectfile does not manage (issue #8)."""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from pathlib import Path

import pytest

from connectfile.bundle import requirements as deps
from connectfile.bundle.prepare import prepare, select_files
from connectfile.bundle.requirements import load_toml
from connectfile.bundle.uvlock import export
from connectfile.cli import main
from connectfile.config.load import load_project
from connectfile.errors import SelectionError

UVLOCK = Path(__file__).parent / "data" / "uvlock"
LOCKS = sorted(p.name for p in UVLOCK.iterdir() if p.is_dir())
PYPROJECT = '[project]\nname = "x"\nversion = "1"\ndependencies = ["flask>=3", "requests"]\n'
SCRIPT = ("# /// script\n# requires-python = \">=3.11\"\n# dependencies = [\n#   \"flask\",\n"
          "#   \"rich>=13\",\n# ]\n# ///\nfrom flask import Flask\napp = Flask(__name__)\n")


def project_at(root: Path, files: dict[str, str], extra: str = "") -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    config = root / "connect.toml"
    config.write_text(f'version = 1\n[apps.web]\ntype = "flask"\npython = "3.11"\n{extra}')
    return config


def local_of(root: Path, files: dict[str, str], extra: str = "", **kw: object):  # type: ignore[no-untyped-def]
    project = load_project(project_at(root, files, extra))
    return prepare(project, project.apps[0], **kw)  # type: ignore[arg-type]


def generated(local) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    return {f.dest: f.data for f in local.files if f.data is not None}


@pytest.mark.parametrize("name", LOCKS)
def test_uv_lock_export_matches_uv(name: str) -> None:
    folder = UVLOCK / name
    lock = load_toml((folder / "uv.lock").read_text(), "uv.lock")
    pyproject = load_toml((folder / "pyproject.toml").read_text(), "pyproject.toml")
    assert export(lock, pyproject, "uv.lock") == (folder / "expected.txt").read_bytes()


def test_pylock_matches_the_requirements_uv_exports_for_the_same_lock() -> None:
    folder = UVLOCK / "auburn"
    data = load_toml((folder / "pylock.toml").read_text(), "pylock.toml")
    assert deps.from_pylock(data, "pylock.toml") == (folder / "expected.txt").read_bytes()


APP = {"app.py": "from flask import Flask\napp = Flask(__name__)\n"}


@pytest.mark.parametrize(("files", "kind", "dest"), [
    ({"requirements.txt": "flask\n", "pyproject.toml": PYPROJECT}, "file", "requirements.txt"),
    ({"pylock.toml": "x", "uv.lock": "x", "pyproject.toml": PYPROJECT}, "pylock",
     "requirements.txt"),
    ({"uv.lock": "x", "pyproject.toml": PYPROJECT}, "uv", "requirements.txt.lock"),
    ({"pyproject.toml": PYPROJECT, "app.py": SCRIPT}, "pyproject", "requirements.txt"),
    ({"pyproject.toml": "[project]\nname = 'x'\n", "app.py": SCRIPT}, "script",
     "requirements.txt"),
    ({"app.py": "app = 1\n"}, "freeze", "requirements.txt"),
])
def test_sources_in_order(files: dict[str, str], kind: str, dest: str) -> None:
    source = deps.choose(None, files.get, "app.py")
    assert (source.kind, source.dest) == (kind, dest)


@pytest.mark.parametrize(("name", "kind"), [("deps/prod.txt", "file"), ("uv.lock", "uv"),
                                            ("pylock.prod.toml", "pylock"),
                                            ("pyproject.toml", "pyproject"),
                                            ("tool.py", "script")])
def test_requirements_may_name_any_kind(name: str, kind: str) -> None:
    assert deps.choose(name, {}.get, None).kind == kind


def test_uv_lock_becomes_requirements_txt_lock_with_manager_uv(tmp_path: Path) -> None:
    folder = UVLOCK / "auburn"
    files = {**APP, "uv.lock": (folder / "uv.lock").read_text(),
             "pyproject.toml": (folder / "pyproject.toml").read_text()}
    local = local_of(tmp_path, files)
    assert generated(local) == {"requirements.txt.lock": (folder / "expected.txt").read_bytes()}
    assert local.manifest["python"]["package_manager"] == {
        "name": "uv", "package_file": "requirements.txt.lock"}
    assert {"uv.lock", "pyproject.toml", "requirements.txt.lock"} <= set(local.manifest["files"])


def test_pyproject_and_inline_metadata(tmp_path: Path) -> None:
    local = local_of(tmp_path / "a", {**APP, "pyproject.toml": PYPROJECT})
    assert generated(local) == {"requirements.txt": b"flask>=3\nrequests\n"}
    local = local_of(tmp_path / "b", {"app.py": SCRIPT})
    assert generated(local) == {"requirements.txt": b"flask\nrich>=13\n"}
    assert local.requirements_source == "inline script metadata (PEP 723)"


def test_explicit_pylock(tmp_path: Path) -> None:
    folder = UVLOCK / "auburn"
    local = local_of(tmp_path, {**APP, "requirements.txt": "stale\n",
                                "locks/pylock.toml": (folder / "pylock.toml").read_text()},
                     'requirements = "locks/pylock.toml"\n')
    assert generated(local) == {"requirements.txt": (folder / "expected.txt").read_bytes()}


def test_a_named_requirements_file_that_does_not_exist_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project_at(tmp_path, APP, 'requirements = "deps/prod.txt"\n')
    project = load_project(config)
    with pytest.raises(SelectionError, match=r'"deps/prod.txt" does not exist'):
        select_files(project, project.apps[0])
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 1
    assert capsys.readouterr().err.removeprefix("error: ") == (
        'connect.toml:5: apps.web.requirements: "deps/prod.txt" does not exist in the '
        'app directory "." (fix the path, or remove requirements to use requirements.txt, '
        "pylock.toml, uv.lock, pyproject.toml or inline script metadata, whichever comes "
        "first)\n")


def test_freezing_the_running_environment_is_loud(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="connectfile"):
        local_of(tmp_path, APP, python=sys.executable)
    message = caplog.records[0].getMessage()
    assert f"freezing EVERY package installed in {sys.executable}" in message
    assert "the environment connectfile itself runs in" in message


@pytest.mark.parametrize(("value", "expected"), [
    (None, {"name": "pip", "package_file": "requirements.txt"}),
    ("pip", {"name": "pip", "package_file": "requirements.txt", "allow_uv": False}),
    ("uv", {"name": "uv", "package_file": "requirements.txt", "allow_uv": True}),
    ("none", {"name": "none", "package_file": "requirements.txt"}),
])
def test_package_manager(tmp_path: Path, value: str | None, expected: dict[str, object]) -> None:
    extra = f'package_manager = "{value}"\n' if value else ""
    local = local_of(tmp_path, {**APP, "requirements.txt": "flask\n"}, extra)
    assert local.manifest["python"]["package_manager"] == expected


def test_bad_package_manager_is_a_config_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    project_at(tmp_path, {**APP, "requirements.txt": "flask\n"}, 'package_manager = "conda"\n')
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 1
    assert "connect.toml:5" in capsys.readouterr().err


def test_manifest_keeps_keys_it_does_not_manage(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    committed = {"version": 1, "metadata": {"appmode": "python-api", "entrypoint": "old",
                                            "content_category": "api"},
                 "environment": {"image": "ghcr.io/org/img:1",
                                 "python": {"requires": "==3.8"}},
                 "extension": {"name": "my-ext", "title": "My extension", "version": "1.0.0"},
                 "files": {}}
    project_at(tmp_path, {**APP, "requirements.txt": "flask\n",
                          "manifest.json": json.dumps(committed)})
    monkeypatch.chdir(tmp_path)
    assert main(["manifest"]) == 0
    written = json.loads((tmp_path / "manifest.json").read_text())
    assert written["extension"] == committed["extension"]
    assert written["environment"] == {"image": "ghcr.io/org/img:1",
                                      "python": {"requires": "~=3.11.0"}}
    assert written["metadata"] == {"appmode": "python-api", "entrypoint": "app",
                                   "content_category": "api"}
    capsys.readouterr()
    assert main(["manifest", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_inline_metadata_block_parsing() -> None:
    assert deps.script_metadata(SCRIPT) == textwrap.dedent("""\
        requires-python = ">=3.11"
        dependencies = [
          "flask",
          "rich>=13",
        ]
        """)
    assert deps.script_metadata("# /// other\n# x = 1\n# ///\n") is None
