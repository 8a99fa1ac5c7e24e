"""The one exception hierarchy: every user-facing failure is a ConnectfileError."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

# Characters a terminal acts on or shows as a line break: C0/C1 controls, DEL, Unicode line and
# paragraph separators, bidi overrides. A key holding one could clear the screen or forge lines.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, *, newlines: bool = False) -> str:
    """`text` with unsafe characters written as escapes (`\\x1b`, `\\u2028`); `newlines` keeps
    plain "\\n" line breaks (for messages that are several lines on purpose)."""

    def escape(match: re.Match[str]) -> str:
        ch = match.group()
        if newlines and ch == "\n":
            return ch
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"

    return _UNSAFE.sub(escape, text)


class ExitCode(IntEnum):
    """The process exit codes; EXIT_MEANINGS says what each means (the README's table)."""

    OK = 0
    ERROR = 1  # every ConnectfileError, and usage errors (never 2)
    CHANGES = 2
    BUG = 3
    INTERRUPTED = 130


EXIT_MEANINGS: Final[dict[ExitCode, str]] = {
    ExitCode.OK: "success, or no changes",
    ExitCode.ERROR: "error: bad config, bad flags (usage errors exit 1, never 2), API error, "
                    "failed deploy, stale plan",
    ExitCode.CHANGES: "changes present (`plan --detailed-exitcode` only)",
    ExitCode.BUG: "internal bug (a traceback is printed; please report it)",
    ExitCode.INTERRUPTED: "interrupted",
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Location:
    """Where in a config file a problem lies: file, line (0 when unknown) and key path."""

    source: str
    line: int = 0
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.path}" if self.path else where


class ConnectfileError(Exception):
    """A failure the user can act on; the CLI formats it (cli.format_error) and exits 1.

    Messages never start with `error: `: the CLI adds that prefix, in one place.
    """

    def __init__(self, message: str = "", *, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location is not None else message)

    @property
    def located(self) -> bool:
        """True when the message leads with its place in the config (no `error:` prefix)."""
        return self.location is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class Issue:
    """One problem found in a config file, located by line and key path."""

    source: str
    line: int
    path: str
    message: str

    @classmethod
    def at(cls, where: Location, message: str) -> Issue:
        return cls(source=where.source, line=where.line, path=where.path, message=message)

    @property
    def location(self) -> Location:
        return Location(source=self.source, line=self.line, path=self.path)

    def __str__(self) -> str:
        return printable(f"{self.location}: {self.message}")


class ConfigError(ConnectfileError):
    """connect.toml is wrong; carries every issue found, sorted by line."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = tuple(sorted(issues, key=lambda i: (i.line, i.path, i.message)))
        super().__init__("\n".join(str(i) for i in self.issues))

    @property
    def located(self) -> bool:
        return True


class SecretNotSetError(ConfigError):
    """A secret connect.toml names is not set in the deploying environment (one issue each)."""


class SelectionError(ConnectfileError):
    """A file rule cannot be honoured (a path escapes the project, a file is missing)."""


class UsageError(ConnectfileError):
    """Flags or environment given on the command line do not fit together."""


class ServerUnreachableError(ConnectfileError):
    """A target's server gave no usable answer: no connection, a TLS failure, or not Connect."""


class CredentialsError(ConnectfileError):
    """Connect refused the API key, or the key's account cannot publish (locked, viewer...)."""


class CorruptFileError(ConnectfileError):
    """A file connectfile wrote (a deployment record, a saved plan) is damaged or not ours."""


class InterpreterError(ConnectfileError):
    """The Python interpreter asked for the version or the requirements cannot run, or failed."""


class ConnectApiError(ConnectfileError):
    """Connect answered with an error; carries Connect's status, code and message."""

    def __init__(
        self, *, method: str, path: str, status: int, code: int | None, message: str
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        code_part = f", error code {code}" if code is not None else ""
        super().__init__(f"{method} {path}: HTTP {status}{code_part}: {message}")
        self.message = message


class StalePlanError(ConnectfileError):
    """A saved plan no longer matches the config, the files or the server."""


class DeployError(ConnectfileError):
    """A deploy task on Connect ended in failure."""
