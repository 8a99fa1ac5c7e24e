"""`connectfile init`: framework detection, entrypoint choice, and a file that validates."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectfile.cli import main
from connectfile.scaffold.detect import app_key, choose_entrypoint, detect_type, requirement_names


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import streamlit as st", "streamlit"),
        ("from dash import Dash\nfrom flask import Flask", "dash"),
        ("from shiny import App", "shiny"),
        ("import gradio as gr", "gradio"),
        ("import panel as pn\nimport bokeh", "panel"),
        ("from bokeh.plotting import figure", "bokeh"),
        ("from fastapi import FastAPI", "fastapi"),
        ("def f():\n    import flask", "flask"),
        ("import os", None),
        ("this is not python", None),
    ],
)
def test_detect_type_from_imports(source: str, expected: str | None) -> None:
    found = detect_type({"app.py": source}, None)
    assert (found[0] if found else None) == expected


def test_detect_type_falls_back_to_requirements() -> None:
    requirements = "# pinned\n-r base.txt\nFastAPI[all]>=0.110\nuvicorn==0.30\n"
    assert requirement_names(requirements) == {"fastapi", "uvicorn"}
    assert detect_type({"app.py": "import os"}, requirements) == ("fastapi", "requirements.txt")
    assert detect_type({"app.py": "import flask"}, requirements) == ("flask", "imports")


def test_choose_entrypoint() -> None:
    files = {"app.py": "from flask import Flask\napp = Flask(__name__)"}
    assert choose_entrypoint("flask", list(files), files.get) is None
    files = {"dashboard.py": "import dash\nserver = 1\napp = dash.Dash()", "util.py": "x = 1"}
    assert choose_entrypoint("dash", list(files), files.get) == "dashboard"
    files = {"wsgi.py": "from flask import Flask\nserver = Flask(__name__)", "util.py": ""}
    assert choose_entrypoint("flask", list(files), files.get) == "wsgi:server"
    files = {"one.py": "import streamlit", "two.py": "import os"}
    assert choose_entrypoint("streamlit", list(files), files.get) == "one.py"


def test_app_key() -> None:
    assert app_key("apps/Sales API", set(), "x") == "sales-api"
    assert app_key(".", set(), "my_repo") == "my_repo"
    assert app_key("ui", set(), "x") == "ui-app"
    assert app_key("web", {"web"}, "x") == "web-2"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")


def test_init_writes_a_config_that_validates(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, {
        "apps/api/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "apps/api/requirements.txt": "fastapi\n",
        "apps/api/routes/users.py": "from fastapi import APIRouter\n",  # part of the api app
        "apps/board/dashboard.py": "import streamlit as st\n",
        "apps/board/helpers.py": "import os\n",
        "apps/board/requirements.txt": "streamlit\n",
        "apps/legacy/wsgi.py": "import flask\nserver = flask.Flask(__name__)\n",
        "apps/legacy/util.py": "",
        "apps/legacy/requirements.txt": "flask\n",
        "libs/common/greet.py": "def greet(): ...\n",
        ".venv/lib/site.py": "import flask\n",
        "env/pyvenv.cfg": "",
        "env/lib/app.py": "import flask\n",
        "apps/api/__pycache__/app.py": "import flask\n",
    })
    assert main(["init", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1:4] == [
        "  api: fastapi in apps/api/",
        "  board: streamlit in apps/board/",
        "  legacy: flask in apps/legacy/",
    ]
    text = (tmp_path / "connect.toml").read_text("utf-8")
    assert 'entrypoint = "dashboard.py"' in text and 'entrypoint = "wsgi:server"' in text
    assert "[apps.api]" in text and "# Every key is described" in text
    assert main(["-c", str(tmp_path / "connect.toml"), "validate"]) == 0
    assert "is valid: 3 apps, 1 target." in capsys.readouterr().out


def test_init_app_at_the_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "hello"
    _write(project, {"app.py": "from shiny import App\napp = App(None, None)\n"})
    assert main(["init", str(project)]) == 0
    assert 'path = "."' in (project / "connect.toml").read_text("utf-8")
    assert main(["-c", str(project / "connect.toml"), "validate"]) == 0


def test_init_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, {"app.py": "import flask\napp = flask.Flask(__name__)\n",
                      "connect.toml": "# mine\n"})
    assert main(["init", str(tmp_path)]) == 1
    assert "already exists; init never overwrites it" in capsys.readouterr().err
    assert (tmp_path / "connect.toml").read_text("utf-8") == "# mine\n"


def test_init_without_apps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, {"tool.py": "import os\n"})
    assert main(["init", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"error: no apps found under {tmp_path}")
    assert not (tmp_path / "connect.toml").exists()


def test_init_skips_every_directory_the_bundle_excludes_by_default() -> None:
    from connectfile.files.selection import DEFAULT_EXCLUDES
    from connectfile.scaffold.discover import SKIP_DIRS

    directories = {p.strip("/") for p in DEFAULT_EXCLUDES if p.endswith("/")}
    assert directories <= SKIP_DIRS


@pytest.mark.parametrize("marker", ["pyvenv.cfg", "bin/python", "Scripts/python.exe"])
def test_init_skips_a_virtualenv_by_the_same_markers_as_the_walk(
    tmp_path: Path, marker: str
) -> None:
    from connectfile.scaffold.discover import find_apps

    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    env = tmp_path / "env"
    (env / marker).parent.mkdir(parents=True, exist_ok=True)
    (env / marker).write_text("")
    (env / "lib").mkdir()
    (env / "lib" / "app.py").write_text("import streamlit as st\n")
    assert [a.path for a in find_apps(tmp_path)] == ["web"]
