"""planning helpers that need no server: app selection, secret checks, the config digest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from connectfile.config.model import App, Project
from connectfile.engine.planning import check_secrets, config_digest, select_apps
from connectfile.errors import UsageError


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
    assert str(info.value) == (
        "error: --app nope, zip: no such app in connect.toml (apps: api, web, board)"
    )


def test_every_unset_or_empty_secret_is_listed_with_its_line() -> None:
    p = project()
    with pytest.raises(UsageError) as info:
        check_secrets(p, p.apps, {"DB": "x", "TOKEN": ""})
    lines = str(info.value).splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("connect.toml:7: apps.api.secrets: TOKEN is not set")
    with pytest.raises(UsageError) as info:
        check_secrets(p, p.apps, {})
    assert [line.split(":")[1] for line in str(info.value).splitlines()] == ["7", "7", "19"]
    check_secrets(p, p.apps, {"DB": "x", "TOKEN": "y"})


def test_config_digest_is_sha256_of_the_file(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "connect.toml").write_bytes(b"version = 1\n")
    monkeypatch.chdir(tmp_path)
    assert config_digest(project(tmp_path)) == hashlib.sha256(b"version = 1\n").hexdigest()
