"""Bundles: manifest.json first, sorted normalized members, reproducible gzip, streaming."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import tracemalloc
from pathlib import Path

import pytest

from connectfile.bundle import archive as bundle_module
from connectfile.bundle.archive import write_bundle
from connectfile.bundle.prepared import BundleFile, LocalApp
from connectfile.config.model import App
from connectfile.errors import SelectionError


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def local_app(tmp_path: Path, files: dict[str, bytes], generated: dict[str, bytes] | None = None
              ) -> LocalApp:
    members = []
    for dest, data in files.items():
        path = tmp_path / "src" / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        members.append(BundleFile(dest=dest, source=path, data=None, size=len(data),
                                  md5=md5(data)))
    for dest, data in (generated or {}).items():
        members.append(BundleFile(dest=dest, source=None, data=data, size=len(data),
                                  md5=md5(data)))
    manifest_bytes = b'{"version": 1}\n'
    return LocalApp(
        app=App(key="web", type="api", name="web"), directory=tmp_path / "src",
        files=tuple(sorted(members, key=lambda f: f.dest)), manifest={"version": 1},
        manifest_bytes=manifest_bytes, digest=hashlib.sha256(manifest_bytes).hexdigest(),
        python_version="3.11.0", requirements_generated=bool(generated),
    )


def test_layout_and_normalized_members(tmp_path):
    local = local_app(tmp_path, {"app.py": b"print()\n", "data/a.csv": b"1,2\n",
                                 "z/deep/x.bin": b"\x00" * 10},
                      generated={"requirements.txt": b"flask\n"})
    os.chmod(tmp_path / "src" / "app.py", 0o755)
    info = write_bundle(local, tmp_path / "out" / "b.tar.gz")
    raw = info.path.read_bytes()
    assert info.size == len(raw)
    assert info.md5 == md5(raw)
    with tarfile.open(info.path) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == [
            "manifest.json", "app.py", "data/a.csv", "requirements.txt", "z/deep/x.bin"]
        for m in members:
            assert (m.type, m.mode, m.mtime, m.uid, m.gid, m.uname, m.gname) == (
                tarfile.REGTYPE, 0o644, 0, 0, 0, "", "")
        assert tar.extractfile("manifest.json").read() == local.manifest_bytes
        assert tar.extractfile("requirements.txt").read() == b"flask\n"
        assert tar.extractfile("data/a.csv").read() == b"1,2\n"
    # gzip header: no file name flag, mtime 0.
    assert raw[:3] == b"\x1f\x8b\x08"
    assert raw[3] & 0x08 == 0
    assert raw[4:8] == b"\x00\x00\x00\x00"
    assert sorted(p.name for p in info.path.parent.iterdir()) == ["b.tar.gz"]


def test_same_inputs_same_bytes(tmp_path):
    files = {"app.py": b"print()\n", "b.txt": b"b"}
    first = write_bundle(local_app(tmp_path / "one", files), tmp_path / "one.tar.gz")
    second = write_bundle(local_app(tmp_path / "two", files), tmp_path / "two.tar.gz")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.md5 == second.md5


def test_a_file_changed_after_hashing_is_refused_and_nothing_is_left(tmp_path):
    local = local_app(tmp_path, {"app.py": b"one\n"})
    (tmp_path / "src" / "app.py").write_bytes(b"two\n")  # same size, other bytes
    out = tmp_path / "out.tar.gz"
    with pytest.raises(SelectionError, match="changed while the bundle was being written"):
        write_bundle(local, out)
    assert list(tmp_path.glob("*.tar.gz*")) == []
    assert list(tmp_path.glob(".out.tar.gz.*")) == []


def test_an_existing_bundle_is_replaced_atomically(tmp_path):
    out = tmp_path / "b.tar.gz"
    out.write_bytes(b"old")
    write_bundle(local_app(tmp_path, {"a": b"a"}), out)
    assert gzip.decompress(out.read_bytes())[:13] == b"manifest.json"


def test_memory_does_not_grow_with_bundle_size(tmp_path):
    size = 24 * 1024 * 1024
    path = tmp_path / "src" / "big.bin"
    path.parent.mkdir(parents=True)
    chunk = os.urandom(1024 * 1024)
    digest = hashlib.md5()
    with path.open("wb") as f:
        for _ in range(size // len(chunk)):
            f.write(chunk)
            digest.update(chunk)
    local = local_app(tmp_path, {})
    big = BundleFile(dest="big.bin", source=path, data=None, size=size, md5=digest.hexdigest())
    local = LocalApp(**{**{s: getattr(local, s) for s in LocalApp.__slots__}, "files": (big,)})
    tracemalloc.start()
    try:
        write_bundle(local, tmp_path / "big.tar.gz")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, peak  # a few chunks, not the 24 MiB file
    with tarfile.open(tmp_path / "big.tar.gz") as tar:
        assert tar.getmember("big.bin").size == size


def test_files_are_read_in_bounded_chunks():
    source = io.BytesIO(b"x" * 100)
    checked = bundle_module._Checked(source)
    assert len(checked.read(10**9)) == 100  # one read, capped at CHUNK
    assert checked.read(5) == b""
    assert checked.md5.hexdigest() == md5(b"x" * 100)


def test_non_ascii_and_long_names_are_reproducible(tmp_path):
    files = {"données/été.csv": b"x", "d/" + "long-name-" * 12 + ".txt": b"y"}
    first = write_bundle(local_app(tmp_path / "one", files), tmp_path / "one.tar.gz")
    second = write_bundle(local_app(tmp_path / "two", files), tmp_path / "two.tar.gz")
    assert first.path.read_bytes() == second.path.read_bytes()
    with tarfile.open(first.path) as tar:
        assert sorted(tar.getnames()) == sorted(["manifest.json", *files])
