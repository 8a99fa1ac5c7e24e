"""Resolve an app's Python version and requirements (edge: reads files, runs the interpreter).

Version (SPEC §3): the app's `python` key, else `.python-version` in the app directory,
else the interpreter named by `--python`, else `RETICULATE_PYTHON`, else the running one,
with a warning that the manifest then depends on the machine. Requirements: the app's
requirements file, else (or with `--force-generate`) `pip freeze` of that interpreter,
with no timestamp header so the same environment gives the same bytes.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import tomlkit
from tomlkit.exceptions import ParseError

from connectfile.config.model import App
from connectfile.errors import InterpreterError

log = logging.getLogger("connectfile")

_PLAIN = re.compile(r"\d+(\.\d+){0,2}")
_WILDCARD = re.compile(r"\d+(\.(\d+|\*)){0,2}")
_OPERATOR = re.compile(r"\s*(~=|==|!=|<=|>=|<|>|===)")
# Frozen lines that cannot be installed on a server: local paths and editable checkouts.
_LOCAL_ONLY = re.compile(r"^(-e\s|--editable\s)|\s@\s+file:", re.IGNORECASE)
_OWN_NAMES: Final = frozenset({"connectfile"})


@dataclass(frozen=True, kw_only=True, slots=True)
class PythonInfo:
    """The Python an app asks for.

    `version` is `X.Y.Z` for `python.version`; `requires` is the PEP 440 constraint for
    `environment.python.requires` (None when unknown); `interpreter` is the executable
    that was (or would be) run; `from_interpreter` is True when the version was read
    from a local interpreter, which makes the manifest machine-dependent.
    """

    version: str
    requires: str | None
    interpreter: str
    from_interpreter: bool
    source: str  # where the version came from, for messages


def choose_interpreter(python: str | None, environ: Mapping[str, str]) -> str:
    """`--python`, else `RETICULATE_PYTHON`, else the running interpreter (seed rule)."""
    return python or environ.get("RETICULATE_PYTHON") or sys.executable


def resolve_python(
    app: App, app_dir: Path, *, python: str | None, environ: Mapping[str, str] | None = None
) -> PythonInfo:
    """Decide the Python version and constraint for `app` (see the module docstring)."""
    env = os.environ if environ is None else environ
    interpreter = choose_interpreter(python, env)
    if app.python:
        requires = to_requires(app.python)
        if requires is not None and _PLAIN.fullmatch(app.python):
            return PythonInfo(version=full_version(app.python), requires=requires,
                              interpreter=interpreter, from_interpreter=False,
                              source=f"apps.{app.key}.python")
    pinned = app_dir / ".python-version"
    pinned_requires = None
    if not app.python and pinned.is_file():
        text = pinned.read_text("utf-8").strip().splitlines()
        value = text[0].strip() if text else ""
        pinned_requires = to_requires(value)
        if pinned_requires is not None and _PLAIN.fullmatch(value):
            return PythonInfo(version=full_version(value), requires=pinned_requires,
                              interpreter=interpreter, from_interpreter=False,
                              source=".python-version")
        if pinned_requires is None:
            log.warning("%s: %r is not a Python version connectfile understands (expected "
                        "e.g. 3.11 or >=3.10); ignoring it", pinned, value)
    version = interpreter_version(interpreter)
    # A specifier (`>=3.8`, `3.11.*`) constrains without naming a version: rsconnect writes
    # it as `requires` and takes the version from the interpreter (§3.2).
    requires = (to_requires(app.python) if app.python
                else pinned_requires or pyproject_requires(app_dir))
    log.warning(
        "apps.%s: Python %s taken from the interpreter %s, so the manifest depends on this "
        "machine; set python = \"%s\" in connect.toml or write a .python-version",
        app.key, version, interpreter, ".".join(version.split(".")[:2]),
    )
    return PythonInfo(version=version, requires=requires, interpreter=interpreter,
                      from_interpreter=True, source=interpreter)


def to_requires(value: str) -> str | None:
    """A `.python-version`-style value as a PEP 440 constraint, as rsconnect converts it.

    `3` -> `~=3.0`, `3.11` and `3.11.4` -> `~=3.11.0`, `3.*` -> `==3.*`, values with an
    operator are kept; anything else (implementation names, pre-releases) -> None.
    """
    value = value.strip()
    if not value:
        return None
    if _OPERATOR.match(value):
        return value
    if "*" in value:
        return f"=={value}" if _WILDCARD.fullmatch(value) else None
    if not _PLAIN.fullmatch(value):
        return None
    parts = value.split(".")
    if len(parts) == 1:
        return f"~={parts[0]}.0"
    return f"~={parts[0]}.{parts[1]}.0"


def full_version(value: str) -> str:
    """`3.11` -> `3.11.0` (the X.Y.Z form `python.version` takes)."""
    parts = value.split(".")
    return ".".join(parts + ["0"] * (3 - len(parts)))


def pyproject_requires(app_dir: Path) -> str | None:
    """`[project].requires-python` from the app's pyproject.toml, when there is one."""
    path = app_dir / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomlkit.parse(path.read_text("utf-8")).unwrap()
    except (ParseError, UnicodeDecodeError):
        return None
    project = data.get("project")
    value = project.get("requires-python") if isinstance(project, dict) else None
    return value if isinstance(value, str) and value else None


def _run(interpreter: str, *args: str) -> str:
    try:
        done = subprocess.run(
            [interpreter, *args], capture_output=True, text=True, check=False, timeout=120,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONIOENCODING": "utf-8"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InterpreterError(
            f"cannot run the Python interpreter {interpreter!r}: {exc} "
            "(check --python or RETICULATE_PYTHON)"
        ) from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InterpreterError(
            f"{interpreter} {' '.join(args)} failed: {last} "
            "(check --python or RETICULATE_PYTHON)"
        )
    return done.stdout


def interpreter_version(interpreter: str) -> str:
    """The X.Y.Z version of `interpreter` (the running one is not re-run)."""
    if interpreter == sys.executable:
        return ".".join(str(n) for n in sys.version_info[:3])
    out = _run(interpreter, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))")
    return out.strip()


@functools.cache
def freeze(interpreter: str) -> bytes:
    """`pip freeze` of `interpreter` as requirements bytes: sorted, `\\n` endings, no header.

    Lines that cannot install on a server (editable checkouts, `@ file:` paths) and
    connectfile itself are left out, with a warning naming them. Remembered per
    interpreter for the life of the process: an environment does not change mid-run, and
    a monorepo plan would otherwise freeze it once per app.
    """
    out = _run(interpreter, "-m", "pip", "freeze", "--disable-pip-version-check")
    lines: list[str] = []
    skipped: list[str] = []
    for raw in out.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name = re.split(r"[\s=<>~!@\[;]", line, maxsplit=1)[0].lower().replace("_", "-")
        if _LOCAL_ONLY.search(line) or name in _OWN_NAMES:
            skipped.append(line)
            continue
        lines.append(line)
    if skipped:
        log.warning("left out of the generated requirements (local only): %s", ", ".join(skipped))
    lines.sort(key=str.lower)
    return "".join(f"{line}\n" for line in lines).encode("utf-8")
