"""Parsing connect.toml: merge rules, targets, line numbers and error messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from connectfile.config.lines import line_map
from connectfile.config.load import load_project, parse_project
from connectfile.config.locate import key_location, key_path
from connectfile.config.model import FileMapping, Project
from connectfile.config.rules import memory_bytes
from connectfile.errors import ConfigError, Location

ROOT = Path("/project")


def parse(text: str) -> Project:
    return parse_project(textwrap.dedent(text), source="connect.toml", root=ROOT)


def errors(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return str(info.value)


FULL = """\
    version = 1

    [defaults]
    python = "3.11"
    access = "logged_in"
    exclude = ["**/*.ipynb"]
    env = { LOG_LEVEL = "info", REGION = "eu" }
    runtime = { min_processes = 1 }

    [targets.staging]
    server = "https://staging.example.com"
    default = true

    [targets.production]
    server = "https://connect.example.com"
    api_key_env = "PROD_KEY"

    [apps.sales-api]
    type = "fastapi"
    path = "apps/sales"
    entrypoint = "main:app"
    files = ["data/prices.csv", { from = "../../libs/common", to = "common" }]
    exclude = ["*.txt"]
    env = { LOG_LEVEL = "debug" }

    [apps.sales-api.runtime]
    max_processes = 4

    [apps.sales-api.resources]
    memory_limit = "2GiB"
    cpu_request = 1

    [apps.sales-api.targets.production]
    title = "Sales API"
    env = { EXTRA = "1" }
    runtime = { max_processes = 8 }
    exclude = []

    [apps.dash]
    type = "dash"
    name = "sales-dash"
"""


def test_full_example_merges_defaults_app_and_target() -> None:
    project = parse(FULL)
    assert [t.name for t in project.targets] == ["staging", "production"]
    assert project.target("staging").default and not project.target("production").default
    assert project.target("production").api_key_env == "PROD_KEY"
    assert project.target("staging").api_key_env == "CONNECT_API_KEY"
    app = project.app("sales-api")
    assert app.python == "3.11" and app.access == "logged_in"
    assert dict(app.env) == {"LOG_LEVEL": "debug", "REGION": "eu"}
    assert app.exclude == ("*.txt",)  # lists replace
    assert app.files == ("data/prices.csv",)
    assert app.mappings == (FileMapping(source="libs/common", dest="common"),)
    assert app.runtime.min_processes == 1 and app.runtime.max_processes == 4
    assert app.resources.memory_limit == 2 * 1024**3
    assert app.resources.cpu_request == 1.0 and isinstance(app.resources.cpu_request, float)
    assert app.title is None and app.name == "sales-api"
    prod = project.app("sales-api", "production")
    assert prod.title == "Sales API"
    assert dict(prod.env) == {"LOG_LEVEL": "debug", "REGION": "eu", "EXTRA": "1"}
    assert prod.runtime.max_processes == 8 and prod.runtime.min_processes == 1
    assert prod.exclude == ()
    assert project.app("sales-api", "staging") == app
    assert project.app("dash").name == "sales-dash"
    assert set(project.target_apps) == {"staging", "production"}


def test_line_numbers_of_keys() -> None:
    project = parse(FULL)
    assert project.line_of("version") == 1
    assert project.line_of("defaults.env.REGION") == 7
    assert project.line_of("apps.sales-api.files[1].from") == 22
    assert project.line_of("apps.sales-api.runtime.max_processes") == 27
    assert project.line_of("apps.sales-api.targets.production.runtime.max_processes") == 36
    assert project.line_of("apps.dash.nothing.here") == 39
    assert key_path(project, "sales-api", "runtime.max_processes", "production") == (
        "apps.sales-api.targets.production.runtime.max_processes")
    assert key_path(project, "sales-api", "runtime.min_processes", "production") == (
        "defaults.runtime.min_processes")
    assert key_path(project, "dash", "title") == "apps.dash.title"  # a default: the app's table
    assert project.line_of(key_path(project, "dash", "title")) == 39


def test_one_resolver_locates_keys_of_targets_defaults_and_array_elements() -> None:
    project = parse(FULL)
    assert key_location(project, "sales-api", "runtime.max_processes", "production") == (
        Location(source="connect.toml", line=36,
                 path="apps.sales-api.targets.production.runtime.max_processes"))
    assert key_location(project, "sales-api", "runtime.max_processes") == Location(
        source="connect.toml", line=27, path="apps.sales-api.runtime.max_processes")
    assert key_location(project, "sales-api", "files", index=1) == Location(
        source="connect.toml", line=22, path="apps.sales-api.files[1]")
    assert key_location(project, "dash", "env.REGION") == Location(
        source="connect.toml", line=7, path="defaults.env.REGION")
    app = project.app("sales-api", "production")
    assert app.target == "production" and project.app("sales-api").target is None
    assert app == project.app("sales-api", "production")


def test_implicit_default_target() -> None:
    project = parse('version = 1\n[apps.web]\ntype = "flask"\n')
    (target,) = project.targets
    assert (target.name, target.server, target.default) == ("default", None, True)
    assert project.apps_for("default") == project.apps
    app = project.app("web")
    assert (app.path, app.requirements, app.entrypoint) == (".", None, None)


def test_single_target_is_the_default() -> None:
    project = parse('version = 1\n[targets.local]\nserver = "local"\n[apps.web]\ntype = "flask"\n')
    assert project.target("local").default and project.target("local").is_local


def test_out_of_order_tables_unwrap_to_plain_values() -> None:
    project = parse("""\
        version = 1
        [apps.web.runtime]
        max_processes = 2
        [apps.api]
        type = "api"
        [apps.web]
        type = "flask"
        [apps.web.resources]
        memory_limit = 1024
    """)
    assert project.app("web").runtime.max_processes == 2
    assert project.app("web").resources.memory_limit == 1024
    assert [a.key for a in project.apps] == ["web", "api"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0), ("512", 512), ("512B", 512), ("1KB", 1000), ("1k", 1000), ("1KiB", 1024),
        ("1Ki", 1024), ("2GiB", 2 * 1024**3), ("1.5G", 1_500_000_000), ("512MB", 512_000_000),
        ("1.5 MiB", 1_572_864), ("1TiB", 1024**4), (" 3 gb ", 3_000_000_000),
    ],
)
def test_memory_units(text: str, expected: int) -> None:
    assert memory_bytes(text) == expected


@pytest.mark.parametrize("text", ["2 gigs", "1.5", "-1G", "1iB", "0.5B", "G"])
def test_memory_units_rejected(text: str) -> None:
    if text == "1.5":
        with pytest.raises(ValueError, match="whole number of bytes"):
            memory_bytes(text)
        return
    with pytest.raises(ValueError):
        memory_bytes(text)


def test_all_errors_at_once_sorted_by_line() -> None:
    assert errors("""\
        version = 1
        [targets.a]
        server = "local"
        [apps.web]
        type = "flsk"
        titel = "Web"
        [apps.web.runtime]
        min_processes = 3
        max_processes = 2
        [apps.web.targets.b]
        title = "x"
    """) == "\n".join([
        'connect.toml:5: apps.web.type: "flsk" is not one of api, flask, fastapi, shiny, dash, '
        'streamlit, bokeh, gradio, panel (did you mean "flask"?)',
        "connect.toml:6: apps.web.titel: unknown key 'titel' (did you mean 'title'?)",
        "connect.toml:8: apps.web.runtime.min_processes: min_processes (3) is more than "
        "max_processes (2): lower min_processes or raise max_processes",
        "connect.toml:10: apps.web.targets.b: override for undefined target 'b' "
        "(defined: a; add a [targets.b] table or fix the name)",
        "connect.toml:11: apps.web.targets.b.title: \"x\" has 1 character: "
        "must be 3 to 1024 characters",
    ])


def test_syntax_error_names_line_and_column() -> None:
    assert errors('version = 1\n[apps.web]\ntype = "flask\n') == (
        "connect.toml:3: syntax error at column 14: the string is not closed on this line "
        '(add the closing quote; use """ for text over several lines)'
    )


