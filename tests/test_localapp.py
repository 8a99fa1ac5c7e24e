"""prepare() and the files / manifest / bundle commands, on real directories and configs."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import stat
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from connectfile.bundle import python as pyenv
from connectfile.bundle.archive import write_bundle
from connectfile.bundle.prepare import explain, find_app, prepare, select_files
from connectfile.cli import format_error, main
from connectfile.config.load import load_project
from connectfile.config.model import App, Project
from connectfile.errors import InterpreterError, SelectionError, UsageError
from connectfile.files.entrypoints import EntrypointError
from connectfile.plans.diff import plan_app

FAKE_PYTHON = """\
#!/bin/sh
# Stands in for another interpreter: answers the two questions connectfile asks.
if [ "$1" = "-c" ]; then echo 3.12.1; exit 0; fi
if [ "$1 $2 $3" = "-m pip freeze" ]; then
  printf 'requests==2.31.0\\r\\n-e git+https://example.com/y.git#egg=y\\nconnectfile @ file:///src\\n'
  printf 'Flask==3.0.0\\n'
  exit 0
fi
exit 1
"""
FROZEN = b"Flask==3.0.0\nrequests==2.31.0\n"


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def fake_python(tmp_path: Path) -> str:
    path = tmp_path / "bin" / "fakepython"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FAKE_PYTHON)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


WEB = {
    "apps/web/app.py": "app = object()\n",
    "apps/web/requirements.txt": "flask\n",
    "apps/web/.python-version": "3.11\n",
    "apps/web/data/prices.csv": "a,b\n",
    "apps/web/data/raw/x.csv": "1\n",
    "apps/web/notes.txt": "n\n",
    "apps/web/pkg/__pycache__/m.pyc": "c",
    "libs/common/util.py": "X = 1\n",
    "libs/common/__pycache__/util.pyc": "c",
    "libs/common/tests/test_util.py": "",
}
CONFIG = """\
version = 1

