"""init on real layouts: packages with relative imports, src/ layouts, test folders, folders
it skips (notebooks, Quarto, R, scripts) and apps it leaves out rather than write a
connect.toml that fails validate (issue #8). The corpus (test_corpus.py) covers the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectfile.cli import main


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_init_reports_skipped_folders_and_leaves_out_what_would_not_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {
        "api/pkg/__init__.py": "",
        "api/pkg/server.py": "from fastapi import FastAPI\nfrom .models import M\n"
                             "api = FastAPI()\n",
        "api/pkg/models.py": "M = 1\n",
        "api/requirements.txt": "fastapi\n",
        "api/tests/test_server.py": "import fastapi\n",
        "broken/app.py": "import flask\nserver_thing = 1\n",
        "broken/requirements.txt": "flask\n",
        "notebooks/analysis.ipynb": "{}",
        "report/index.qmd": "---\ntitle: x\n---\n",
        "rstuff/app.R": "library(shiny)\n",
        "scripts/cleanup.py": "import os\n",
    })
    assert main(["init", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    text = (tmp_path / "connect.toml").read_text()
    assert 'path = "api"' in text and 'entrypoint = "pkg.server:api"' in text
    assert "[apps.broken]" not in text
    for line in ("Skipped api/tests/: tests",
                 "Skipped notebooks/: notebooks (not deployed by connectfile)",
                 "Skipped report/: Quarto (not deployed by connectfile)",
                 "Skipped rstuff/: R (not deployed by connectfile)",
                 "Skipped scripts/: Python scripts that import no app framework"):
        assert line in out.splitlines()
    assert "Left out broken/ (flask), it would not validate: app.py defines none of app, " \
           "application, create_app, make_app at top level" in out
    assert main(["-c", str(tmp_path / "connect.toml"), "validate"]) == 0
