"""The one atomic writer: whole files or none, exclusive when asked, no temp file left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectfile.files.atomic import atomic_file, write_atomic


def test_a_failed_write_keeps_the_old_bytes_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    write_atomic(path, b"old")
    with pytest.raises(RuntimeError), atomic_file(path) as f:
        f.write(b"half of the new")
        raise RuntimeError("interrupted")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]


def test_exclusive_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "connect.toml"
    write_atomic(path, b"first", exclusive=True)
    with pytest.raises(FileExistsError):
        write_atomic(path, b"second", exclusive=True)
    assert path.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["connect.toml"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_bundles_are_written_by_the_same_writer() -> None:
    source = (Path(__file__).parent.parent / "connectfile" / "bundle" / "archive.py").read_text()
    assert "atomic_file(" in source and "mkstemp" not in source
