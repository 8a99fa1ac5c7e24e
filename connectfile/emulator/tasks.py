"""Background tasks with growing output, and the `GET /v1/tasks/{id}` long-poll."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import clock
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.errors import ApiError

MAX_WAIT = 20


@dataclass
class Task:
    id: str
    user_guid: str
    output: list[str] = field(default_factory=list)
    finished: bool = False
    code: int = 0
    error: str = ""
    result: dict[str, Any] | None = None


class TaskRunner:
    """Tasks live in memory, as on a Connect node; one condition wakes every long-poll."""

    def __init__(self) -> None:
        self._tasks: dict[str, Task] = {}
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []

    def start(self, user_guid: str, work: Callable[[Task], None]) -> Task:
        task = Task(id=clock.new_task_id(), user_guid=user_guid)
        thread = threading.Thread(target=self._run, args=(task, work),
                                  name=f"emulator-task-{task.id}", daemon=True)
        with self._cond:
            self._tasks[task.id] = task
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()
        return task

    def _run(self, task: Task, work: Callable[[Task], None]) -> None:
        try:
            work(task)
        except Exception as exc:  # a bug in the emulator must still end the task
            self.finish(task, 1, f"An internal failure occurred. ({exc})")
        if not task.finished:
            self.finish(task, 0, "")

    def emit(self, task: Task, line: str) -> None:
        with self._cond:
            task.output.append(line)
            self._cond.notify_all()

    def finish(self, task: Task, code: int, error: str,
               result: dict[str, Any] | None = None) -> None:
        with self._cond:
            task.code, task.error, task.result, task.finished = code, error, result, True
            self._cond.notify_all()

    def get(self, task_id: str) -> Task | None:
        with self._cond:
            return self._tasks.get(task_id)

    def count(self) -> int:
        """How many tasks were started (tests check that no deploy ran twice)."""
        with self._cond:
            return len(self._tasks)

    def snapshot(self, task: Task, first: int, wait: float) -> dict[str, Any]:
        """The task as JSON once it has lines after `first`, has finished, or `wait` ran out."""
        deadline = time.monotonic() + wait
        with self._cond:
            if first > len(task.output):
                # connect-api.md §7: `first` past the produced lines is a 400 [code inferred].
                raise ApiError(13)
            while not task.finished and len(task.output) <= first:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return {"id": task.id, "output": task.output[first:], "finished": task.finished,
                    "code": task.code, "error": task.error, "last": len(task.output),
                    "result": task.result}

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            threads = list(self._threads)
        for thread in threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))


def _int_arg(ctx: Ctx, name: str, low: int, high: int | None) -> int:
    # connect-api.md §7: out-of-range values are a 400; code 25 is a guess.
    raw = ctx.request.args.get(name)
    if raw is None or raw == "":
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(25, f"The parameter is invalid: {name}.", status=400) from None
    if value < low or (high is not None and value > high):
        raise ApiError(25, f"The parameter is invalid: {name} must be between {low} and "
                       f"{high if high is not None else 'the number of lines'}.", status=400)
    return value


def get_task(ctx: Ctx, task_id: str) -> Response:
    ctx.caller()
    task = ctx.tasks.get(task_id)
    if task is None:
        raise ApiError(4)
    first = _int_arg(ctx, "first", 0, None)
    wait = _int_arg(ctx, "wait", 0, MAX_WAIT)
    return json_response(ctx.tasks.snapshot(task, first, wait))