def test_load_project_reads_the_file(tmp_path: Path) -> None:
    config = tmp_path / "connect.toml"
    config.write_text('version = 1\n[apps.web]\ntype = "flask"\n', "utf-8")
    project = load_project(config)
    assert project.root == tmp_path
    assert project.app("web").type == "flask"


def test_line_map_skips_strings_and_arrays() -> None:
    text = textwrap.dedent('''\
        a = """
        b = 1
        [c]"""
        d = [
          "x]",  # comment [e]
          { f = 'g' },
        ]
        [h."i.j"]
        k.l = 1979-05-27 07:32:00
        [[m]]
        n = 1
        [[m]]
        n = 2
    ''')
    assert line_map(text) == {
        "a": 1, "d": 4, "d[0]": 5, "d[1]": 6, "d[1].f": 6, "h": 8, "h.i.j": 8,
        "h.i.j.k": 9, "h.i.j.k.l": 9, "m": 10, "m[0]": 10, "m[0].n": 11, "m[1]": 12,
        "m[1].n": 13,
    }


def test_line_map_handles_crlf_and_odd_values() -> None:
    text = ('version = 1\r\n[apps.web]\r\ntype = "flask"\r\nx = [inf, -nan, +1_000, 0x1F,\r\n'
            "  1979-05-27T07:32:00Z, 07:32:00]\r\ny = { a = [ { b = 1 } ] }\r\n")
    lines = line_map(text)
    assert lines["apps.web.type"] == 3
    assert lines["apps.web.x[4]"] == 5
    assert lines["apps.web.y.a[0].b"] == 6


@pytest.mark.parametrize("text", ["a = 1\n\u00e9 = 2\n", "a = [1, ?]\n", "[a\n", "a = {b = ?}\n"])
def test_line_map_never_hangs_on_text_it_does_not_know(text: str) -> None:
    assert line_map(text)["a"] == 1


def test_dollar_schema_key_is_allowed() -> None:
    project = parse('"$schema" = "./schema/connect.schema.json"\nversion = 1\n'
                    '[apps.web]\ntype = "flask"\n')
    assert project.version == 1


def test_defaults_may_set_type_and_target_overrides_apply_to_implicit_target() -> None:
    project = parse("""\
        version = 1
        [defaults]
        type = "fastapi"
        [apps.web]
        [apps.web.targets.default]
        title = "Web app"
    """)
    assert project.app("web").type == "fastapi"
    assert project.app("web", "default").title == "Web app"
    assert project.app("web").title is None
