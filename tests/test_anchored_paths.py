"""Paths with a leading `/` start at the project root, so `[defaults]` can hold shared code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from connectfile.bundle.prepare import find_app, select_files
from connectfile.config.load import load_project
from connectfile.config.model import FileMapping
from connectfile.errors import ConfigError

CONFIG = """\
    version = 1

    [defaults]
    files = [{ from = "/libs/common", to = "common" }]

    [apps.top]
    type = "flask"

    [apps.web]
    type = "flask"
    path = "apps/web"

    [apps.api]
    type = "fastapi"
    path = "services/api/v2"
    files = [{ from = "/libs/common", to = "shared/common" }, { from = "../../../libs/extra.py",
             to = "extra.py" }]
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for rel in ("app.py", "LICENSE.txt", "apps/web/app.py", "services/api/v2/main.py",
                "libs/common/util.py", "libs/common/sub/deep.py", "libs/extra.py",
                "apps/web/LICENSE.txt"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("app = None\n")
    (tmp_path / "connect.toml").write_text(textwrap.dedent(CONFIG))
    return tmp_path


def test_one_defaults_mapping_means_the_same_for_apps_at_every_depth(root: Path) -> None:
    project = load_project(root / "connect.toml")
    common = FileMapping(source="libs/common", dest="common")
    assert project.app("top").mappings == (common,)
    assert project.app("web").mappings == (common,)
    # An app's own `files` replaces the defaults' list; both spellings of `from` work there.
    assert project.app("api").mappings == (
        FileMapping(source="libs/common", dest="shared/common"),
        FileMapping(source="libs/extra.py", dest="extra.py"))
    bundled = {}
    for key in ("top", "web", "api"):
        chosen = select_files(project, find_app(project, key))
        bundled[key] = {f.dest: Path(f.source).relative_to(root).as_posix() for f in chosen.kept
                        if f.dest.startswith(("common/", "shared/", "extra"))}
    expected = {"common/util.py": "libs/common/util.py",
                "common/sub/deep.py": "libs/common/sub/deep.py"}
    assert bundled["top"] == expected
    assert bundled["web"] == expected
    assert bundled["api"] == {"shared/common/util.py": "libs/common/util.py",
                              "shared/common/sub/deep.py": "libs/common/sub/deep.py",
                              "extra.py": "libs/extra.py"}


def test_an_anchored_extra_file_is_relative_to_the_project_root(root: Path) -> None:
    text = (root / "connect.toml").read_text().replace(
        '[defaults]\nfiles = [', '[defaults]\nfiles = ["/apps/web/LICENSE.txt", ')
    (root / "connect.toml").write_text(text)
    project = load_project(root / "connect.toml")
    web = find_app(project, "web")
    assert web.files == ("LICENSE.txt",)
    assert "LICENSE.txt" in {f.dest for f in select_files(project, web).kept}
    # The app at the project root gets the same file, at its path from there.
    top = find_app(project, "top")
    assert top.files == ("apps/web/LICENSE.txt",)
    # From apps/web, "/LICENSE.txt" is outside the app directory: only a mapping can take it.
    text = text.replace('path = "apps/web"', 'path = "apps/web"\nfiles = ["/LICENSE.txt"]')
    (root / "connect.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_project(root / "connect.toml")
    assert str(info.value).endswith(
        "apps.web.files[0]: '/LICENSE.txt' is outside the app directory (to bundle shared "
        'code, use { from = "/LICENSE.txt", to = "LICENSE.txt" })')
