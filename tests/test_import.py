"""`connectfile import`: Publisher configs and rsconnect-python records become apps with pins."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import requests
import tomlkit
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from connectfile.cli import main
from connectfile.config.load import load_project
from connectfile.emulator import Emulator
from connectfile.scaffold.peers import normalise_url

DATA = Path(__file__).parent / "data" / "import"
STAGING = "https://connect-staging.example.com"
PRODUCTION = "https://connect.example.com"
KEY_ENV = "CF_TEST_IMPORT_KEY"

EXISTING = """\
# Our deployments. Keep this comment, and the odd spacing below.
version = 1

[targets.staging]   # the test server
server = "{staging}"
api_key_env = "{key_env}"
default = true

[targets.production]
server = "{production}"

[apps.legacy]
type = "flask"      # kept exactly as written
path = "legacy"
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(DATA / "monorepo", root)
    shutil.copytree(DATA / "rsconnect", root / "rs")
    (root / "legacy").mkdir()
    (root / "legacy" / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (root / "connect.toml").write_text(
        EXISTING.format(staging=STAGING, production=PRODUCTION, key_env=KEY_ENV))
    monkeypatch.chdir(root)
    return root


def _registry() -> Registry:
    resources = []
    for name in ("posit-publishing-schema-v3.json", "posit-publishing-record-schema-v3.json"):
        schema = json.loads((DATA / "publisher-schemas" / name).read_text("utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@pytest.mark.parametrize("path", sorted(str(p.relative_to(DATA)) for p in
                                        (DATA / "monorepo").rglob(".posit/publish/**/*.toml")))
def test_the_publisher_test_files_follow_publishers_v3_schemas(path: str) -> None:
    data = tomlkit.parse((DATA / path).read_text("utf-8")).unwrap()
    kind = "record" if "/deployments/" in path else "config"
    name = ("posit-publishing-record-schema-v3.json" if kind == "record"
            else "posit-publishing-schema-v3.json")
    schema = json.loads((DATA / "publisher-schemas" / name).read_text("utf-8"))
    errors = list(Draft202012Validator(schema, registry=_registry()).iter_errors(data))
    assert not errors, [e.message for e in errors]


def test_publisher_import_adds_apps_keeps_the_file_and_pins_guids(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (repo / "connect.toml").read_text()
    code, out, err = run(capsys, "import", "--from-publisher", ".")
    assert code == 0, out + err
    after = (repo / "connect.toml").read_text()
    assert after.startswith(before)  # comments and layout kept byte for byte
    project = load_project(repo / "connect.toml")
    assert [a.key for a in project.apps] == ["legacy", "sales-api", "board", "explorer"]

    api = project.app("sales-api")
    assert (api.type, api.path, api.entrypoint) == ("fastapi", "apps/sales-api", "main:app")
    assert (api.title, api.description) == ("Sales API", "Quarterly sales numbers")
    assert dict(api.env) == {"LOG_LEVEL": "info", "REGION": "eu"}
    assert api.secrets == ("DB_PASSWORD",)
    assert api.python == "3.11.9"
    # Publisher's `files` list is an allowlist: it becomes `include`, minus its own .posit/ files.
    assert api.include == ("/main.py", "/requirements.txt", "/data/", "!/data/scratch.csv")
    assert board.include is None if (board := project.app("board")) else False  # files = ['*']
    assert (api.runtime.min_processes, api.runtime.max_processes) == (1, 4)
    assert (api.resources.cpu_request, api.resources.memory_limit) == (0.5, 2147483648)
    # Two records, two servers: one pin per target; the URL case differs and still matches.
    assert project.app("sales-api", "staging").guid == "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
    assert project.app("sales-api", "production").guid == "9d8c7b6a-5f4e-4d3c-8b2a-19f0e1d2c3b4"
    assert api.guid is None

    board = project.app("board")
    assert (board.type, board.entrypoint, board.python) == ("dash", "app", "3.12.4")
    assert project.app("board", "staging").guid == "0b1c2d3e-4f5a-4b6c-8d7e-8f9a0b1c2d3e"
    assert project.app("board", "production").guid is None

    explorer = project.app("explorer")  # a file entrypoint, a record made before any deploy
    assert (explorer.type, explorer.entrypoint) == ("streamlit", "explorer.py")
    assert explorer.requirements == "requirements-app.txt"
    assert project.app("explorer", "staging").guid is None

    assert "Added 3 apps to connect.toml:" in out
    assert "sales-api: fastapi from apps/sales-api/.posit/publish/sales-api-8G2B.toml " \
           "(guid pinned for production, guid pinned for staging)" in out
    assert ("skipped reports/quarterly/.posit/publish/quarterly-K2JD.toml: type "
            "'quarto-static' is not a Python app or API") in out
    assert "not carried over: [connect.access] (not managed by connectfile)" in out
    assert "not carried over: connect.kubernetes.default_py_environment_management" in out
    assert "not carried over: python.requires_python = '>=3.10'" in out
    assert "# Imported from apps/sales-api/.posit/publish/sales-api-8G2B.toml" in after


def test_import_never_overwrites_an_app(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "import", "--from-publisher", ".")[0] == 0
    once = (repo / "connect.toml").read_text()
    code, out, _ = run(capsys, "import", "--from-publisher", ".")
    assert code == 0
    assert (repo / "connect.toml").read_text() == once
    assert "app 'sales-api' is already in connect.toml: skipped (never overwritten" in out
    assert "Nothing to import" in out


def test_dry_run_prints_the_toml_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (repo / "connect.toml").read_text()
    code, out, err = run(capsys, "import", "--from-publisher", "apps", "--dry-run")
    assert code == 0
    assert (repo / "connect.toml").read_text() == before
    assert out.startswith("# Imported from apps/sales-api/.posit/publish/sales-api-8G2B.toml")
    assert '[apps.sales-api.targets.staging]\nguid = "3f2a9c1e-' in out
    assert 'env = {LOG_LEVEL = "info", REGION = "eu"}' in out
    tomlkit.parse(before + "\n" + out)  # the printed TOML is what would be appended
    assert "Would add 1 app to connect.toml:" in err


def test_a_record_for_a_server_with_no_target_names_the_target_to_add(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXISTING.format(staging=STAGING, production="https://other.example.com",
                           key_env=KEY_ENV)
    (repo / "connect.toml").write_text(text)
    code, out, _ = run(capsys, "import", "--from-publisher", "apps")
    assert code == 0
    assert ("sales-api was deployed to https://connect.example.com, which no target names: "
            'add [targets.connect] with server = "https://connect.example.com" and '
            '[apps.sales-api.targets.connect] with guid = "9d8c7b6a-') in out


def test_import_creates_connect_toml_when_there_is_none(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "connect.toml").unlink()
    code, out, err = run(capsys, "import", "--from-publisher", "dashboards")
    assert code == 0, out + err
    text = (repo / "connect.toml").read_text()
    assert text.startswith("version = 1\n\n# Imported from dashboards/board/")
    assert [a.key for a in load_project(repo / "connect.toml").apps] == ["board"]


def test_rsconnect_import_reads_records_and_tool_rsconnect(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "import", "--from-rsconnect", "rs")
    assert code == 0, out + err
    project = load_project(repo / "connect.toml")
    weather = project.app("weather")
    assert (weather.type, weather.path, weather.title) == ("api", "rs/weather", "Weather API")
    assert project.app("weather", "staging").guid == "6e5d4c3b-2a19-4f8e-b7d6-c5b4a3928170"
    # "https://connect.example.com:443/" is the production server once normalised.
    assert project.app("weather", "production").guid == "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
    pricing = project.app("pricing")
    assert (pricing.type, pricing.entrypoint, pricing.title) == (
        "shiny", "dashboard", "Pricing dashboard")
    assert project.app("pricing", "staging").guid == "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
    assert "skipped rs/notebook/rsconnect-python/notebook.json: app mode 'jupyter-static'" in out


@pytest.mark.parametrize(("url", "normal"), [
    ("https://Connect.Example.com/", "https://connect.example.com"),
    ("https://connect.example.com:443", "https://connect.example.com"),
    ("http://h:3939//rsc/__api__/", "http://h:3939/rsc"),
    ("http://h:80/", "http://h"),
])
def test_server_urls_are_compared_as_publisher_normalises_them(url: str, normal: str) -> None:
    assert normalise_url(url) == normal


def _seed(emulator: Emulator, key: str, guid: str, name: str) -> None:
    """Content with a chosen guid, as if Publisher or rsconnect had deployed it earlier."""
    answer = requests.post(f"{emulator.url}/__api__/v1/content", json={"name": name},
                           headers={"Authorization": f"Key {key}"}, timeout=10)
    answer.raise_for_status()
    made = answer.json()["guid"]
    with emulator.store.mutate() as state:
        record: dict[str, Any] = state["content"].pop(made)
        record["guid"] = guid
        state["content"][guid] = record


def test_after_an_import_plan_finds_the_pinned_content_and_creates_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], emulator: Emulator, publisher_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The records were made against the staging server, which is this emulator here.
    for record in [*repo.rglob("deployments/*.toml"), *repo.rglob("rsconnect-python/*.json")]:
        record.write_text(record.read_text().replace(STAGING, emulator.url))
    (repo / "connect.toml").write_text(
        EXISTING.format(staging=emulator.url, production=PRODUCTION, key_env=KEY_ENV))
    shutil.rmtree(repo / "legacy")
    text = (repo / "connect.toml").read_text()
    (repo / "connect.toml").write_text(text[: text.index("[apps.legacy]")])
    monkeypatch.setenv(KEY_ENV, publisher_key)
    monkeypatch.setenv("DB_PASSWORD", "s3cret")
    assert run(capsys, "import", "--from-publisher", ".")[0] == 0
    assert run(capsys, "import", "--from-rsconnect", "rs")[0] == 0
    pinned = {app.key: app.guid for app in load_project(repo / "connect.toml").apps_for("staging")
              if app.guid}
    assert set(pinned) == {"sales-api", "board", "weather", "pricing"}
    for key, guid in pinned.items():
        _seed(emulator, publisher_key, guid, f"old-{key}")
    code, out, err = run(capsys, "plan", "--json", *(f"--app={k}" for k in pinned))
    assert code == 0, out + err
    plan = json.loads(out)
    actions = {app["key"]: app["action"] for app in plan["apps"]}
    assert set(actions) == set(pinned)
    assert "create" not in actions.values(), actions
    guids = {app["key"]: app["content"]["guid"] for app in plan["apps"]}
    assert guids == pinned


@pytest.mark.parametrize("args", [
    ["import", "--from-publisher", ".", "--dry-run", "-c", "connect.toml", "--no-color", "-v"],
    ["-c", "connect.toml", "--no-color", "-v", "import", "--from-publisher", ".", "--dry-run"],
])
def test_global_flags_work_before_and_after_the_command(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert "[apps.sales-api]" in out


def test_a_global_flag_after_the_command_does_not_reset_one_before_it(tmp_path: Path) -> None:
    from connectfile.cli import build_parser

    parsed = build_parser().parse_args(["-c", "x.toml", "-v", "plan", "--no-color"])
    assert (parsed.config, parsed.verbose, parsed.no_color) == (Path("x.toml"), True, True)
    parsed = build_parser().parse_args(["plan"])
    assert (parsed.config, parsed.verbose, parsed.no_color) == (None, False, False)


def test_a_directory_without_peer_files_says_what_was_looked_for(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "import", "--from-publisher", "legacy", "--from-rsconnect", "apps")
    assert code == 0
    assert "Posit Publisher: found no .posit/publish/*.toml under the directory given" in out
    assert "rsconnect-python: found no rsconnect-python/*.json or [tool.rsconnect]" in out
    assert "Nothing to import" in out


def test_import_without_a_source_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "import")
    assert code == 1
    assert "import needs --from-publisher DIR or --from-rsconnect DIR" in err


BROKEN = """\
'$schema' = 'https://cdn.posit.co/publisher/schemas/posit-publishing-schema-v3.json'
type = 'python-flask'
entrypoint = 'app:app'

[python]

[connect.runtime]
min_processes = {low}
max_processes = 2
"""


def test_an_app_that_would_not_validate_is_skipped_and_the_others_added(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, low in (("zero", 0), ("inverted", 5)):
        folder = repo / "more" / name / ".posit" / "publish"
        folder.mkdir(parents=True)
        (folder / f"{name}.toml").write_text(BROKEN.format(low=low))
    code, out, err = run(capsys, "import", "--from-publisher", "more")
    assert code == 0, out + err
    project = load_project(repo / "connect.toml")
    assert [a.key for a in project.apps] == ["legacy", "zero"]
    zero = project.app("zero")  # Publisher's min_processes = 0 is Connect's default
    assert (zero.runtime.min_processes, zero.runtime.max_processes) == (None, 2)
    assert "not carried over: connect.runtime.min_processes = 0" in out
    assert ("more/inverted/.posit/publish/inverted.toml: skipped: apps.inverted would not be "
            "valid (apps.inverted.runtime.min_processes: min_processes (5) is more than "
            "max_processes (2)") in out
