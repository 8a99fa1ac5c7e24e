"""Infer and statically check app entrypoints (pure: reads source via a callback, never imports)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Collection, Iterator

from connectfile.config.model import FILE_ENTRYPOINT_TYPES, App
from connectfile.errors import ConnectfileError

# rsconnect-python's preference order (reference/rsconnect-python.md §5).
PREFERRED_MODULES = ("app", "application", "main", "api")
# What Connect looks for in a module-only entrypoint, in order; the last two are factories.
MODULE_OBJECTS = ("app", "application", "create_app", "make_app")
FACTORIES = frozenset({"create_app", "make_app"})

_APP_LIKE = re.compile(r"app[-_].*\.py|.*[-_]app\.py")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class EntrypointError(ConnectfileError):
    """No entrypoint could be inferred, or more than one file could be it."""


def infer(app_type: str, filenames: Collection[str]) -> str:
    """The entrypoint rsconnect-python would pick from the app's files.

    `filenames` are POSIX paths relative to the app directory; only top-level `.py` files
    count. Returns a module name (`app`, `streamlit_app`): rsconnect writes the stem for
    every app type, Streamlit and Bokeh included, and our manifests match it byte for byte.
    Raises EntrypointError listing the candidates when there is no single answer.
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
    example = _example(app_type, (app_like or top or ["app.py"])[0])
    if not top:
        raise EntrypointError(
            "cannot infer the entrypoint: no .py file at the top of the app directory "
            f"(add app.py, or set entrypoint, e.g. {example})"
        )
    candidates = ", ".join(app_like or top)
    raise EntrypointError(
        f"cannot infer the entrypoint: candidates are {candidates} "
        f"(set entrypoint, e.g. {example})"
    )


def _example(app_type: str, filename: str) -> str:
    if app_type in FILE_ENTRYPOINT_TYPES:
        return f'entrypoint = "{filename}"'
    return f'entrypoint = "{filename[:-3]}:app"'


def manifest_entrypoint(app: App, filenames: Collection[str]) -> str:
    """`metadata.entrypoint` for the manifest: the configured one, else inferred.

    Raises EntrypointError (message prefixed with the app's key path) when inference fails.
    """
    if app.entrypoint:
        return app.entrypoint
    try:
        return infer(app.type, filenames)
    except EntrypointError as exc:
        raise EntrypointError(f"apps.{app.key}.entrypoint: {exc}") from None


def check(
    app_type: str, entrypoint: str, read_source: Callable[[str], str | None]
) -> str | None:
    """Check statically that `entrypoint` names something that exists; an error message or None.

    `read_source(relpath)` returns a file's text (path relative to the app directory, POSIX),
    or None when the file does not exist. Streamlit and Bokeh take a script (`x.py` or `x`);
    other types take `module` or `module:object`.
    """
    if app_type in FILE_ENTRYPOINT_TYPES:
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
    tree, error = _parse(path, source)
    if tree is None:
        return error
    names = dict(_top_level(tree.body))
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
        return _check_factory(path, head, names[head]) if head in FACTORIES else None
    for name in MODULE_OBJECTS:
        if name in names:
            return _check_factory(path, name, names[name]) if name in FACTORIES else None
    wanted = ", ".join(MODULE_OBJECTS)
    return (
        f"{path} defines none of {wanted} at top level "
        f'(set entrypoint = "{module}:OBJECT" naming the app object)'
    )


def _check_script(entrypoint: str, read_source: Callable[[str], str | None]) -> str | None:
    candidates = [entrypoint] if entrypoint.endswith(".py") else [f"{entrypoint}.py", entrypoint]
    for path in candidates:
        source = read_source(path)
        if source is not None:
            return _parse(path, source)[1] if path.endswith(".py") else None
    return f"file {candidates[0]!r} not found in the app directory"


def _parse(path: str, source: str) -> tuple[ast.Module | None, str | None]:
    try:
        return ast.parse(source, filename=path), None
    except SyntaxError as exc:
        return None, f"{path}:{exc.lineno}: syntax error: {exc.msg}"
    except ValueError as exc:  # null bytes
        return None, f"{path}: cannot parse: {exc}"


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


def _top_level(body: list[ast.stmt]) -> Iterator[tuple[str, ast.AST | None]]:
    """Names bound at module level, looking into if/try/with blocks but not functions."""
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name, node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                yield from _bound(target)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            yield from _bound(node.target)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                yield (alias.asname or alias.name.split(".")[0]), None
        elif isinstance(node, ast.If | ast.Try | ast.With | ast.AsyncWith | ast.For | ast.While):
            for block in ("body", "orelse", "finalbody"):
                yield from _top_level(getattr(node, block, []))
            for handler in getattr(node, "handlers", []):
                yield from _top_level(handler.body)


def _bound(target: ast.expr) -> Iterator[tuple[str, ast.AST | None]]:
    if isinstance(target, ast.Name):
        yield target.id, None
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _bound(element)
    elif isinstance(target, ast.Starred):
        yield from _bound(target.value)
