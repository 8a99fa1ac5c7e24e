"""Benchmark plumbing: the emulator as its own process, timed commands with their peak RSS.

Shared by bench_plan.py; not a test and not part of the package.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

API_KEY = "bench-admin-key-0123456789abcdef"
CLI = (sys.executable, "-m", "connectfile")
_REQUEST = re.compile(r'"(GET|POST|PATCH|PUT|DELETE) (/__api__/\S*)')


@dataclass(frozen=True)
class Run:
    """One finished command: wall time, exit code, peak RSS (MiB) of that process alone."""

    seconds: float
    code: int
    rss_mib: float


def run(argv: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run a command to completion; `os.wait4` gives that one child's peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, proc.returncode, usage.ru_maxrss / 1024)


def best(argv: Sequence[str], runs: int, *, cwd: Path, env: dict[str, str] | None = None,
         expect: int | None = 0) -> Run:
    """The median of `runs` runs (time), with the highest peak RSS seen."""
    done = [run(argv, cwd=cwd, env=env) for _ in range(runs)]
    for r in done:
        if expect is not None and r.code != expect:
            raise SystemExit(f"{' '.join(argv)} exited {r.code}, expected {expect}")
    return Run(statistics.median(r.seconds for r in done), done[0].code,
               max(r.rss_mib for r in done))


def python(code: str, *args: str, cwd: Path) -> list[str]:
    return [sys.executable, "-c", code, *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Emulator:
    """`connectfile emulator` in its own process, with its request log and faults.json."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.log = data_dir.parent / f"{data_dir.name}.log"
        self.url = ""
        self._mark = 0

    def env(self) -> dict[str, str]:
        return {**os.environ, "CONNECT_SERVER": self.url, "CONNECT_API_KEY": API_KEY}

    def set_delay(self, seconds: float, method: str = "GET") -> None:
        """Hold every matching API request `seconds` (0 clears); the emulator re-reads the file."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        faults = [f"{method} /__api__/*=delay:{seconds}"] if seconds else []
        (self.data_dir / "faults.json").write_text(json.dumps(faults))
        time.sleep(0.05)

    def requests(self) -> list[str]:
        """`METHOD path` of the API requests logged since the previous call."""
        text = self.log.read_text("utf-8", errors="replace")
        found = [f"{m} {p}" for m, p in _REQUEST.findall(text)]
        new, self._mark = found[self._mark:], len(found)
        return new

    @contextlib.contextmanager
    def running(self) -> Iterator[Emulator]:
        port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            proc = subprocess.Popen(
                [*CLI, "emulator", "--port", str(port), "--data-dir", str(self.data_dir),
                 "--api-key", API_KEY], stdout=out, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + 30
                while True:
                    with contextlib.suppress(OSError), \
                            socket.create_connection(("127.0.0.1", port), 1):
                        break
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"the emulator did not start; see {self.log}")
                    time.sleep(0.05)
                self.url = f"http://127.0.0.1:{port}"
                yield self
            finally:
                proc.terminate()
                proc.wait(10)
