"""Run apps on worker threads that a Ctrl-C can stop taking work and walk away from."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def run_all(
    items: Sequence[T],
    work: Callable[[T], R],
    *,
    parallelism: int,
    cancel: threading.Event,
    grace: float,
) -> list[R | None]:
    """`work(item)` for each item, `parallelism` at a time, results in item order.

    Once `cancel` is set no item is started, and the caller gets its answer within `grace`
    seconds: items still running then are left to their (daemon) threads and come back as
    None, like the ones never started. The main thread only waits in short joins, so a
    signal handler runs at once.
    """
    results: list[R | None] = [None] * len(items)
    errors: list[BaseException] = []
    pending = iter(range(len(items)))
    lock = threading.Lock()

    def worker() -> None:
        while not cancel.is_set():
            with lock:
                index = next(pending, None)
            if index is None:
                return
            try:
                results[index] = work(items[index])
            except BaseException as exc:  # a bug: re-raised in the caller's thread
                errors.append(exc)
                return

    threads = [threading.Thread(target=worker, name=f"connectfile-apply-{n}", daemon=True)
               for n in range(max(1, min(parallelism, len(items))))]
    for thread in threads:
        thread.start()
    deadline: float | None = None
    for thread in threads:
        while thread.is_alive():
            if cancel.is_set():
                deadline = time.monotonic() + grace if deadline is None else deadline
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return results
                thread.join(min(0.05, remaining))
            else:
                thread.join(0.1)
    if errors:
        raise errors[0]
    return results
