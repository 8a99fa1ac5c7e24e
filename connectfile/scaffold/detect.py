"""What `init` writes: detect an app's framework and entrypoint, render a commented connect.toml."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import tomlkit

from connectfile.config.model import FILE_ENTRYPOINT_TYPES
from connectfile.files import entrypoints, pysource

# Import name -> app type, most specific first: Dash apps import flask, Panel apps bokeh,
# Gradio apps often fastapi, so the framework built on top wins.
FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("streamlit", "streamlit"),
    ("dash", "dash"),
    ("shiny", "shiny"),
    ("gradio", "gradio"),
    ("panel", "panel"),
    ("bokeh", "bokeh"),
    ("fastapi", "fastapi"),
    ("flask", "flask"),
)
_LABELS = {"streamlit": "Streamlit", "dash": "Dash", "shiny": "Shiny", "gradio": "Gradio",
           "panel": "Panel", "bokeh": "Bokeh", "fastapi": "FastAPI", "flask": "Flask"}
# Object names tried, in order, when the inferred module does not define what Connect wants.
_OBJECT_NAMES = ("app", "application", "server", "api", "demo")
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True, kw_only=True, slots=True)
class FoundApp:
    """An app directory `init` found."""

    key: str
    type: str
    path: str  # POSIX, relative to the directory getting connect.toml
    entrypoint: str | None  # None: inference finds it
    evidence: str  # "imports" or "requirements.txt"
    has_requirements: bool


def imported_modules(source: str) -> set[str]:
    """Top-level package names a module imports (anywhere in it); empty when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    return pysource.imported_modules(tree)


def requirement_names(text: str) -> set[str]:
    """Lower-cased distribution names in a requirements file."""
    names = set()
    for line in text.splitlines():
        match = _REQUIREMENT.match(line)
        if match and not line.lstrip().startswith(("-", "#")):
            names.add(match.group(1).lower().replace("_", "-"))
    return names


def detect_type(sources: Mapping[str, str], requirements: str | None) -> tuple[str, str] | None:
    """(app type, evidence) from the top-level sources' imports, else from requirements.txt."""
    imported: set[str] = set()
    for source in sources.values():
        imported |= imported_modules(source)
    for module, app_type in FRAMEWORKS:
        if module in imported:
            if app_type == "gradio" and any("mount_gradio_app(" in s for s in sources.values()):
                return "fastapi", "imports"  # a FastAPI app serving Gradio under a path
            return app_type, "imports"
    wanted = requirement_names(requirements or "")
    for module, app_type in FRAMEWORKS:
        if module in wanted:
            return app_type, "requirements.txt"
    return None


def choose_entrypoint(
    app_type: str, filenames: Collection[str], read_source: Callable[[str], str | None]
) -> str | None:
    """None when inference already gives a working entrypoint, else the best explicit one."""
    try:
        inferred: str | None = entrypoints.infer(app_type, filenames)
    except entrypoints.EntrypointError:
        inferred = None
    if inferred is not None and entrypoints.check(app_type, inferred, read_source) is None:
        return None
    module = _framework_module(app_type)
    scripts = sorted(f for f in filenames if "/" not in f and f.endswith(".py"))
    users = [f for f in scripts if module in imported_modules(read_source(f) or "")]
    for filename in users or scripts:
        stem = filename[:-3]
        if app_type in FILE_ENTRYPOINT_TYPES:
            return filename
        for candidate in (stem, *(f"{stem}:{name}" for name in _OBJECT_NAMES)):
            if entrypoints.check(app_type, candidate, read_source) is None:
                return candidate
    return inferred


def _framework_module(app_type: str) -> str:
    return next(module for module, kind in FRAMEWORKS if kind == app_type)


def app_key(path: str, taken: Collection[str], fallback: str) -> str:
    """A unique app key (and so content name) from a directory path: 3 to 64 of [a-z0-9_-]."""
    base = path.rstrip("/").rsplit("/", 1)[-1] if path not in ("", ".") else fallback
    key = re.sub(r"[^a-z0-9_-]+", "-", base.lower()).strip("-_") or "app"
    if len(key) < 3:
        key = f"{key}-app"
    key = key[:60]
    unique, n = key, 2
    while unique in taken:
        unique, n = f"{key}-{n}", n + 1
    return unique


def render(apps: Sequence[FoundApp]) -> str:
    """A commented connect.toml for `apps`, built with tomlkit."""
    doc = tomlkit.document()
    for line in (
        "connect.toml: how connectfile deploys the apps in this directory to Posit Connect.",
        "Check it with `connectfile validate`; preview changes with `connectfile plan`.",
        "Every key is described in the README section \"connect.toml reference\".",
    ):
        doc.add(tomlkit.comment(line))
    doc.add(tomlkit.nl())
    doc.add("version", 1)
    doc.add(tomlkit.nl())
    for line in (
        "[defaults]                  # keys shared by every app",
        'python = "3.11"',
        'access = "acl"              # acl | logged_in | all',
        'exclude = ["tests/"]        # gitignore-style patterns',
        "",
        "With no [targets] table the server comes from CONNECT_SERVER and the API key from",
        "CONNECT_API_KEY, as with rsconnect-python. To name servers instead:",
        "[targets.production]",
        'server = "https://connect.example.com"',
        'api_key_env = "CONNECT_API_KEY"',
        "default = true",
        "[targets.local]",
        'server = "local"            # the emulator: `connectfile emulator`',
    ):
        doc.add(tomlkit.comment(line) if line else tomlkit.nl())
    apps_table = tomlkit.table(is_super_table=True)
    for app in apps:
        table = tomlkit.table()
        table.add(tomlkit.comment(f"{_LABELS[app.type]} app found in {app.path}/ "
                                  f"(from its {app.evidence})"))
        table.add("type", app.type)
        table.add("path", app.path)
        if app.entrypoint is not None:
            table.add("entrypoint", app.entrypoint)
        else:
            table.add(tomlkit.comment("entrypoint: inferred (app.py, application.py, main.py, "
                                      "api.py, or the only .py file)"))
        table.add(tomlkit.comment(f'title = "{app.key}"'))
        if not app.has_requirements:
            table.add(tomlkit.comment("no requirements.txt yet: one is generated by freezing "
                                      "the Python environment"))
        table.add(tomlkit.comment('env = { LOG_LEVEL = "info" }   # literal values'))
        table.add(tomlkit.comment('secrets = ["DB_PASSWORD"]      # names; values come from '
                                  "the deploying environment"))
        apps_table.add(app.key, table)
    doc.add("apps", apps_table)
    return tomlkit.dumps(doc)
