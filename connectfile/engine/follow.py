"""Follow one Connect task to its end: log lines as they come, failure with the last ones."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol

from connectfile.errors import ConnectfileError, DeployError

LOG_TAIL: Final = 20
TASK_WAIT: Final = 2  # seconds Connect may hold each task poll open
TASK_TIMEOUT: Final = 3600.0  # a deploy still running after an hour is reported, not awaited


class TaskAPI(Protocol):
    def get_task(self, task_id: str, *, first: int = 0, wait: int = 0) -> dict[str, Any]: ...


class TaskFailed(DeployError):
    """A Connect task ended with a non-zero code; carries its last log lines."""

    def __init__(self, message: str, log_tail: Sequence[str]) -> None:
        super().__init__(message)
        self.log_tail = tuple(log_tail)


class Interrupted(ConnectfileError):
    """The run was cancelled (Ctrl-C) while this app was being applied."""


def follow_task(
    api: TaskAPI,
    task_id: str,
    *,
    wait: int,
    timeout: float,
    cancel: threading.Event,
    on_line: Callable[[str], None],
    building: str,
) -> None:
    """Poll the task with first/wait until it finishes; a Ctrl-C stops the polling (the task
    goes on on the server) with Interrupted naming `building`."""
    lines: list[str] = []
    first = 0
    deadline = time.monotonic() + timeout
    while True:
        if cancel.is_set():
            raise Interrupted(f"interrupted while {building}")
        task = api.get_task(task_id, first=first, wait=wait)
        for line in task.get("output") or ():
            lines.append(str(line))
            on_line(str(line))
        first = int(task.get("last") or first + len(task.get("output") or ()))
        if task.get("finished"):
            break
        if time.monotonic() > deadline:
            raise TaskFailed(
                f"deploy task {task_id} did not finish within {timeout:.0f} s "
                "(it may still be running on Connect)",
                lines[-LOG_TAIL:],
            )
    code, error = task.get("code") or 0, str(task.get("error") or "")
    if code != 0 or error:
        raise TaskFailed(
            f"deploy task {task_id} failed: {error or f'exit code {code}'}", lines[-LOG_TAIL:]
        )
