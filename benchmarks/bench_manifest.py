"""Time file selection + hashing + manifest for a generated 40-app x 500-file monorepo.

Run: python benchmarks/bench_manifest.py [--apps 40] [--files 500] [--no-rsconnect]

Prints connectfile's time for all apps: the first run, runs that hash every file again
(checksum cache removed before each), and runs that reuse the checksum cache (what a
no-change `plan` does); then the same apps through `rsconnect write-manifest api` when
rsconnect-python is installed.
Not a test: no thresholds, just figures for the README.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from connectfile.bundle.prepare import prepare
from connectfile.config.load import load_project

SIZES = (200, 800, 2_000, 6_000, 20_000)


def generate(root: Path, apps: int, files: int, seed: int = 1,
             sizes: tuple[int, ...] = SIZES) -> None:
    """A monorepo: `apps` apps of `files` files each (sources, data, nested packages)."""
    rng = random.Random(seed)
    lines = ["version = 1", ""]
    for a in range(apps):
        name = f"app{a:03d}"
        app = root / "apps" / name
        (app / "pkg").mkdir(parents=True)
        (app / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
        (app / "requirements.txt").write_text("flask\n")
        (app / ".python-version").write_text("3.11\n")
        for i in range(files - 3):
            sub = app / ("pkg" if i % 3 else "data") / f"d{i % 17}"
            sub.mkdir(parents=True, exist_ok=True)
            size = rng.choice(sizes)
            (sub / f"f{i}.{'py' if i % 3 else 'csv'}").write_bytes(rng.randbytes(size))
        lines += [f"[apps.{name}]", 'type = "api"', f'path = "apps/{name}"', ""]
    (root / "connect.toml").write_text("\n".join(lines))


def connectfile_all(root: Path, expected: int) -> float:
    start = time.perf_counter()
    project = load_project(root / "connect.toml")
    total = 0
    for app in project.apps:
        total += len(prepare(project, app).files)
    elapsed = time.perf_counter() - start
    if total != expected:
        raise SystemExit(f"selected {total} files, expected {expected}")
    return elapsed


def rsconnect_all(root: Path, rsconnect: str) -> float:
    env = {**os.environ, "RSCONNECT_DISABLE_VERSION_CHECK": "1"}
    start = time.perf_counter()
    for app in sorted((root / "apps").iterdir()):
        subprocess.run([rsconnect, "write-manifest", "api", "--overwrite", str(app)],
                       check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=40)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--no-rsconnect", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="connectfile-bench-"))
    try:
        generate(root, args.apps, args.files)
        n = args.apps * args.files
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        print(f"monorepo: {args.apps} apps x {args.files} files = {n} files, "
              f"{size / 2**20:.1f} MiB, in {root}")
        time.sleep(2.1)  # files younger than 2 s are never cached ("racy" rule)
        cold = connectfile_all(root, n)
        rehash = []
        for _ in range(3):
            shutil.rmtree(root / ".connect" / "cache", ignore_errors=True)
            rehash.append(connectfile_all(root, n))
        connectfile_all(root, n)
        warm = min(connectfile_all(root, n) for _ in range(3))
        print(f"connectfile select+hash+manifest, all apps: first run {cold:.2f} s; "
              f"hashing everything {min(rehash):.2f} s; with the checksum cache {warm:.2f} s "
              f"({warm / args.apps * 1000:.0f} ms per app)")
        rsconnect = shutil.which("rsconnect") or str(Path(sys.executable).parent / "rsconnect")
        if args.no_rsconnect or not Path(rsconnect).exists():
            print("rsconnect write-manifest: skipped (--no-rsconnect, or not installed)")
            return
        seconds = rsconnect_all(root, rsconnect)
        print(f"rsconnect write-manifest api, all apps: {seconds:.2f} s "
              f"({seconds / args.apps * 1000:.0f} ms per app, one process per app)")
        print(f"ratio: rsconnect / connectfile = {seconds / min(rehash):.1f}x hashing everything, "
              f"{seconds / warm:.1f}x with the cache")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
