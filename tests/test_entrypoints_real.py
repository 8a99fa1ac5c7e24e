"""Entrypoints in the shapes real apps take: Shiny Express, objects bound any way, Panel
scripts, a framework that does not match `type`, and ambiguous directories (issue #8)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from connectfile.bundle import python as pyenv
from connectfile.bundle.prepare import prepare
from connectfile.config.model import App, Project
from connectfile.files.entrypoints import EntrypointError, check, infer, manifest_entrypoint
from connectfile.files.pysource import escape_name, unescape_name

EXPRESS = "from shiny.express import input, render, ui\n\nui.h1('hi')\n"
CORE = "from shiny import App, ui\n\napp = App(ui.page_fluid(), None)\n"


def manifest_ep(app_type: str, files: dict[str, str], entrypoint: str | None = None) -> str:
    app = App(key="a", type=app_type, name="a", entrypoint=entrypoint)
    return manifest_entrypoint(app, list(files), files.get)


@pytest.mark.parametrize(("source", "expected"), [
    (EXPRESS, "shiny.express.app:app_2e_py"),
    ("import shiny.express\n", "shiny.express.app:app_2e_py"),
    ("from shiny import express\n", "shiny.express.app:app_2e_py"),
    ("# shiny_mode: express\nfrom shiny import ui\n", "shiny.express.app:app_2e_py"),
    ("# shiny_mode: core\nfrom shiny.express import ui\napp = 1\n", "app"),
    (CORE, "app"),
])
def test_shiny_express_entrypoint(source: str, expected: str) -> None:
    assert manifest_ep("shiny", {"app.py": source}) == expected
    assert manifest_ep("shiny", {"app.py": source}, entrypoint="app.py") == expected
    assert check("shiny", "app", {"app.py": source}.get) is None
    assert check("shiny", "app.py", {"app.py": source}.get) is None


def test_escaping_matches_rsconnect() -> None:
    # rsconnect 1.32 wrote shiny.express.app:my_5f_app_2e_py for my_app.py.
    assert escape_name("my_app.py") == "my_5f_app_2e_py"
    assert escape_name("app-core.py") == "app_2d_core_2e_py"
    assert escape_name("2app.py") == "_32_app_2e_py"
    assert unescape_name("_32_app_2d_core_2e_py") == "2app-core.py"


def test_magic_comment_only_counts_in_the_first_1000_characters() -> None:
    late = "x = 1\n" * 200 + "# shiny_mode: express\n"
    assert manifest_ep("shiny", {"app.py": late}) == "app"


def test_express_entrypoint_written_explicitly_is_checked() -> None:
    files = {"app.py": EXPRESS}
    assert check("shiny", "shiny.express.app:app_2e_py", files.get) is None
    assert check("shiny", "shiny.express.app:ui_2e_py", files.get) == \
        "file 'ui.py' not found in the app directory"
    assert "set type = \"shiny\"" in (check("dash", "shiny.express.app:app_2e_py",
                                            files.get) or "")


@pytest.mark.parametrize(("source", "entrypoint"), [
    ("import gradio as gr\nwith gr.Blocks() as demo:\n    pass\n", "run:demo"),
    ("from fastapi import FastAPI\napp, other = FastAPI(), 1\n", "run:app"),
    ("from fastapi import FastAPI\napp: FastAPI = FastAPI()\n", "run:app"),
    ("from fastapi import FastAPI\nif (app := FastAPI()):\n    pass\n", "run:app"),
    ("from fastapi import FastAPI\nprint(app := FastAPI())\n", "run:app"),
    ("from .web import app\n", "run:app"),
    ("from web import server as app\n", "run:app"),
    ("try:\n    from fast import app\nexcept ImportError:\n    app = None\n", "run:app"),
    ("import os\nif os.environ.get('X'):\n    def app(e, s): pass\nelse:\n    app = 1\n",
     "run:app"),
])
def test_objects_bound_any_way(source: str, entrypoint: str) -> None:
    app_type = "gradio" if "gradio" in source else "fastapi"
    assert check(app_type, entrypoint, {"run.py": source}.get) is None


def test_panel_servable_validates_without_an_app_object() -> None:
    files = {"app.py": "import panel as pn\npn.panel('hello').servable()\n"}
    assert check("panel", "app", files.get) is None
    assert check("panel", "app.py", files.get) is None
    assert manifest_ep("panel", files) == "app"
    assert manifest_ep("panel", files, entrypoint="app.py") == "app.py"


@pytest.mark.parametrize(("app_type", "source", "message"), [
    ("api", "from fastapi import FastAPI\napp = FastAPI()\n",
     'main.py:2: app is a FastAPI app (FastAPI()), not api; set type = "fastapi"'),
    ("fastapi", "import flask\napp = flask.Flask(__name__)\n",
     'main.py:2: app is a Flask app (Flask()), not fastapi; set type = "flask"'),
    ("flask", "from dash import Dash\napp = Dash(__name__)\n",
     'main.py:2: app is a Dash app (Dash()), not flask; set type = "dash"'),
    ("fastapi", "import gradio as gr\nwith gr.Blocks() as app:\n    pass\n",
     'main.py:2: app is a Gradio app (Blocks()), not fastapi; set type = "gradio"'),
])
def test_type_must_match_the_framework(app_type: str, source: str, message: str) -> None:
    assert check(app_type, "main", {"main.py": source}.get) == message


def test_a_flask_app_is_fine_as_api_and_a_mounted_app_is_not_judged() -> None:
    assert check("api", "main", {"main.py": "from flask import Flask\napp = Flask('x')\n"}.get) \
        is None
    mounted = ("import gradio as gr\nfrom fastapi import FastAPI\napp = FastAPI()\n"
               "app = gr.mount_gradio_app(app, gr.Blocks(), path='/')\n")
    assert check("fastapi", "main", {"main.py": mounted}.get) is None


def test_ambiguous_inference_names_the_framework_file_and_its_object() -> None:
    files = {"helpers.py": "import os\n", "run.py": "import gradio as gr\n"
             "with gr.Blocks() as demo:\n    pass\n", "train.py": "import torch\n"}
    with pytest.raises(EntrypointError) as info:
        infer("gradio", list(files), files.get)
    assert str(info.value) == ("cannot infer the entrypoint: candidates are helpers.py, run.py, "
                               'train.py (set entrypoint, e.g. entrypoint = "run:demo")')
    streamlit = {"a.py": "x = 1\n", "dashboard.py": "import streamlit as st\n"}
    with pytest.raises(EntrypointError, match=r'entrypoint = "dashboard.py"\)$'):
        infer("streamlit", list(streamlit), streamlit.get)


@pytest.mark.parametrize(("value", "requires"), [(">=3.8", ">=3.8"), ("3.11.*", "==3.11.*"),
                                                 ("~=3.12", "~=3.12")])
def test_python_version_file_with_a_specifier(tmp_path: Path, value: str, requires: str) -> None:
    (tmp_path / ".python-version").write_text(value + "\n")
    app = App(key="a", type="flask", name="a")
    info = pyenv.resolve_python(app, tmp_path, python=None, environ={})
    assert info.requires == requires
    assert info.from_interpreter


def test_prepare_writes_the_express_entrypoint_and_bundles_the_file(tmp_path: Path) -> None:
    (tmp_path / "app-express.py").write_text(textwrap.dedent(EXPRESS))
    (tmp_path / "requirements.txt").write_text("shiny\n")
    app = App(key="a", type="shiny", name="a", python="3.11", entrypoint="app-express.py",
              exclude=("*.py",))
    project = Project(source="connect.toml", root=tmp_path, version=1, targets=(), apps=(app,))
    local = prepare(project, app)
    assert local.manifest["metadata"]["entrypoint"] == "shiny.express.app:app_2d_express_2e_py"
    assert "app-express.py" in {f.dest for f in local.files}  # kept despite the exclude
