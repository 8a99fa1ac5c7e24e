"""Fault injection: fail, delay or drop matching requests, or fail the next deploy task."""

from __future__ import annotations

import fnmatch
import json
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FAULTS_FILE = "faults.json"
_COMPACT = re.compile(
    r"(?P<method>[A-Za-z*]+)\s+(?P<path>\S+)=(?:(?P<status>\d{3})|delay:(?P<seconds>[0-9.]+)|"
    r"(?P<drop>drop|lose))(?:x(?P<times>\d+|\*))?")


class FaultSyntaxError(ValueError):
    """A fault rule that cannot be read."""


@dataclass
class Rule:
    kind: str  # fail | delay | drop | lose
    method: str
    pattern: str
    status: int = 500
    times: int | None = 1  # None: every matching request
    seconds: float = 0.0
    code: int = 1
    message: str = ""
    from_file: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method.upper() == method.upper()) \
            and fnmatch.fnmatchcase(path, self.pattern)


@dataclass(frozen=True)
class Action:
    """What to do to one request: wait first, then answer `status` or drop the connection
    (`lose`: handle the request first, so only its answer is lost)."""

    delay: float = 0.0
    fail: Rule | None = None
    drop: bool = False
    lose: bool = False


def parse_compact(text: str) -> Rule | str:
    """A Rule, or the message of a `fail_next_deploy=...` entry."""
    if text.startswith("fail_next_deploy="):
        return text.split("=", 1)[1]
    match = _COMPACT.fullmatch(text.strip())
    if match is None:
        raise FaultSyntaxError(f"cannot read fault {text!r}; expected e.g. "
                               "'POST /__api__/v1/content/*/bundles=503x2'")
    raw_times = match.group("times")
    times: int | None = None if raw_times == "*" else int(raw_times) if raw_times else -1
    method, path = match.group("method"), match.group("path")
    if match.group("status"):
        return Rule("fail", method, path, status=int(match.group("status")),
                    times=1 if times == -1 else times)
    if match.group("seconds"):
        return Rule("delay", method, path, seconds=float(match.group("seconds")),
                    times=None if times == -1 else times)
    return Rule(match.group("drop"), method, path, times=1 if times == -1 else times)


def _parse_object(item: dict[str, Any]) -> Rule | str:
    kind = item.get("kind")
    if kind == "fail_next_deploy":
        return str(item.get("message", "Injected deploy failure"))
    if kind not in ("fail", "delay", "drop", "lose"):
        raise FaultSyntaxError(f"unknown fault kind {kind!r}")
    return Rule(kind, str(item.get("method", "*")), str(item.get("path", "*")),
                status=int(item.get("status", 500)),
                times=item.get("times", None if kind == "delay" else 1),
                seconds=float(item.get("seconds", 0.0)), code=int(item.get("code", 1)),
                message=str(item.get("message", "")))


def parse_entries(entries: Any) -> tuple[list[Rule], list[str]]:
    if not isinstance(entries, list):
        raise FaultSyntaxError("the faults file must hold a JSON list")
    rules: list[Rule] = []
    deploys: list[str] = []
    for entry in entries:
        parsed = parse_compact(entry) if isinstance(entry, str) else _parse_object(entry)
        (deploys if isinstance(parsed, str) else rules).append(parsed)  # type: ignore[arg-type]
    return rules, deploys


