"""planning helpers that need no server: app selection, secret checks, the config digest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from connectfile.cli import format_error
from connectfile.config.load import load_project
from connectfile.config.model import App, Project
from connectfile.engine.planning import select_apps
from connectfile.engine.secrets import check_secrets
from connectfile.errors import SecretNotSetError, UsageError
from connectfile.plans.diff import config_digest


def project(root: Path = Path("/nowhere")) -> Project:
    apps = tuple(
        App(key=k, type="flask", name=f"{k}-app", secrets=s)
        for k, s in (("api", ("DB", "TOKEN")), ("web", ()), ("board", ("DB",)))
    )
    return Project(source="connect.toml", root=root, version=1, targets=(), apps=apps,
                   lines={"apps.api.secrets": 7, "apps.board.secrets": 19})


def test_selection_keeps_config_order_and_drops_repeats() -> None:
    p = project()
    assert [a.key for a in select_apps(p, "default", [])] == ["api", "web", "board"]
    picked = select_apps(p, "default", ["board", "api", "board"])
    assert [a.key for a in picked] == ["api", "board"]


def test_unknown_app_lists_the_known_ones() -> None:
    with pytest.raises(UsageError) as info:
        select_apps(project(), "default", ["nope", "web", "zip"])
    assert format_error(info.value) == (
        "error: --app nope, zip: no such app in connect.toml (apps: api, web, board)"
    )


def test_every_unset_or_empty_secret_is_listed_with_its_line() -> None:
    p = project()
    with pytest.raises(SecretNotSetError) as info:
        check_secrets(p, p.apps, {"DB": "x", "TOKEN": ""})
    lines = str(info.value).splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("connect.toml:7: apps.api.secrets: TOKEN is not set")
    with pytest.raises(SecretNotSetError) as info:
        check_secrets(p, p.apps, {})
    assert [line.split(":")[1] for line in str(info.value).splitlines()] == ["7", "7", "19"]
    check_secrets(p, p.apps, {"DB": "x", "TOKEN": "y"})


def test_config_digest_is_sha256_of_the_file(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'version = 1\n[apps.web]\ntype = "flask"\n'
    (tmp_path / "connect.toml").write_bytes(data)
    monkeypatch.chdir(tmp_path)
    assert config_digest(load_project(Path("connect.toml"))) == hashlib.sha256(data).hexdigest()


def test_config_digest_is_of_the_bytes_parsed_not_of_a_guessed_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A config named other than connect.toml, in a directory other than the cwd, with CRLF
    # line ends: the digest is of exactly the bytes read, even after the file moves on.
    data = b'version = 1\r\n[apps.web]\r\ntype = "flask"\r\n'
    (tmp_path / "conf").mkdir()
    config = tmp_path / "conf" / "prod.toml"
    config.write_bytes(data)
    (tmp_path / "conf" / "connect.toml").write_bytes(b"version = 1\n# a decoy\n")
    monkeypatch.chdir(tmp_path)
    loaded = load_project(Path("conf/prod.toml"))
    assert loaded.path == Path("conf/prod.toml").absolute()
    assert loaded.config_bytes == data
    config.write_bytes(data + b"# edited later\n")
    assert config_digest(loaded) == hashlib.sha256(data).hexdigest()


def test_an_unset_secret_of_a_target_override_names_the_override_line() -> None:
    from connectfile.config.load import parse_project

    p = parse_project('version = 1\n[targets.prod]\nserver = "https://c.example.com"\n'
                      '[apps.web]\ntype = "flask"\nsecrets = ["A"]\n'
                      '[apps.web.targets.prod]\nsecrets = ["B"]\n',
                      source="connect.toml", root=Path("/nowhere"))
    with pytest.raises(SecretNotSetError) as info:
        check_secrets(p, p.apps_for("prod"), {})
    assert [str(i.location) for i in info.value.issues] == [
        "connect.toml:8: apps.web.targets.prod.secrets"]
