"""Time a warm no-change `plan` (and `apply`) of a generated 40-app x 500-file monorepo.

Run: python benchmarks/bench_plan.py [--apps 40] [--files 500] [--runs 5] [--latency S]

Generates the monorepo of bench_manifest.py, starts `connectfile emulator` as a separate
process on a free loopback port, deploys everything once with `apply --auto-approve`, then
times no-change `plan --detailed-exitcode` runs, both in this process (connectfile.cli.main,
imports already paid) and as whole CLI processes (what a user waits for), and one no-change
`apply`, counting the bundles it uploads (the emulator's request log; must be 0).
`--latency S` makes the emulator hold every API GET for S seconds after the first apply (its
faults.json), to stand in for a server across a network rather than on loopback.
Not a test: no thresholds, just figures for the README (SPEC §7 asks for <= 0.5 s warm).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench_manifest import generate  # this script's directory is on sys.path

from connectfile.cli import main as cli_main

API_KEY = "bench-admin-key-0123456789abcdef"
CLI = [sys.executable, "-m", "connectfile"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def emulator(data_dir: Path, log: Path) -> Iterator[str]:
    """`connectfile emulator` in its own process; yields its URL once it answers."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*CLI, "emulator", "--port", str(port), "--data-dir", str(data_dir),
             "--api-key", API_KEY],
            stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the emulator did not start; see {log}")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(10)


def in_process(argv: list[str]) -> tuple[float, int]:
    sink = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = cli_main(argv)
    return time.perf_counter() - start, code


def as_process(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run([*CLI, *argv], env=env, cwd=cwd, capture_output=True)
    return time.perf_counter() - start, done.returncode


def uploads(log: Path) -> int:
    """Bundle uploads the emulator has logged so far (POST .../bundles)."""
    text = log.read_text("utf-8", errors="replace")
    return len(re.findall(r"POST /__api__/v1/content/[^/ ]+/bundles", text))


def describe(times: list[float]) -> str:
    return (f"min {min(times):.2f} s, median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s ({len(times)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=40)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="connectfile-bench-plan-"))
    log = root.parent / f"{root.name}-emulator.log"
    try:
        generate(root / "repo", args.apps, args.files)
        repo = root / "repo"
        print(f"monorepo: {args.apps} apps x {args.files} files = "
              f"{args.apps * args.files} files, in {repo}")
        with emulator(root / "emulator", log) as url:
            env = {**os.environ, "CONNECT_SERVER": url, "CONNECT_API_KEY": API_KEY}
            os.environ.update(CONNECT_SERVER=url, CONNECT_API_KEY=API_KEY)
            os.chdir(repo)
            time.sleep(2.1)  # files younger than 2 s are never cached ("racy" rule)
            seconds, code = in_process(["apply", "--auto-approve"])
            if code != 0:
                raise SystemExit(f"the first apply exited {code}; see {log}")
            print(f"first apply ({args.apps} apps, {uploads(log)} uploads): {seconds:.1f} s")
            if args.latency:
                faults = [f"GET /__api__/*=delay:{args.latency}"]
                (root / "emulator" / "faults.json").write_text(json.dumps(faults))
                print(f"every API GET now waits {args.latency * 1000:.0f} ms")
            plan = ["plan", "--detailed-exitcode"]
            first, code = in_process(plan)  # warms the checksum and manifest caches
            if code != 0:
                raise SystemExit(f"a no-change plan exited {code} (expected 0)")
            inner = []
            for _ in range(args.runs):
                seconds, code = in_process(plan)
                assert code == 0, code
                inner.append(seconds)
            outer = []
            for _ in range(args.runs):
                seconds, code = as_process(plan, env, repo)
                assert code == 0, code
                outer.append(seconds)
            start, _ = as_process(["--version"], env, repo)
            before = uploads(log)
            apply_seconds, code = as_process(["apply", "--auto-approve"], env, repo)
            if code != 0:
                raise SystemExit(f"the no-change apply exited {code}")
            print(f"first plan after apply: {first:.2f} s")
            print(f"warm no-change plan, in process (cli.main): {describe(inner)}")
            print(f"warm no-change plan, whole CLI process:     {describe(outer)}")
            print(f"  (of which interpreter + `connectfile --version` start-up: {start:.2f} s)")
            print(f"no-change apply, whole CLI process: {apply_seconds:.2f} s, "
                  f"{uploads(log) - before} bundles uploaded")
    finally:
        shutil.rmtree(root, ignore_errors=True)
        log.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
