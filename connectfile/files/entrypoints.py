"""Infer and statically check app entrypoints (pure: reads source via a callback, never imports)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Collection

from connectfile.config.model import FILE_ENTRYPOINT_TYPES, App
from connectfile.errors import ConnectfileError
from connectfile.files import pysource
from connectfile.files.pysource import EXPRESS_PREFIX

Reader = Callable[[str], str | None]

# rsconnect-python's preference order (reference/rsconnect-python.md §5).
PREFERRED_MODULES = ("app", "application", "main", "api")
# What Connect looks for in a module-only entrypoint, in order; the last two are factories.
MODULE_OBJECTS = ("app", "application", "create_app", "make_app")
FACTORIES = frozenset({"create_app", "make_app"})
# The package an app of each type imports; an ambiguous inference suggests the file doing so.
FRAMEWORK_MODULES = {
    "api": "flask", "flask": "flask", "fastapi": "fastapi", "shiny": "shiny", "dash": "dash",
    "streamlit": "streamlit", "bokeh": "bokeh", "gradio": "gradio", "panel": "panel",
}
# Object names tried, in order, when a file binds no object its framework built.
OBJECT_NAMES = ("app", "application", "server", "api", "demo")
_TYPE_OF = {"fastapi": "FastAPI", "flask": "Flask", "dash": "Dash", "shiny": "Shiny",
            "gradio": "Gradio"}

_APP_LIKE = re.compile(r"app[-_].*\.py|.*[-_]app\.py")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class EntrypointError(ConnectfileError):
    """No entrypoint could be inferred, or more than one file could be it."""


def takes_file(app_type: str, entrypoint: str) -> bool:
    """True when `entrypoint` names a script: always for Streamlit/Bokeh/Panel, `x.py` for Shiny."""
    return app_type in FILE_ENTRYPOINT_TYPES or (
        app_type == "shiny" and entrypoint.endswith(".py")
    )


def infer(app_type: str, filenames: Collection[str], read_source: Reader | None = None) -> str:
    """The entrypoint rsconnect-python would pick from the app's files.

    `filenames` are POSIX paths relative to the app directory; only top-level `.py` files
    count. Returns a module name (`app`, `streamlit_app`): rsconnect writes the stem for
    every app type, Streamlit and Bokeh included, and our manifests match it byte for byte.
    Raises EntrypointError with a suggestion when there is no single answer; with
    `read_source`, the suggestion is the file importing the app's framework.
    """
    top = sorted(f for f in filenames if "/" not in f and f.endswith(".py"))
    for stem in PREFERRED_MODULES:
        if f"{stem}.py" in top:
            return stem
    if len(top) == 1:
        return top[0][:-3]
    app_like = [f for f in top if _APP_LIKE.fullmatch(f)]
    if len(app_like) == 1:
        return app_like[0][:-3]
    if not top:
        raise EntrypointError(
            "cannot infer the entrypoint: no .py file at the top of the app directory "
            f"(add app.py, or set entrypoint, e.g. {_example(app_type, 'app.py')})"
        )
    candidates = app_like or top
    example = _example(app_type, candidates[0])
    if read_source is not None:
        example = suggest(app_type, top, read_source) or example
    raise EntrypointError(
        f"cannot infer the entrypoint: candidates are {', '.join(candidates)} "
        f"(set entrypoint, e.g. {example})"
    )


def suggest(app_type: str, scripts: Collection[str], read_source: Reader) -> str | None:
    """`entrypoint = "run:demo"` for the first file importing the framework, with its object."""
    module = FRAMEWORK_MODULES.get(app_type)
    for filename in sorted(scripts):
        tree, _ = pysource.parse(filename, read_source(filename) or "")
        if tree is None or module not in pysource.imported_modules(tree):
            continue
        if takes_file(app_type, filename) or app_type == "shiny":
            return f'entrypoint = "{filename}"'
        found = app_object(app_type, tree)
        return f'entrypoint = "{filename[:-3]}:{found or "app"}"'
    return None


def app_object(app_type: str, tree: ast.Module) -> str | None:
    """The module-level object a file binds for `app_type`: built by its framework, else named
    like an app object."""
    names = pysource.bindings(tree)
    for name, binding in names.items():
        if binding.made_by and app_type in pysource.CONSTRUCTORS[binding.made_by]:
            return name
    return next((n for n in OBJECT_NAMES if n in names), None)


def _example(app_type: str, filename: str) -> str:
    if app_type in FILE_ENTRYPOINT_TYPES:
        return f'entrypoint = "{filename}"'
    return f'entrypoint = "{filename[:-3]}:app"'


def manifest_entrypoint(
    app: App, filenames: Collection[str], read_source: Reader | None = None
) -> str:
    """`metadata.entrypoint` for the manifest: the configured one, else inferred.

    A Shiny app file that is Shiny Express (by import or `# shiny_mode:` comment) gets the
    entrypoint rsconnect writes, `shiny.express.app:<escaped file name>`; another Shiny file
    entrypoint (`app.py`) is written as its module (`app`). Raises EntrypointError when
    inference fails (the caller knows where `entrypoint` would be written).
    """
    entrypoint = app.entrypoint
    if not entrypoint:
        entrypoint = infer(app.type, filenames, read_source)
    if app.type != "shiny" or read_source is None or entrypoint.startswith(EXPRESS_PREFIX):
        return entrypoint
    filename = entrypoint if entrypoint.endswith(".py") else None
    if filename is None and ":" not in entrypoint:
        filename = entrypoint.replace(".", "/") + ".py"
    if filename is None:
        return entrypoint
    source = read_source(filename)
    if source is not None and "/" not in filename:
        tree, _ = pysource.parse(filename, source)
        if pysource.shiny_mode(source, tree) == "express":
            return pysource.express_entrypoint(filename)
    return filename[:-3].replace("/", ".") if entrypoint.endswith(".py") else entrypoint


def check(app_type: str, entrypoint: str, read_source: Reader) -> str | None:
    """Check statically that `entrypoint` names something that exists; an error message or None.

    `read_source(relpath)` returns a file's text (path relative to the app directory, POSIX),
    or None when the file does not exist. Streamlit, Bokeh and Panel take a script (`x.py`
    or `x`), Shiny a script or a module; other types take `module` or `module:object`. An
    object built by a framework other than `app_type`'s is an error naming the right type.
    """
    if entrypoint.startswith(EXPRESS_PREFIX):
        if app_type != "shiny":
            return f"{entrypoint!r} is a Shiny Express entrypoint; set type = \"shiny\""
        return _check_script(pysource.unescape_name(entrypoint[len(EXPRESS_PREFIX):]),
                             read_source)
    if takes_file(app_type, entrypoint):
        return _check_script(entrypoint, read_source)
    module, sep, obj = entrypoint.partition(":")
    if ":" in obj or not _MODULE.fullmatch(module) or (sep and not obj):
        return (
            f"{entrypoint!r} is not in \"module\" or \"module:object\" form "
            '(e.g. "main:app")'
        )
    if module.endswith(".py"):
        return f"{entrypoint!r} names a file; use the module name {module[:-3]!r} instead"
    base = module.replace(".", "/")
    candidates = (f"{base}.py", f"{base}/__init__.py")
    found = next(((p, s) for p in candidates if (s := read_source(p)) is not None), None)
    if found is None:
        return f"module {module!r} not found: there is no {candidates[0]} in the app directory"
    path, source = found
    tree, error = pysource.parse(path, source)
    if tree is None:
        return error
    if app_type == "shiny" and not obj and pysource.shiny_mode(source, tree) == "express":
        return None  # Shiny Express builds the app from the whole file
    names = pysource.bindings(tree)
    if "*" in names:
        return None  # a star import may define anything; Connect will tell at run time
    if obj:
        head = obj.split(".")[0]
        if not _IDENTIFIER.fullmatch(head):
            return f"{obj!r} is not a Python name (expected \"module:object\")"
        if head not in names:
            return (
                f"{path} does not define {head!r} at top level "
                "(define it, or point entrypoint at the object that serves the app)"
            )
        return _check_object(app_type, path, head, names[head])
    for name in MODULE_OBJECTS:
        if name in names:
            return _check_object(app_type, path, name, names[name])
    wanted = ", ".join(MODULE_OBJECTS)
    return (
        f"{path} defines none of {wanted} at top level "
        f'(set entrypoint = "{module}:OBJECT" naming the app object)'
    )


def _check_script(entrypoint: str, read_source: Reader) -> str | None:
    candidates = [entrypoint] if entrypoint.endswith(".py") else [f"{entrypoint}.py", entrypoint]
    for path in candidates:
        source = read_source(path)
        if source is not None:
            return pysource.parse(path, source)[1] if path.endswith(".py") else None
    return f"file {candidates[0]!r} not found in the app directory"


def _check_object(app_type: str, path: str, name: str, binding: pysource.Binding) -> str | None:
    made_by = binding.made_by
    if made_by and app_type not in pysource.CONSTRUCTORS[made_by]:
        right = pysource.CONSTRUCTORS[made_by][0]
        kind = _TYPE_OF.get(right, right)
        return (
            f"{path}:{binding.line}: {name} is a {kind} app ({made_by.rsplit('.', 1)[-1]}()), "
            f'not {app_type}; set type = "{right}"'
        )
    return _check_factory(path, name, binding.node) if name in FACTORIES else None


def _check_factory(path: str, name: str, node: ast.AST | None) -> str | None:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    required = [a.arg for a in positional[: len(positional) - len(args.defaults)]]
    required += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    if not required:
        return None
    return (
        f"{path}: factory {name}() takes required arguments ({', '.join(required)}); "
        "Connect calls it with none (give them defaults)"
    )
