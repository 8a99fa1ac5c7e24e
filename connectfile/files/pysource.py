"""What a Python source says about itself, read with `ast` (pure: never imports user code).

Module-level names and what built them, the Shiny mode of a file, Panel's `.servable()`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

# py-shiny reads a `# shiny_mode: express|core` comment in a file's first 1000 characters
# (reference/rsconnect-python.md §1.3).
_SHINY_MODE: Final = re.compile(r"^#\s*shiny_mode:\s*(express|core)\s*$", re.MULTILINE)
EXPRESS_PREFIX: Final = "shiny.express.app:"
_ESCAPED: Final = re.compile(r"_([0-9a-f]+)_")

# Constructors of app objects, by qualified name, with the connect.toml types they can
# serve. Connect reports a WSGI/ASGI mismatch only when the app starts.
CONSTRUCTORS: Final[Mapping[str, tuple[str, ...]]] = {
    "fastapi.FastAPI": ("fastapi",),
    "fastapi.applications.FastAPI": ("fastapi",),
    "starlette.applications.Starlette": ("fastapi",),
    "flask.Flask": ("flask", "api"),
    "flask.app.Flask": ("flask", "api"),
    "dash.Dash": ("dash",),
    "shiny.App": ("shiny",),
    "gradio.Blocks": ("gradio",),
    "gradio.Interface": ("gradio",),
    "gradio.ChatInterface": ("gradio",),
    "gradio.TabbedInterface": ("gradio",),
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Binding:
    """A name bound at module level: the node that binds it and, for `x = Ctor(...)`, Ctor."""

    node: ast.AST | None  # a FunctionDef/ClassDef, or None for other bindings
    made_by: str | None  # qualified constructor name ("fastapi.FastAPI"), when known
    line: int


def parse(path: str, source: str) -> tuple[ast.Module | None, str | None]:
    """The module tree, or None and a one-line message naming the file and line."""
    try:
        return ast.parse(source, filename=path), None
    except SyntaxError as exc:
        return None, f"{path}:{exc.lineno}: syntax error: {exc.msg}"
    except ValueError as exc:  # null bytes
        return None, f"{path}: cannot parse: {exc}"


def imported_modules(tree: ast.Module) -> set[str]:
    """Top-level package names imported anywhere in the module (absolute imports only)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def has_relative_import(tree: ast.Module) -> bool:
    """True when the module imports from its own package (`from .x import y`)."""
    return any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))


def bindings(tree: ast.Module) -> dict[str, Binding]:
    """Names bound at module level; the last binding of a name wins, as at run time."""
    aliases = _aliases(tree)
    out: dict[str, Binding] = {}
    for name, node, value, line in _top_level(tree.body):
        made_by = _constructor(value, aliases) if value is not None else None
        out[name] = Binding(node=node, made_by=made_by, line=line)
    return out


def shiny_mode(source: str, tree: ast.Module | None) -> str:
    """`"express"` or `"core"`, as py-shiny decides: the magic comment, else imports."""
    found = _SHINY_MODE.search(source[:1000])
    if found:
        return found.group(1)
    if tree is None:
        return "core"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name == "shiny.express" or a.name.startswith("shiny.express.") for a in node.names
        ):
            return "express"
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module == "shiny.express" or node.module.startswith("shiny.express."):
                return "express"
            if node.module == "shiny" and any(a.name == "express" for a in node.names):
                return "express"
    return "core"


def express_entrypoint(filename: str) -> str:
    """The entrypoint rsconnect writes for a Shiny Express file (`app.py` -> `...:app_2e_py`)."""
    return EXPRESS_PREFIX + escape_name(filename)


def escape_name(name: str) -> str:
    """py-shiny's file-name escaping: every character but [A-Za-z0-9] (and a leading digit)
    becomes `_<hex>_`."""
    out = []
    for i, char in enumerate(name):
        plain = char.isascii() and (char.isalpha() or (char.isdigit() and i > 0))
        out.append(char if plain else f"_{ord(char):x}_")
    return "".join(out)


def unescape_name(escaped: str) -> str:
    """The inverse of `escape_name`: `app_2e_py` -> `app.py`."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), escaped)


def calls_servable(tree: ast.Module) -> bool:
    """True when the module calls `.servable()` on something (Panel marks what it serves)."""
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
        and n.func.attr == "servable"
        for n in ast.walk(tree)
    )


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> qualified name, for every import in the module."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    out[head] = head
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                out[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return out


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _constructor(value: ast.expr, aliases: Mapping[str, str]) -> str | None:
    if not isinstance(value, ast.Call):
        return None
    name = _dotted(value.func)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    qualified = aliases.get(head, head) + (f".{rest}" if rest else "")
    return qualified if qualified in CONSTRUCTORS else None


_Bound = tuple[str, ast.AST | None, ast.expr | None, int]


def _top_level(body: list[ast.stmt]) -> Iterator[_Bound]:
    """Names bound at module level, looking into if/try/with/for blocks but not functions."""
    for node in body:
        line = node.lineno
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name, node, None, line
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                yield from _bound(target, node.value, line)
        elif isinstance(node, ast.AnnAssign):
            yield from _bound(node.target, node.value, line)
        elif isinstance(node, ast.AugAssign):
            yield from _bound(node.target, None, line)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                yield (alias.asname or alias.name.split(".")[0]), None, None, line
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    yield from _bound(item.optional_vars, item.context_expr, line)
            yield from _top_level(node.body)
        elif isinstance(node, ast.For | ast.AsyncFor):
            yield from _bound(node.target, None, line)
            yield from _top_level(node.body)
            yield from _top_level(node.orelse)
        elif isinstance(node, ast.If | ast.While):
            yield from _walrus(node.test, line)
            yield from _top_level(node.body)
            yield from _top_level(node.orelse)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":  # 3.11+
            for block in ("body", "orelse", "finalbody"):
                yield from _top_level(getattr(node, block))
            for handler in getattr(node, "handlers", ()):
                yield from _top_level(handler.body)
        elif isinstance(node, ast.Match):
            for case in node.cases:
                yield from _top_level(case.body)
        if isinstance(node, ast.Expr | ast.Assign | ast.AnnAssign) and node.value is not None:
            yield from _walrus(node.value, line)


def _walrus(expr: ast.expr, line: int) -> Iterator[_Bound]:
    """`(app := Flask(...))` binds `app` in the enclosing (module) scope."""
    for node in ast.walk(expr):
        if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            yield node.target.id, None, node.value, line


def _bound(target: ast.expr, value: ast.expr | None, line: int) -> Iterator[_Bound]:
    if isinstance(target, ast.Name):
        yield target.id, None, value, line
    elif isinstance(target, ast.Tuple | ast.List):
        values = value.elts if isinstance(value, ast.Tuple | ast.List) else None
        if values is not None and len(values) != len(target.elts):
            values = None
        for i, element in enumerate(target.elts):
            yield from _bound(element, values[i] if values else None, line)
    elif isinstance(target, ast.Starred):
        yield from _bound(target.value, None, line)
