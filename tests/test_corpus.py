"""A corpus of small apps in the shapes of real public projects (tests/data/corpus/), each
checked end to end: `init` detects its type and entrypoint, `validate` passes, the manifest
matches what rsconnect-python 1.32 wrote for the same files, and it deploys to the emulator.

The expected manifests (tests/data/corpus-rsconnect/) were made with
tests/data/regenerate_corpus.py. Compared: appmode, entrypoint, python.requires, the file
list and every checksum. Documented differences (README, "Dependency sources"):
- `python.version`, `locale` and `package_manager.version` describe the machine that ran
  rsconnect; not compared.
- a requirements file rsconnect generates (from uv.lock or pyproject.toml) starts with a
  timestamp comment; connectfile's has none, so those files are compared without comments.
- rsconnect 1.32 reads neither pylock.toml nor PEP 723 metadata: its manifest for those
  apps was made with connectfile's generated requirements.txt beside the app.
One emulator serves the whole module; every app has its own content name.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from connectfile.bundle.prepare import prepare
from connectfile.cli import main
from connectfile.config.load import load_project
from connectfile.emulator import Emulator

DATA = Path(__file__).parent / "data"
CORPUS: dict[str, dict[str, Any]] = json.loads((DATA / "corpus.json").read_text())
EXPECTED = DATA / "corpus-rsconnect"


@pytest.fixture(scope="module")
def shared_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    # Panel needs Connect 2025.11 (the emulator defaults to an older release).
    with Emulator(tmp_path_factory.mktemp("corpus-emulator"), version="2025.12.0",
                  task_step_delay=0.0) as emu:
        yield emu


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 25
    assert sorted(CORPUS) == sorted(p.name for p in (DATA / "corpus").iterdir())


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_app(name: str, tmp_path: Path, shared_emulator: Emulator,
                    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / name
    shutil.copytree(DATA / "corpus" / name, root)
    monkeypatch.setenv("CONNECT_SERVER", shared_emulator.url)
    monkeypatch.setenv("CONNECT_API_KEY", shared_emulator.api_key)
    monkeypatch.chdir(root)

    assert main(["init", "."]) == 0
    config = tomlkit.parse((root / "connect.toml").read_text()).unwrap()
    ((_key, table),) = config["apps"].items()
    spec = CORPUS[name]
    assert (table["type"], table.get("entrypoint")) == (spec["type"], spec["entrypoint"])

    assert main(["validate"]) == 0

    project = load_project(root / "connect.toml")
    local = prepare(project, project.apps[0])
    ours, theirs = dict(local.manifest), json.loads((EXPECTED / f"{name}.json").read_text())
    for keys in (("metadata",), ("environment",), ("python", "package_manager", "name"),
                 ("python", "package_manager", "package_file")):
        assert _at(ours, keys) == _at(theirs, keys), keys
    package_file = theirs["python"]["package_manager"]["package_file"]
    assert set(ours["files"]) == set(theirs["files"])
    for path, entry in theirs["files"].items():
        if path == package_file and (EXPECTED / f"{name}.{package_file}").is_file():
            generated = next(f.data for f in local.files if f.dest == path)
            # rsconnect's pyproject export has no final newline; lines are what matters.
            assert generated.splitlines() == _without_comments(EXPECTED / f"{name}.{package_file}")
            assert ours["files"][path]["checksum"] == hashlib.md5(generated).hexdigest()
        else:
            assert ours["files"][path] == entry, path

    capsys.readouterr()
    assert main(["apply", "--auto-approve"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "1 created" in out or "created" in out, out


def _at(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    node: Any = data
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _without_comments(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if not line.startswith(b"#")]
