"""Walking app directories on disk: virtualenvs, symlinks, pruning, streaming checksums."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from connectfile.errors import SelectionError
from connectfile.files import hashcache as checksums
from connectfile.files import walk as workspace
from connectfile.files.hashcache import ChecksumCache
from connectfile.files.selection import Pattern, Rules
from connectfile.files.walk import digest, venv_marker, walk


def touch(root: Path, *paths: str, data: bytes = b"x") -> None:
    for rel in paths:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def kept(root: Path, rules: Rules | None = None, project_root: Path | None = None) -> list[str]:
    tree = walk(root, rules or Rules(), project_root=project_root or root)
    return [f.dest for f in tree.kept]


def test_virtualenvs_are_found_by_pyvenv_cfg_or_bin_python_at_any_depth(tmp_path):
    touch(tmp_path, "app.py", ".venv/pyvenv.cfg", ".venv/lib/x.py", "tools/env/bin/python",
          "tools/env/lib/y.py", "tools/run.py", "notvenv/bin/pythonx")
    tree = walk(tmp_path, Rules(), project_root=tmp_path)
    assert [f.dest for f in tree.kept] == ["app.py", "notvenv/bin/pythonx", "tools/run.py"]
    assert tree.venv_dirs == {".venv": "pyvenv.cfg", "tools/env": "bin/python"}
    assert [str(d) for d in tree.dropped] == [
        ".venv: dropped: virtualenv .venv (holds pyvenv.cfg)",
        "tools/env: dropped: virtualenv tools/env (holds bin/python)",
    ]


def test_venv_marker_accepts_a_dangling_python_symlink(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").symlink_to("/nonexistent/python3")
    assert venv_marker(tmp_path) == "bin/python"
    assert venv_marker(tmp_path / "bin") is None


def test_excluded_directories_are_not_walked(tmp_path):
    touch(tmp_path, "app.py", "node_modules/a.js", "big/raw/x.bin")
    # A link escaping the root would be an error, but nobody looks inside pruned trees.
    (tmp_path / "node_modules" / "out").symlink_to("/etc/hostname")
    (tmp_path / "big" / "raw" / "out").symlink_to("/etc")
    assert kept(tmp_path, Rules(patterns=(Pattern(text="big/raw"),))) == ["app.py"]


def test_symlinked_files_inside_the_root_are_bundled_as_files(tmp_path):
    project = tmp_path
    app = project / "apps" / "web"
    touch(project, "libs/shared.py", data=b"shared")
    touch(app, "app.py")
    (app / "shared.py").symlink_to(project / "libs" / "shared.py")
    (app / "rel.py").symlink_to("app.py")
    tree = walk(app, Rules(), project_root=project)
    assert [f.dest for f in tree.kept] == ["app.py", "rel.py", "shared.py"]
    shared = next(f for f in tree.kept if f.dest == "shared.py")
    assert digest(shared.source) == (6, hashlib.md5(b"shared").hexdigest())


def test_symlinked_directories_inside_the_root_are_walked(tmp_path):
    touch(tmp_path, "libs/common/util.py", "apps/web/app.py")
    (tmp_path / "apps" / "web" / "common").symlink_to(tmp_path / "libs" / "common")
    assert kept(tmp_path / "apps" / "web", project_root=tmp_path) == ["app.py", "common/util.py"]


def test_a_symlink_loop_is_walked_once(tmp_path):
    touch(tmp_path, "a/f.py")
    (tmp_path / "a" / "again").symlink_to(tmp_path / "a")
    assert kept(tmp_path) == ["a/f.py"]


@pytest.mark.parametrize("target", ["outside.txt", "outside-dir"])
def test_a_symlink_escaping_the_project_root_is_refused(tmp_path, target):
    project = tmp_path / "project"
    touch(project, "app.py")
    touch(tmp_path, "outside.txt", "outside-dir/f.txt")
    (project / "link").symlink_to(tmp_path / target)
    with pytest.raises(SelectionError) as exc:
        kept(project)
    assert str(exc.value) == (
        f"link: symlink resolves outside the project root (-> {(tmp_path / target).resolve()}); "
        "copy the file into the project, or add the link to exclude"
    )


def test_an_excluded_escaping_symlink_is_fine(tmp_path):
    touch(tmp_path, "p/app.py", "outside.txt")
    (tmp_path / "p" / "link").symlink_to(tmp_path / "outside.txt")
    assert kept(tmp_path / "p", Rules(patterns=(Pattern(text="link"),))) == ["app.py"]


def test_a_broken_symlink_is_refused(tmp_path):
    touch(tmp_path, "app.py")
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    with pytest.raises(SelectionError, match=r"^gone.py: broken symlink \(-> .*missing.py\); "):
        kept(tmp_path)


def test_of_several_broken_symlinks_the_smallest_path_is_reported(tmp_path):
    # The walk visits entries in the order the OS lists them; the error must not depend on it.
    touch(tmp_path, "app.py")
    for name in ("z.py", "b/a.py", "a/z.py", "m.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).symlink_to(tmp_path / "missing.py")
    with pytest.raises(SelectionError, match=r"^a/z.py: broken symlink"):
        kept(tmp_path)


def test_a_virtualenv_the_user_excludes_is_still_reported_as_a_virtualenv(tmp_path):
    touch(tmp_path, "app.py", "env/pyvenv.cfg", "env/lib/x.py", "data/big.csv", "__pycache__/a")
    tree = walk(tmp_path, Rules(patterns=(Pattern(text="env/"), Pattern(text="data/"))),
                project_root=tmp_path)
    assert [str(d) for d in tree.dropped] == [
        '__pycache__: dropped: default exclude "__pycache__/"',
        'data: dropped by exclude pattern "data/"',
        "env: dropped: virtualenv env (holds pyvenv.cfg)",
    ]


def test_the_walk_lists_each_directory_once_and_looks_up_no_venv_marker_in_vain(
    tmp_path, monkeypatch
):
    touch(tmp_path, "app.py", "pkg/a.py", "pkg/sub/b.py", "tools/bin/x", ".venv/pyvenv.cfg")
    listed: list[str] = []
    looked: list[str] = []
    real_scandir, real_lexists = os.scandir, os.path.lexists
    monkeypatch.setattr(os, "scandir", lambda p: listed.append(str(p)) or real_scandir(p))
    monkeypatch.setattr(os.path, "lexists", lambda p: looked.append(str(p)) or real_lexists(p))
    assert kept(tmp_path) == ["app.py", "pkg/a.py", "pkg/sub/b.py", "tools/bin/x"]
    assert sorted(Path(p).relative_to(tmp_path).as_posix() for p in listed) == [
        ".", ".venv", "pkg", "pkg/sub", "tools", "tools/bin"]
    # Only markers whose first part the listing shows are looked up.
    assert sorted(Path(p).relative_to(tmp_path).as_posix() for p in looked) == [
        ".venv/pyvenv.cfg", "tools/bin/python"]


def test_walk_reports_paths_under_a_prefix(tmp_path):
    touch(tmp_path, "lib/a.py", "lib/__pycache__/a.pyc", "lib/sub/b.py")
    tree = walk(tmp_path / "lib", Rules(), project_root=tmp_path, prefix="vendor/lib/")
    assert [f.dest for f in tree.kept] == ["vendor/lib/a.py", "vendor/lib/sub/b.py"]
    assert [d.path for d in tree.dropped] == ["vendor/lib/__pycache__"]


def test_digest_streams_in_chunks(tmp_path, monkeypatch):
    data = os.urandom(10_000)
    (tmp_path / "f").write_bytes(data)
    monkeypatch.setattr(workspace, "CHUNK", 1000)
    reads: list[int] = []

    class Spy:
        def __init__(self, *args, **kwargs):
            self.handle = open(*args, **kwargs)  # noqa: SIM115 - closed in __exit__

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def read(self, n=-1):
            reads.append(n)
            return self.handle.read(n)

    monkeypatch.setattr(workspace, "open", Spy, raising=False)
    assert digest(tmp_path / "f") == (10_000, hashlib.md5(data).hexdigest())
    assert reads and all(n == 1000 for n in reads)


# -- the checksum cache -------------------------------------------------------------------


def old_file(path: Path, data: bytes, age: int = 100) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    then = time.time() - age
    os.utime(path, (then, then))


def counting_digest(monkeypatch) -> list[Path]:
    calls: list[Path] = []

    def spy(path: Path) -> tuple[int, str]:
        calls.append(path)
        return digest(path)

    monkeypatch.setattr(checksums, "digest", spy)
    return calls


def test_cache_reuses_checksums_of_unchanged_files(tmp_path, monkeypatch):
    calls = counting_digest(monkeypatch)
    path = tmp_path / "app" / "a.py"
    old_file(path, b"one")
    f = str(path)  # the walk hands the cache OS path strings
    first = ChecksumCache.for_app(tmp_path, "web")
    assert first.digest(f) == (3, hashlib.md5(b"one").hexdigest())
    first.save()
    # The ctime of a just-written file is "now": racy, so not trusted on the next run.
    assert calls == [f]
    second = ChecksumCache.for_app(tmp_path, "web")
    second.digest(f)
    assert len(calls) == 2
    assert not (tmp_path / ".connect").exists()  # nothing worth writing


def test_cache_hits_when_stat_is_old_and_misses_after_a_change(tmp_path, monkeypatch):
    calls = counting_digest(monkeypatch)
    path = tmp_path / "a.py"
    old_file(path, b"one")
    f = str(path)
    monkeypatch.setattr(checksums, "RACY_NS", -(10**12))  # treat "now" as long ago
    cache = ChecksumCache.for_app(tmp_path, "web")
    cache.digest(f)
    cache.save()
    again = ChecksumCache.for_app(tmp_path, "web")
    assert again.digest(f) == (3, hashlib.md5(b"one").hexdigest())
    assert calls == [f]  # answered from the cache
    assert (tmp_path / ".connect" / "cache" / ".gitignore").read_text().endswith("*\n")
    old_file(path, b"two")  # same size, same (old) mtime: the ctime still moved
    assert ChecksumCache.for_app(tmp_path, "web").digest(f) == (3, hashlib.md5(b"two").hexdigest())
    assert calls == [f, f]


@pytest.mark.parametrize("content", ["{not json", '{"version": 99, "files": {}}', "[]",
                                     '{"version": 1, "files": {"x": [1, 2]}}'])
def test_a_bad_cache_file_is_ignored(tmp_path, content):
    path = tmp_path / ".connect" / "cache" / "md5-x.json"
    path.parent.mkdir(parents=True)
    path.write_text(content)
    f = tmp_path / "a.py"
    old_file(f, b"one")
    assert ChecksumCache(path).digest(f)[1] == hashlib.md5(b"one").hexdigest()


def test_an_unwritable_cache_is_not_an_error(tmp_path):
    (tmp_path / ".connect").write_text("a file where the cache dir would go")
    f = tmp_path / "a.py"
    old_file(f, b"one")
    cache = ChecksumCache.for_app(tmp_path, "web")
    cache.digest(f)
    cache.save()
