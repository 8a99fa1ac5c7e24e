"""manifest.json dicts and bytes (pure): rsconnect's shape, canonical bytes, differences."""

from __future__ import annotations

import json

from connectfile.bundle.manifest import build_manifest, checksums, differences, to_bytes


def manifest(**overrides):
    args = {
        "appmode": "python-fastapi",
        "entrypoint": "main:app",
        "python_version": "3.11.0",
        "requires": "~=3.11.0",
        "package_file": "requirements.txt",
        "pip_version": None,
        "checksums": {"requirements.txt": "a" * 32, "main.py": "b" * 32, "data/x.csv": "c" * 32},
    }
    args.update(overrides)
    return build_manifest(**args)


def test_rsconnect_shape():
    assert manifest() == {
        "version": 1,
        "locale": "en_US.UTF-8",
        "metadata": {"appmode": "python-fastapi", "entrypoint": "main:app"},
        "python": {
            "version": "3.11.0",
            "package_manager": {"name": "pip", "package_file": "requirements.txt"},
        },
        "environment": {"python": {"requires": "~=3.11.0"}},
        "files": {
            "data/x.csv": {"checksum": "c" * 32},
            "main.py": {"checksum": "b" * 32},
            "requirements.txt": {"checksum": "a" * 32},
        },
    }


def test_optional_fields():
    m = manifest(pip_version="24.0", requires=None)
    assert m["python"]["package_manager"]["version"] == "24.0"
    assert "environment" not in m


def test_bytes_are_canonical():
    data = to_bytes(manifest())
    assert data.endswith(b"}\n") and not data.endswith(b"\n\n")
    assert data == (json.dumps(manifest(), indent=2, sort_keys=True) + "\n").encode()
    # Key order of the input does not matter.
    shuffled = manifest(checksums={"main.py": "b" * 32, "data/x.csv": "c" * 32,
                                   "requirements.txt": "a" * 32})
    assert to_bytes(shuffled) == data


def test_non_ascii_paths_are_utf8_not_escaped():
    data = to_bytes(manifest(checksums={"données/é.csv": "d" * 32}))
    assert "données/é.csv".encode() in data


def test_checksums_tolerates_odd_manifests():
    assert checksums({"files": {"a": {"checksum": "x"}, "b": {}, "c": 3}}) == {
        "a": "x", "b": "", "c": ""}
    assert checksums({}) == {}


def test_differences():
    old = manifest()
    new = manifest(
        entrypoint="main:api",
        python_version="3.12.0",
        checksums={"main.py": "e" * 32, "requirements.txt": "a" * 32, "new.py": "f" * 32},
    )
    assert differences(old, new) == (
        'entrypoint: "main:app" -> "main:api"',
        'python: "3.11.0" -> "3.12.0"',
        "- data/x.csv",
        "~ main.py",
        "+ new.py",
    )
    assert differences(old, manifest()) == ()
    assert differences({"version": 1}, manifest())[0] == 'appmode: (none) -> "python-fastapi"'
