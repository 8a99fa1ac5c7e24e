"""Ctrl-C during apply: the first press cancels politely, the second quits at once."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TextIO

from connectfile.errors import ExitCode


@contextmanager
def cancel_on_sigint(cancel: threading.Event, err: TextIO | None = None) -> Iterator[None]:
    """While the block runs, a first SIGINT sets `cancel` (apply stops starting work and
    stops waiting on Connect), a second exits 130 on the spot. Outside the main thread
    (where signals cannot be caught) the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stream = sys.stderr if err is None else err
    presses = 0

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            cancel.set()
            print("\ninterrupted: starting nothing new and no longer waiting on Connect "
                  "(press Ctrl-C again to quit at once)", file=stream, flush=True)
            return
        print("interrupted again: quitting now", file=stream, flush=True)
        os._exit(ExitCode.INTERRUPTED)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
