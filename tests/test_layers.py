"""Imports go one way: folders in pipeline order, a pure core, one seam to the emulator."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "connectfile"

# Pipeline order, lowest first: a unit imports its own folder and earlier ones, never later ones.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors",),
    ("config",),
    ("files",),
    ("bundle",),
    ("remote",),
    ("plans",),
    ("engine", "scaffold"),
    ("views",),
    ("commands",),
    ("cli", "__main__"),
)
# The only product module that may import the emulator.
SEAM = "remote/local.py"
# Pure modules: values in, values out; no HTTP, no process, no archive, no file writes.
PURE = ("errors.py", "config/model.py", "config/schema.py", "config/load.py", "config/lines.py",
        "config/locate.py",
        "config/rules.py", "files/entrypoints.py", "files/pysource.py", "files/selection.py",
        "bundle/manifest.py", "bundle/prepared.py", "bundle/requirements.py", "bundle/uvlock.py",
        "remote/state.py", "plans/values.py", "plans/marker.py", "plans/diff.py",
        "plans/encoding.py",
        "views/plan_text.py", "engine/checks.py", "engine/secrets.py")
FORBIDDEN_EXTERNAL = {"requests", "argparse", "subprocess", "tarfile", "shutil", "tempfile",
                      "socket", "werkzeug"}


def imported(source: str) -> set[str]:
    """Every module name `source` imports, `from connectfile import x` counted as connectfile.x."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module.startswith("connectfile"):
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def unit(name: str) -> str:
    """The layer unit of a dotted connectfile module name or a path relative to the package."""
    parts = name.replace("/", ".").removesuffix(".py").split(".")
    return parts[0] if parts[0] else parts[1]


def module_path(name: str) -> str:
    """`plans.values` or `plans.values.Plan` as the path of the module it names."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = "/".join(parts[:end]) + ".py"
        if (PACKAGE / candidate).exists() or candidate in PURE:
            return candidate
    return "/".join(parts) + ".py"


def level(unit_name: str) -> int | None:
    for index, units in enumerate(LAYERS):
        if unit_name in units:
            return index
    return None


def violations(package: Path) -> list[str]:
    """Every import in `package` that breaks the contract, as 'file: reason' lines."""
    found: list[str] = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        names = imported(path.read_text("utf-8"))
        # `from connectfile import __version__` reads the package root, which imports nothing.
        ours = {n.removeprefix("connectfile.") for n in names
                if n.startswith("connectfile.") and n != "connectfile.__version__"}
        own = unit(rel) if "/" in rel else rel.removesuffix(".py")
        if own == "__init__":
            continue
        if own == "emulator":
            outside = {n for n in ours if unit(n) not in {"emulator", "errors"}}
            found += [f"{rel}: the emulator imports connectfile.{n}" for n in sorted(outside)]
            continue
        for name in sorted(ours):
            target = unit(name)
            if target == "emulator":
                if rel != SEAM:
                    found.append(f"{rel}: imports the emulator outside the seam {SEAM}")
                continue
            mine, theirs = level(own), level(target)
            if theirs is None or mine is None:
                found.append(f"{rel}: {own!r} or {target!r} is in no layer")
            elif theirs > mine:
                found.append(f"{rel}: {own} (layer {mine}) imports higher {name} (layer {theirs})")
        if rel in PURE:
            external = {n.split(".")[0] for n in names} & FORBIDDEN_EXTERNAL
            found += [f"{rel}: pure module imports {e}" for e in sorted(external)]
            # A package's __init__ holds only its docstring, so importing the package is pure.
            impure = {n for n in ours if module_path(n) not in PURE and unit(n) != "errors"
                      and not (PACKAGE / n.replace(".", "/")).is_dir()}
            found += [f"{rel}: pure module imports edge connectfile.{n}" for n in sorted(impure)]
    return found


def test_the_package_keeps_the_contract() -> None:
    assert violations(PACKAGE) == []


def test_every_folder_is_a_layer() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert {u for units in LAYERS for u in units} | {"emulator"} == folders | modules


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    package = tmp_path / "connectfile"
    for rel, text in files.items():
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text(text, "utf-8")
    return package


@pytest.mark.parametrize(("rel", "source", "reason"), [
    ("config/model.py", "from connectfile.plans.values import Plan\n", "imports higher"),
    ("files/walk.py", "def f():\n    from connectfile.views import plan_text\n", "imports higher"),
    ("engine/planning.py", "from connectfile.emulator.local import start_local\n",
     "outside the seam"),
    ("emulator/app.py", "from connectfile.config.model import App\n", "the emulator imports"),
    ("plans/diff.py", "import requests\n", "pure module imports requests"),
    ("bundle/manifest.py", "from connectfile.remote.client import ConnectClient\n",
     "pure module imports edge"),
])
def test_a_forbidden_import_is_caught(tmp_path: Path, rel: str, source: str, reason: str) -> None:
    package = _tree(tmp_path, {rel: source})
    assert any(reason in line for line in violations(package)), violations(package)


def test_allowed_imports_pass(tmp_path: Path) -> None:
    package = _tree(tmp_path, {
        "plans/diff.py": "from connectfile.config.model import App\n",
        "remote/local.py": "from connectfile.emulator.local import start_local\n",
        "emulator/app.py": "from connectfile.errors import ConnectfileError\n",
    })
    assert violations(package) == []


def test_every_module_opens_with_a_docstring_and_stays_small() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        doc = ast.get_docstring(tree)
        assert doc, f"{path} has no docstring"
        assert len(path.read_text("utf-8").splitlines()) <= 400, f"{path} is over 400 lines"