[apps.web]
type = "api"
path = "apps/web"
files = ["data/raw/x.csv", { from = "../../libs/common", to = "common" }]
exclude = ["*.txt", "data/raw", "**/tests/"]
"""


@pytest.fixture
def project_dir(tmp_path, monkeypatch):
    root = tmp_path / "project"
    write(root, {**WEB, "connect.toml": CONFIG})
    monkeypatch.chdir(root)
    return root


def load(root: Path) -> Project:
    return load_project(root / "connect.toml")


def test_prepare_selects_hashes_and_describes(project_dir):
    project = load(project_dir)
    local = prepare(project, find_app(project, "web"))
    assert [f.dest for f in local.files] == [
        ".python-version", "app.py", "common/util.py", "data/prices.csv", "data/raw/x.csv",
        "requirements.txt"]
    assert local.manifest["metadata"] == {"appmode": "python-api", "entrypoint": "app"}
    assert local.manifest["python"] == {
        "version": "3.11.0", "package_manager": {"name": "pip", "package_file": "requirements.txt"}}
    assert local.manifest["environment"] == {"python": {"requires": "~=3.11.0"}}
    assert local.python_version == "3.11.0"
    assert not local.requirements_generated
    assert local.manifest_bytes.endswith(b"\n")
    assert local.digest == hashlib.sha256(local.manifest_bytes).hexdigest()
    assert local.directory == project_dir / "apps" / "web"


def test_the_plan_counts_and_sizes_the_prepared_app_as_files_lists_it(project_dir, capsys):
    # One prepared value: `files`, the diff and the plan agree on "6 files, 38 B".
    project = load(project_dir)
    app = find_app(project, "web")
    local = prepare(project, app)
    assert (local.file_count, local.size) == (6, 38)
    planned = plan_app(app, local, None, None)
    assert (planned.file_count, planned.bundle_size) == (6, 38)
    assert main(["files", "web"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "6 files, 38 B (plus manifest.json)"


def test_two_copies_at_different_paths_and_times_give_identical_bytes(project_dir, tmp_path):
    other = tmp_path / "elsewhere" / "deeper" / "copy"
    shutil.copytree(project_dir, other, symlinks=True)
    for n, path in enumerate(sorted(other.rglob("*"))):
        os.utime(path, (1_000_000 + n, 2_000_000 + n * 7))
    outputs = []
    for root in (project_dir, other):
        project = load(root)
        local = prepare(project, find_app(project, "web"))
        info = write_bundle(local, tmp_path / f"{len(outputs)}.tar.gz")
        os.chdir(root)
        assert main(["manifest"]) == 0
        outputs.append((local.manifest_bytes, info.path.read_bytes(),
                        (root / "apps/web/manifest.json").read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == outputs[0][2]


def test_env_files_are_skipped_with_one_warning(project_dir, caplog):
    write(project_dir, {"apps/web/.env": "SECRET=1\n", "apps/web/conf/.env.local": "X=2\n"})
    project = load(project_dir)
    app = find_app(project, "web")
    with caplog.at_level(logging.WARNING, logger="connectfile"):
        first = prepare(project, app)
        prepare(project, app)
    # Logged by each prepare; the CLI shows a warning once per run (test_warnings_once.py).
    warnings = {r.getMessage() for r in caplog.records if r.levelno == logging.WARNING}
    assert warnings == {
        "not bundled (may hold secrets): .env, conf/.env.local; pass values with `secrets` or "
        "`env` in connect.toml"}
    assert not any(".env" in f.dest for f in first.files)


@pytest.mark.parametrize(
    ("files_entry", "message"),
    [
        ('"data/missing.csv"', 'connect.toml:6: apps.web.files[0]: "data/missing.csv" does not '
         "exist in {app} (fix the path or remove the entry)"),
        ('"app.py", { from = "../../libs/nope", to = "common" }',
         'connect.toml:6: apps.web.files[1]: "from" names libs/nope, which does not exist '
         'under the project root ("from" is relative to the app directory)'),
        ('{ from = "../../libs/common/util.py", to = "app.py" }',
         'connect.toml:6: apps.web.files[0]: bundle path "app.py" would come from both '
         'libs/common/util.py and {app}/app.py; choose another "to"'),
        ('".env"', 'connect.toml:6: apps.web.files[0]: ".env" may hold secrets and is never '
         "bundled (use `secrets` instead)"),
    ],
)
def test_bad_files_entries_name_their_line(project_dir, files_entry, message):
    write(project_dir, {"apps/web/.env": "S=1\n", "connect.toml": CONFIG.replace(
        '"data/raw/x.csv", { from = "../../libs/common", to = "common" }', files_entry)})
    project = load(project_dir)
    with pytest.raises(SelectionError) as exc:
        select_files(project, find_app(project, "web"))
    assert str(exc.value) == message.format(app=project_dir / "apps" / "web")


def test_an_extra_file_outside_the_app_directory_is_refused(tmp_path):
    # connect.toml's loader refuses this too; a hand-built model gets the same answer here.
    project, app = bare_app(tmp_path, python="3.11", files=("../x.py",))
    with pytest.raises(SelectionError) as exc:
        select_files(project, app)
    assert str(exc.value) == (
        'connect.toml: apps.a.files[0]: "../x.py" must be a path inside the app directory '
        '(for files elsewhere in the project use { from = "...", to = "..." })')


def test_a_mapped_folder_gets_default_and_app_excludes(project_dir):
    project = load(project_dir)
    chosen = select_files(project, find_app(project, "web"))
    assert [f.dest for f in chosen.kept if f.dest.startswith("common/")] == ["common/util.py"]
    assert str(explain(project, find_app(project, "web"), "common/util.py")) == (
        "common/util.py: kept: mapped from libs/common (connect.toml:6 apps.web.files[1])")
    assert str(explain(project, find_app(project, "web"), "common/tests/test_util.py")) == (
        'common/tests/test_util.py: dropped by exclude pattern "**/tests/" '
        "(connect.toml:7 apps.web.exclude[2])")


def test_a_mapped_single_file_lands_at_to(project_dir):
    write(project_dir, {"connect.toml": CONFIG.replace(
        '{ from = "../../libs/common", to = "common" }',
        '{ from = "../../libs/common/util.py", to = "vendor/util.py" }')})
    project = load(project_dir)
    local = prepare(project, find_app(project, "web"))
    assert "vendor/util.py" in local.manifest["files"]


def test_entrypoint_and_requirements_survive_any_exclude(project_dir):
    write(project_dir, {
        "apps/web/src/main.py": "app = 1\n",
        "apps/web/deps/prod.txt": "flask\n",
        "connect.toml": CONFIG.replace('"**/tests/"', '"**/tests/", "src/", "deps", "*.py"')
        + 'entrypoint = "src.main:app"\nrequirements = "deps/prod.txt"\n',
    })
    project = load(project_dir)
    local = prepare(project, find_app(project, "web"))
    dests = [f.dest for f in local.files]
    assert "src/main.py" in dests and "deps/prod.txt" in dests and "app.py" not in dests
    assert local.manifest["metadata"]["entrypoint"] == "src.main:app"
    assert local.manifest["python"]["package_manager"]["package_file"] == "deps/prod.txt"
    assert not local.requirements_generated  # read from disk, not frozen


def test_the_config_file_is_never_bundled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"app.py": "app = 1\n", "requirements.txt": "", "deploy.toml":
                     'version = 1\n[apps.api]\ntype = "api"\npython = "3.11"\n',
                     "sub/connect.toml": ""})
    project = load_project(Path("deploy.toml"))
    chosen = select_files(project, find_app(project, "api"))
    assert [f.dest for f in chosen.kept] == ["app.py", "requirements.txt"]
    assert str(explain(project, find_app(project, "api"), "deploy.toml")) == (
        "deploy.toml: dropped: the project's config file deploy.toml")
    # The file dropped is the one parsed (Project.path), wherever the command runs from.
    monkeypatch.chdir(tmp_path / "sub")
    chosen = select_files(project, find_app(project, "api"))
    assert [f.dest for f in chosen.kept] == ["app.py", "requirements.txt"]


def test_an_entrypoint_that_cannot_be_inferred_names_the_line(project_dir):
    write(project_dir, {"apps/web/other.py": "", "apps/web/x.py": ""})
    (project_dir / "apps/web/app.py").unlink()
    project = load(project_dir)
    with pytest.raises(EntrypointError) as exc:
        prepare(project, find_app(project, "web"))
    assert str(exc.value).startswith(
        "connect.toml:3: apps.web.entrypoint: cannot infer the entrypoint: candidates are "
        "other.py, x.py")


def test_unknown_app(project_dir):
    with pytest.raises(UsageError) as exc:
        find_app(load(project_dir), "nope")
    assert re.fullmatch(r"error: no app 'nope' in .*connect.toml \(apps: web\)",
                        format_error(exc.value))


# -- Python version and requirements ------------------------------------------------------


def bare_app(tmp_path: Path, **kwargs) -> tuple[Project, App]:
    write(tmp_path / "app", {"app.py": "app = 1\n"})
    app = App(key="a", type="api", name="a", path="app", **kwargs)
    return Project(source="connect.toml", root=tmp_path, version=1, targets=(), apps=(app,)), app


def test_missing_requirements_are_frozen_from_the_chosen_interpreter(tmp_path, caplog):
    project, app = bare_app(tmp_path, python="3.12")
    with caplog.at_level(logging.WARNING, logger="connectfile"):
        local = prepare(project, app, python=fake_python(tmp_path))
    generated = [f for f in local.files if f.dest == "requirements.txt"]
    assert generated[0].data == FROZEN and generated[0].source is None
    assert local.requirements_generated
    assert local.manifest["files"]["requirements.txt"]["checksum"] == (
        hashlib.md5(FROZEN).hexdigest())
    assert "version" not in local.manifest["python"]["package_manager"]
    assert local.manifest["python"]["version"] == "3.12.0"  # from the key, not the interpreter
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("apps.a: no requirements.txt, pylock.toml, uv.lock, "
                                  "pyproject.toml dependencies or inline script metadata: "
                                  "requirements.txt is generated by freezing EVERY package "
                                  "installed in ")
    assert "the environment connectfile itself runs in" not in messages[0]
    assert messages[1:] == [
        "left out of the generated requirements (local only): -e "
        "git+https://example.com/y.git#egg=y, connectfile @ file:///src"]


def test_force_generate_replaces_an_existing_requirements_file(tmp_path):
    project, app = bare_app(tmp_path, python="3.12")
    write(tmp_path / "app", {"requirements.txt": "old\n"})
    local = prepare(project, app, python=fake_python(tmp_path), force_generate=True)
    assert [f.data for f in local.files if f.dest == "requirements.txt"] == [FROZEN]


def test_version_from_the_interpreter_warns_and_uses_pyproject_requires(tmp_path, caplog):
    project, app = bare_app(tmp_path)
    write(tmp_path / "app", {"requirements.txt": "x\n",
                             "pyproject.toml": '[project]\nrequires-python = ">=3.10"\n'})
    with caplog.at_level(logging.WARNING, logger="connectfile"):
        local = prepare(project, app, python=fake_python(tmp_path))
    assert local.manifest["python"]["version"] == "3.12.1"
    assert local.manifest["environment"] == {"python": {"requires": ">=3.10"}}
    (message,) = [r.getMessage() for r in caplog.records]
    assert message.startswith("apps.a: Python 3.12.1 taken from the interpreter ")
    assert message.endswith('so the manifest depends on this machine; set python = "3.12" in '
                            "connect.toml or write a .python-version")


def test_reticulate_python_is_used_without_python_flag(tmp_path):
    fake = fake_python(tmp_path)
    assert pyenv.choose_interpreter(None, {"RETICULATE_PYTHON": fake}) == fake
    assert pyenv.choose_interpreter("/x/python", {"RETICULATE_PYTHON": fake}) == "/x/python"
    assert pyenv.choose_interpreter(None, {}) == sys.executable
    _, app = bare_app(tmp_path)
    write(tmp_path / "app", {"requirements.txt": "x\n"})
    info = pyenv.resolve_python(app, tmp_path / "app", python=None,
                                environ={"RETICULATE_PYTHON": fake})
    assert (info.version, info.interpreter, info.from_interpreter) == ("3.12.1", fake, True)


def test_a_broken_interpreter_is_a_clear_error(tmp_path):
    project, app = bare_app(tmp_path)
    with pytest.raises(InterpreterError) as exc:
        prepare(project, app, python="/nonexistent/python")
    assert re.fullmatch(r"error: cannot run the Python interpreter '/nonexistent/python': "
                        r".*\(check --python or RETICULATE_PYTHON\)", format_error(exc.value),
                        re.DOTALL)


@pytest.mark.parametrize(
    ("value", "requires"),
    [("3", "~=3.0"), ("3.11", "~=3.11.0"), ("3.11.4", "~=3.11.0"), ("3.*", "==3.*"),
     (">=3.10", ">=3.10"), ("~=3.12.0", "~=3.12.0"), ("pypy3.9", None), ("3.12-dev", None),
     ("3.13rc1", None), ("", None)],
)
def test_python_version_to_requires(value, requires):
    assert pyenv.to_requires(value) == requires


def test_python_version_file_and_key(tmp_path):
    _, app = bare_app(tmp_path)
    write(tmp_path / "app", {".python-version": "3.10\n"})
    info = pyenv.resolve_python(app, tmp_path / "app", python=None, environ={})
    assert (info.version, info.requires, info.from_interpreter) == ("3.10.0", "~=3.10.0", False)
    _, app = bare_app(tmp_path, python="3.12.3")
    info = pyenv.resolve_python(app, tmp_path / "app", python=None, environ={})
    assert (info.version, info.requires) == ("3.12.3", "~=3.12.0")


# -- commands -------------------------------------------------------------------------------


def test_files_lists_sizes_and_a_total(project_dir, capsys):
    assert main(["files", "web"]) == 0
    assert capsys.readouterr().out == (
        " 5 B  .python-version\n"
        "15 B  app.py\n"
        " 6 B  common/util.py\n"
        " 4 B  data/prices.csv\n"
        " 2 B  data/raw/x.csv\n"
        " 6 B  requirements.txt\n"
        "6 files, 38 B (plus manifest.json)\n"
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("data/raw/x.csv", "data/raw/x.csv: kept: extra file (wins over excludes) "
         "(connect.toml:6 apps.web.files[0])"),
        ("data/raw/y.csv", 'data/raw/y.csv: dropped by exclude pattern "data/raw" '
         "(connect.toml:7 apps.web.exclude[1]) (no such file; this rule would apply)"),
        ("notes.txt", 'notes.txt: dropped by exclude pattern "*.txt" '
         "(connect.toml:7 apps.web.exclude[0])"),
        ("app.py", "app.py: kept: entrypoint file (bundled whatever the excludes say)"),
        ("data/prices.csv", "data/prices.csv: kept: default (no exclude matches)"),
        ("pkg/__pycache__/m.pyc", 'pkg/__pycache__/m.pyc: dropped: default exclude '
         '"__pycache__/"'),
        (".venv/bin/python", ".venv/bin/python: dropped: virtualenv .venv (holds pyvenv.cfg)"),
        ("./requirements.txt", "requirements.txt: kept: requirements file (bundled whatever "
         "the excludes say)"),
    ],
)
def test_files_why(project_dir, capsys, path, expected):
    write(project_dir, {"apps/web/.venv/pyvenv.cfg": "home = /usr/bin\n",
                        "apps/web/.venv/bin/python": ""})
    assert main(["files", "web", "--why", path]) == 0
    assert capsys.readouterr().out == expected + "\n"


def test_manifest_check_current_then_stale(project_dir, capsys):
    assert main(["manifest", "--check"]) == 1
    out = capsys.readouterr()
    assert out.out == (
        "web: apps/web/manifest.json is stale:\n  missing (no manifest.json in apps/web)\n")
    assert out.err == (
        "error: 1 manifest is stale; run `connectfile manifest` and commit the result\n")
    assert main(["manifest", "web"]) == 0
    assert capsys.readouterr().out == "web: wrote apps/web/manifest.json\n"
    assert oct((project_dir / "apps/web/manifest.json").stat().st_mode & 0o777) == "0o644"
    assert main(["manifest", "--check", "web"]) == 0
    assert capsys.readouterr().out == "web: apps/web/manifest.json is up to date\n"
    write(project_dir, {"apps/web/app.py": "app = 2\n", "apps/web/new.py": "",
                        "apps/web/.python-version": "3.12\n"})
    (project_dir / "apps/web/data/prices.csv").unlink()
    assert main(["manifest", "--check"]) == 1
    assert capsys.readouterr().out == textwrap.dedent("""\
        web: apps/web/manifest.json is stale:
          python: "3.11.0" -> "3.12.0"
          python requires: "~=3.11.0" -> "~=3.12.0"
          ~ .python-version
          ~ app.py
          - data/prices.csv
          + new.py
        """)


def test_manifest_writes_generated_requirements(tmp_path, monkeypatch, capsys):
    fake = fake_python(tmp_path)
    write(tmp_path / "p", {"connect.toml": 'version = 1\n[apps.api]\ntype = "api"\n'
                           'python = "3.12"\n', "app.py": "app = 1\n"})
    monkeypatch.chdir(tmp_path / "p")
    assert main(["manifest", "--python", fake]) == 0
    assert capsys.readouterr().out == (
        "api: wrote requirements.txt (pip freeze)\napi: wrote manifest.json\n")
    assert (tmp_path / "p" / "requirements.txt").read_bytes() == FROZEN
    # Now the file exists, the next run reads it and finds the same bytes.
    assert main(["manifest", "--check"]) == 0


def test_bundle_command(project_dir, capsys, tmp_path):
    out = tmp_path / "web.tar.gz"
    assert main(["bundle", "web", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"wrote {out}: 7 files, ")
    with tarfile.open(out) as tar:
        assert tar.getnames()[0] == "manifest.json"


def test_command_errors_exit_1_without_traceback(project_dir, capsys):
    assert main(["files", "nope"]) == 1
    assert capsys.readouterr().err == "error: no app 'nope' in connect.toml (apps: web)\n"


def test_files_why_accepts_a_path_from_the_working_directory(project_dir, capsys):
    assert main(["files", "web", "--why", "apps/web/notes.txt"]) == 0
    assert capsys.readouterr().out == (
        'notes.txt: dropped by exclude pattern "*.txt" (connect.toml:7 apps.web.exclude[0])\n')
    assert main(["files", "web", "--why", str(project_dir / "apps/web/app.py")]) == 0
    assert capsys.readouterr().out.startswith("app.py: kept: entrypoint file")
    assert main(["files", "web", "--why", "libs/common/util.py"]) == 1
    assert capsys.readouterr().err == (
        f"error: libs/common/util.py is not inside the app directory {project_dir}/apps/web\n")
    assert main(["files", "web", "--why", "../x"]) == 1
