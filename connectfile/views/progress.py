"""Progress on a terminal: byte bars for bundles and uploads, a note when hashing is slow.

Shown only when both stdout and stderr are terminals (never in CI logs or pipes); drawn
on stderr with tqdm, imported the first time a bar is needed so start-up stays fast.
Nothing here is coloured, so NO_COLOR has nothing to turn off.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, Final

from connectfile.files.meter import NO_PROGRESS, Meter, Progress

QUIET_AFTER: Final = 1.0  # seconds of silence before a slow step is named
_CLEAR: Final = "\r\x1b[K"


def progress_for(stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> Progress:
    """A terminal display when both streams are TTYs (and TERM is not "dumb"), else none."""
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    if os.environ.get("TERM") == "dumb" or not (_tty(out) and _tty(err)):
        return NO_PROGRESS
    return TerminalProgress(err)


def _tty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class TerminalProgress:
    """Draws on `stream`; several apps may transfer at once (apply --parallelism)."""

    def __init__(self, stream: IO[str], *, quiet_after: float = QUIET_AFTER) -> None:
        self._stream = stream
        self._quiet_after = quiet_after
        self._lock = threading.Lock()

    @contextmanager
    def transfer(self, label: str, total: int) -> Iterator[Meter]:
        from tqdm import tqdm  # only a terminal that transfers something pays for it

        # A terminal that reports no size (a bare pseudo-terminal) is taken as 80x24; tqdm
        # would hide every bar on a zero-row screen.
        size = shutil.get_terminal_size((80, 24))
        bar: Any = tqdm(total=total, desc=label, unit="B", unit_scale=True,
                        unit_divisor=1024, file=self._stream, leave=False, ncols=size.columns,
                        nrows=size.lines, mininterval=0.2)
        try:
            yield bar.update
        finally:
            bar.close()

    @contextmanager
    def working(self, label: str) -> Iterator[None]:
        shown = threading.Event()

        def show() -> None:
            with self._lock:
                self._stream.write(f"{_CLEAR}{label}…")
                self._stream.flush()
                shown.set()

        timer = threading.Timer(self._quiet_after, show)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            with self._lock:
                if shown.is_set():
                    self._stream.write(_CLEAR)
                    self._stream.flush()
