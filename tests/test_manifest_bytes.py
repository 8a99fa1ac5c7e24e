"""manifest.to_bytes writes `files` itself for speed: its bytes must equal json.dumps's."""

from __future__ import annotations

import json
import random
from typing import Any

from connectfile.bundle.manifest import build_manifest, to_bytes

NAMES = ["a.py", "dir/b.csv", "é/ü.txt", 'quote"d.py', "back\\slash", "tab\there", "雪.py",
         "emoji🙂.md", "ctl\x01.bin", "Z.py", "_under.py", "~tilde"]


def reference(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def test_same_bytes_as_json_dumps_for_many_manifests() -> None:
    rng = random.Random(7)
    for _ in range(200):
        names = rng.sample(NAMES, rng.randint(1, len(NAMES)))
        checksums = {f"{rng.choice(['', 'pkg/', 'x y/'])}{n}": f"{rng.getrandbits(128):032x}"
                     for n in names}
        manifest = build_manifest(
            appmode="python-api", entrypoint="app:app", python_version="3.11.9",
            requires=rng.choice([None, ">=3.10", "~=3.11 \"x\""]), package_file="requirements.txt",
            pip_version=rng.choice([None, "24.0"]), checksums=checksums,
        )
        assert to_bytes(manifest) == reference(manifest)


def test_unusual_shapes_fall_back_to_json_dumps() -> None:
    cases: list[dict[str, Any]] = [{}, {"a": {"checksum": "x", "extra": 1}}, {"a": {}},
                                   {"a": {"checksum": 1}}, {"a": "not a dict"}]
    for files in cases:
        manifest: dict[str, Any] = {"version": 1, "files": files, "zzz": {"files": {}}}
        assert to_bytes(manifest) == reference(manifest)


def test_a_string_that_looks_like_the_files_key_changes_nothing() -> None:
    manifest: dict[str, Any] = {"version": 1, "locale": '\n  "files": {}',
                                "files": {"a.py": {"checksum": "0" * 32}},
                                "metadata": {"entrypoint": '\n  "files": {}'}}
    assert to_bytes(manifest) == reference(manifest)
