"""Bundle a generated app of SIZE MiB (default 1024) and report time and peak RSS.

Run: python benchmarks/bench_bundle.py [--size-mib 1024] [--files 8]

The app holds a few large files of random (incompressible) bytes, the worst case for
gzip. Peak RSS is the whole process's high-water mark (ru_maxrss), so it includes the
interpreter; it should stay flat whatever the size, since files are streamed in chunks.
Not a test: no thresholds, just figures for the README.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from connectfile.bundle.archive import write_bundle
from connectfile.bundle.prepare import prepare
from connectfile.config.model import App, Project

CHUNK = 1 << 20


def rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=8)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="connectfile-bench-bundle-"))
    try:
        app_dir = root / "big"
        (app_dir / "data").mkdir(parents=True)
        (app_dir / "app.py").write_text("app = object()\n")
        (app_dir / "requirements.txt").write_text("flask\n")
        per_file = args.size_mib // args.files
        for i in range(args.files):
            with (app_dir / "data" / f"part{i}.bin").open("wb") as f:
                for _ in range(per_file):
                    f.write(os.urandom(CHUNK))
        app = App(key="big", type="api", name="big", path="big", python="3.11")
        project = Project(source="connect.toml", root=root, version=1, targets=(), apps=(app,))
        before = rss_mib()
        start = time.perf_counter()
        local = prepare(project, app)
        hashed = time.perf_counter()
        info = write_bundle(local, root / "big.tar.gz")
        done = time.perf_counter()
        print(f"app: {args.files} files, {args.size_mib} MiB of random bytes")
        print(f"prepare (select + md5): {hashed - start:.1f} s; "
              f"write_bundle: {done - hashed:.1f} s -> {info.size / 2**20:.0f} MiB tar.gz")
        print(f"peak RSS: {rss_mib():.0f} MiB (before bundling: {before:.0f} MiB)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