class Faults:
    """Thread-safe fault rules; each matching request uses up one of a rule's `times`.

    Rules come from tests (`emu.faults.fail(...)`) or from `<data dir>/faults.json`, which is
    re-read whenever it changes so a running `connectfile emulator` can be steered too. The file
    holds a JSON list whose items are either objects
    `{"kind": "fail"|"delay"|"drop"|"fail_next_deploy", "method", "path", "status", "times",
    "seconds", "message"}` or compact strings:

        "POST /__api__/v1/content/*/bundles=503x2"   fail twice with HTTP 503
        "GET /__api__/v1/tasks/*=delay:1.5"           add 1.5 s to every matching request
        "POST /__api__/v1/content/*/deploy=drop"      drop the connection once
        "POST /__api__/v1/content/*/deploy=lose"      handle it, then drop the answer
        "fail_next_deploy=Out of disk space"          the next deploy task fails with this error

    `xN` sets how many matching requests are affected (`x*` means all; default: once for fail and
    drop, always for delay). Paths are shell-style globs (`*` also matches `/`); method `*` is any.
    """

    def __init__(self, data_dir: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._deploy_failures: list[str] = []
        self._file = data_dir / FAULTS_FILE if data_dir is not None else None
        self._file_stamp: int | None = None

    def fail(self, method: str, path_pattern: str, status: int, times: int | None = 1, *,
             code: int = 1, message: str = "") -> None:
        """Answer matching requests with `status` and a Connect error body."""
        self._add(Rule("fail", method, path_pattern, status=status, times=times,
                       code=code, message=message))

    def delay(self, method: str, path_pattern: str, seconds: float,
              times: int | None = None) -> None:
        """Hold matching requests for `seconds` before handling them."""
        self._add(Rule("delay", method, path_pattern, seconds=seconds, times=times))

    def drop(self, method: str, path_pattern: str, times: int | None = 1) -> None:
        """Read the request, then close the connection without answering."""
        self._add(Rule("drop", method, path_pattern, times=times))

    def lose(self, method: str, path_pattern: str, times: int | None = 1) -> None:
        """Handle the request, then close the connection instead of answering."""
        self._add(Rule("lose", method, path_pattern, times=times))

    def fail_next_deploy(self, message: str) -> None:
        """The next deploy task whose bundle passes its checks fails with `message`."""
        with self._lock:
            self._deploy_failures.append(message)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._deploy_failures.clear()

    def _add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def load_file(self) -> None:
        """Read the faults file now; raise FaultSyntaxError if it is broken."""
        self._reload(strict=True)

    def take_deploy_failure(self) -> str | None:
        self._reload()
        with self._lock:
            return self._deploy_failures.pop(0) if self._deploy_failures else None

    def action_for(self, method: str, path: str) -> Action:
        self._reload()
        delay, fail, drop, lose = 0.0, None, False, False
        with self._lock:
            for rule in self._rules:
                if rule.times == 0 or not rule.matches(method, path):
                    continue
                if rule.kind == "delay":
                    delay += rule.seconds
                elif fail is None and not drop and not lose:
                    fail = rule if rule.kind == "fail" else None
                    drop, lose = rule.kind == "drop", rule.kind == "lose"
                else:
                    continue
                if rule.times is not None:
                    rule.times -= 1
            self._rules = [r for r in self._rules if r.times != 0]
        return Action(delay=delay, fail=fail, drop=drop, lose=lose)

    def _reload(self, *, strict: bool = False) -> None:
        """Pick up a changed faults file (its rules replace those of its previous version).

        A broken file raises FaultSyntaxError when `strict` (at start), else it is logged and
        ignored, so a typo made while the emulator runs does not break every request.
        """
        if self._file is None:
            return
        try:
            stamp: int | None = self._file.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if stamp == self._file_stamp:
            return
        try:
            rules, deploys = ([], []) if stamp is None else parse_entries(
                json.loads(self._file.read_text("utf-8")))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            message = f"{self._file}: {exc}"
            if strict:
                raise FaultSyntaxError(message) from None
            log.warning("ignoring the faults file: %s", message)
            rules, deploys = [], []
        with self._lock:
            if stamp == self._file_stamp:
                return
            self._file_stamp = stamp
            self._rules = [r for r in self._rules if not r.from_file]
            for rule in rules:
                rule.from_file = True
            self._rules.extend(rules)
            self._deploy_failures.extend(deploys)
