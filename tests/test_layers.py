"""Imports go one way: the pure core never reaches the edges, and the emulator stands alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "connectfile"

# Pure modules: values in, values out; no HTTP, no process, no archive, no file writes.
CORE = ("errors", "model", "schema", "config", "config_lines", "config_rules", "entrypoints",
        "checks", "selection", "manifest", "state", "plans", "diff", "render")
FORBIDDEN_EXTERNAL = {"requests", "argparse", "subprocess", "tarfile", "shutil", "tempfile",
                      "socket", "werkzeug"}
EDGES = {"cli", "commands", "client", "remote", "executor", "planning", "localapp",
         "workspace", "bundle", "pyenv", "records", "planfile", "checksums", "atomic",
         "emulator", "scaffold"}


def imported(path: Path) -> set[str]:
    """Every module name `path` imports, `from connectfile import x` counted as connectfile.x."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "connectfile":
                names.update(f"connectfile.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_edge(module: str) -> None:
    names = imported(PACKAGE / f"{module}.py")
    external = {n.split(".")[0] for n in names} & FORBIDDEN_EXTERNAL
    edges = {n.split(".")[1] for n in names if n.startswith("connectfile.")} & EDGES
    assert not external, f"{module} imports {sorted(external)}"
    assert not edges, f"{module} imports edge modules {sorted(edges)}"


def test_emulator_uses_nothing_of_the_product_but_its_error_type() -> None:
    for path in sorted((PACKAGE / "emulator").glob("*.py")):
        outside = {n for n in imported(path)
                   if n.startswith("connectfile.") and not n.startswith("connectfile.emulator")}
        assert outside <= {"connectfile.errors"}, f"{path.name} imports {sorted(outside)}"


def test_client_knows_nothing_of_files_bundles_or_rendering() -> None:
    names = imported(PACKAGE / "client.py")
    assert not {n for n in names if n.split(".")[-1] in {"workspace", "bundle", "render",
                                                           "localapp", "executor"}}
