"""Target resolution, URL normalisation, identity and deployed-state reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectfile.errors import UsageError
from connectfile.model import Project, Target
from connectfile.remote import (
    normalize_server_url,
    open_target,
    resolve_target,
    version_tuple,
)


def project(*targets: Target) -> Project:
    return Project(source="connect.toml", root=Path("."), version=1, targets=targets, apps=())


STAGING = Target(name="staging", server="https://s.example.com", default=True)
PROD = Target(name="prod", server="https://p.example.com", api_key_env="PROD_KEY")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Connect.Example.com/", "https://connect.example.com"),
        ("http://localhost:3939/__api__/", "http://localhost:3939"),
        ("https://x.example.com/rsc//", "https://x.example.com/rsc"),
    ],
)
def test_normalize_server_url(url: str, expected: str) -> None:
    assert normalize_server_url(url) == expected


def test_normalize_rejects_non_urls() -> None:
    with pytest.raises(UsageError, match="not an http"):
        normalize_server_url("connect.example.com")


def test_version_tuple() -> None:
    assert version_tuple("2025.06.0") >= (2025, 6)
    assert version_tuple("2023.11.0-dev+103-g11242ee129") == (2023, 11, 0)
    assert version_tuple("") == ()


def test_resolve_target() -> None:
    assert resolve_target(project(STAGING, PROD), None) is STAGING
    assert resolve_target(project(STAGING, PROD), "prod") is PROD
    assert resolve_target(project(PROD), None) is PROD
    implicit = resolve_target(project(), None)
    assert (implicit.name, implicit.server) == ("default", None)
    with pytest.raises(UsageError, match=r"no target named 'qa' \(targets: staging, prod\)"):
        resolve_target(project(STAGING, PROD), "qa")
    undefaulted = Target(name="a", server="https://a.example.com")
    with pytest.raises(UsageError, match="pass -t TARGET"):
        resolve_target(project(undefaulted, PROD), None)


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(UsageError, match="set the environment variable PROD_KEY"), \
            open_target(project(STAGING, PROD), "prod", environ={}):
        pass


def test_implicit_target_needs_connect_server() -> None:
    with pytest.raises(UsageError, match="set CONNECT_SERVER"), \
            open_target(project(), None, environ={"CONNECT_API_KEY": "k"}):
        pass
