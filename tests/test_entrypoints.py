"""Entrypoint inference in rsconnect's order and static checks with ast."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectfile.config.model import App
from connectfile.files.entrypoints import EntrypointError, check, infer, manifest_entrypoint


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["app.py", "main.py"], "app"),
        (["api.py", "application.py"], "application"),
        (["main.py", "api.py", "util.py"], "main"),
        (["api.py", "x.py"], "api"),
        (["streamlit_app.py", "README.md"], "streamlit_app"),
        (["my-app.py", "utils.py"], "my-app"),
        (["app_v2.py", "helpers.py"], "app_v2"),
        (["serve.py", "pkg/app.py"], "serve"),
    ],
)
def test_infer_follows_rsconnect_order(files: list[str], expected: str) -> None:
    assert infer("fastapi", files) == expected


@pytest.mark.parametrize("kind", ["api", "fastapi", "shiny", "dash", "streamlit", "bokeh"])
def test_infer_matches_recorded_rsconnect_manifests(kind: str) -> None:
    # What rsconnect 1.32 wrote for the parity samples (stems for every type).
    samples = {
        "api": (["app.py"], "app"),
        "fastapi": (["main.py"], "main"),
        "shiny": (["app.py"], "app"),
        "dash": (["app.py"], "app"),
        "streamlit": (["streamlit_app.py"], "streamlit_app"),
        "bokeh": (["main.py"], "main"),
    }
    files, expected = samples[kind]
    assert infer(kind, [*files, "pkg/__init__.py", "requirements.txt"]) == expected


def test_infer_ambiguous_lists_candidates() -> None:
    with pytest.raises(EntrypointError) as info:
        infer("flask", ["app_v2.py", "helper_app.py", "x.py"])
    assert str(info.value) == (
        "cannot infer the entrypoint: candidates are app_v2.py, helper_app.py "
        '(set entrypoint, e.g. entrypoint = "app_v2:app")'
    )


def test_infer_ambiguous_without_app_like_files() -> None:
    with pytest.raises(EntrypointError, match=r"candidates are a\.py, b\.py"):
        infer("streamlit", ["b.py", "a.py"])


def test_infer_no_python_file() -> None:
    with pytest.raises(EntrypointError, match=r"no \.py file at the top"):
        infer("dash", ["pkg/app.py", "README.md"])


def test_manifest_entrypoint_prefers_configured_one() -> None:
    app = App(key="web", type="flask", name="web", entrypoint="serve:wsgi")
    assert manifest_entrypoint(app, ["app.py"]) == "serve:wsgi"
    inferred = App(key="web", type="flask", name="web")
    assert manifest_entrypoint(inferred, ["app.py"]) == "app"
    with pytest.raises(EntrypointError, match=r"^cannot infer") as exc:
        manifest_entrypoint(inferred, ["a.py", "b.py"])
    assert exc.value.location is None  # prepare() places it: apps.web.entrypoint's line


def _reader(files: dict[str, str]) -> Callable[[str], str | None]:
    return files.get


@pytest.mark.parametrize(
    ("source", "entrypoint"),
    [
        ("app = object()", "main:app"),
        ("from fastapi import FastAPI\nserver = FastAPI()", "main:server"),
        ("def make():\n    pass", "main:make"),
        ("class Api: ...", "main:Api"),
        ("from x import y as api", "main:api"),
        ("import fastapi as api", "main:api"),
        ("try:\n    app = 1\nexcept ImportError:\n    app = 2", "main:app"),
        ("if True:\n    app: int = 1", "main:app"),
        ("a, (b, app) = 1, (2, 3)", "main:app"),
        ("from somewhere import *", "main:anything"),
        ("app = 1", "main:app.server"),
        ("application = 1", "main"),
        ("def create_app(config=None):\n    pass", "main"),
        ("def make_app(*, debug=False):\n    pass", "main"),
        ("def make_app(*args, **kwargs):\n    pass", "main"),
    ],
)
def test_check_accepts(source: str, entrypoint: str) -> None:
    assert check("fastapi", entrypoint, _reader({"main.py": source})) is None


def test_check_finds_packages() -> None:
    read = _reader({"pkg/web/__init__.py": "app = 1", "pkg/__init__.py": ""})
    assert check("flask", "pkg.web:app", read) is None


@pytest.mark.parametrize(
    ("files", "entrypoint", "message"),
    [
        ({}, "main:app", "module 'main' not found: there is no main.py in the app directory"),
        (
            {"main.py": "api = 1"},
            "main:app",
            "main.py does not define 'app' at top level "
            "(define it, or point entrypoint at the object that serves the app)",
        ),
        (
            {"main.py": "def f():\n    app = 1"},
            "main",
            "main.py defines none of app, application, create_app, make_app at top level "
            '(set entrypoint = "main:OBJECT" naming the app object)',
        ),
        (
            {"main.py": "def create_app(config):\n    pass"},
            "main",
            "main.py: factory create_app() takes required arguments (config); "
            "Connect calls it with none (give them defaults)",
        ),
        (
            {"main.py": "def make_app(*, env):\n    pass"},
            "main:make_app",
            "main.py: factory make_app() takes required arguments (env); "
            "Connect calls it with none (give them defaults)",
        ),
        ({"main.py": "app = ("}, "main:app", "main.py:1: syntax error: '(' was never closed"),
        (
            {},
            "a:b:c",
            "'a:b:c' is not in \"module\" or \"module:object\" form (e.g. \"main:app\")",
        ),
        ({}, "main.py", "'main.py' names a file; use the module name 'main' instead"),
    ],
)
def test_check_rejects(files: dict[str, str], entrypoint: str, message: str) -> None:
    assert check("flask", entrypoint, _reader(files)) == message


@pytest.mark.parametrize("entrypoint", ["streamlit_app.py", "streamlit_app"])
def test_check_script_entrypoints(entrypoint: str) -> None:
    read = _reader({"streamlit_app.py": "import streamlit as st"})
    assert check("streamlit", entrypoint, read) is None


def test_check_script_missing() -> None:
    assert check("bokeh", "dashboard.py", _reader({})) == (
        "file 'dashboard.py' not found in the app directory"
    )
