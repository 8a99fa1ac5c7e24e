"""Start-up cost: a config seen valid skips the schema check; plan imports only what it uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connectfile.config import schema
from connectfile.config.load import load_project, parse_project
from connectfile.errors import ConfigError
from connectfile.files.configmemo import ConfigMemo

VALID = 'version = 1\n\n[apps.web]\ntype = "api"\npath = "web"\n'


def test_a_text_that_passed_the_schema_is_not_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "connect.toml"
    config.write_text(VALID)
    first = load_project(config, checked=ConfigMemo(tmp_path))
    assert (tmp_path / ".connect" / "cache" / "config-ok").read_text().split() == [
        schema.fingerprint(config.read_bytes())
    ]
    assert (tmp_path / ".connect" / "cache" / ".gitignore").is_file()

    def fail(data: object) -> list[tuple[tuple[str | int, ...], str]]:
        raise AssertionError("the schema was checked again")

    monkeypatch.setattr(schema, "check", fail)
    again = load_project(config, checked=ConfigMemo(tmp_path))
    assert again.apps == first.apps


def test_an_edited_config_is_checked_and_a_bad_one_never_remembered(tmp_path: Path) -> None:
    config = tmp_path / "connect.toml"
    config.write_text(VALID)
    load_project(config, checked=ConfigMemo(tmp_path))
    config.write_text(VALID.replace('"api"', "3"))
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"connect.toml:4: apps.web.type"):
            load_project(config, checked=ConfigMemo(tmp_path))
    assert len((tmp_path / ".connect" / "cache" / "config-ok").read_text().split()) == 1


def test_cross_field_rules_run_even_for_a_remembered_text() -> None:
    text = VALID + '\n[apps.api]\ntype = "api"\npath = "web"\nname = "web"\n'
    known = {schema.fingerprint(text.encode())}
    with pytest.raises(ConfigError):
        parse_project(text, source="connect.toml", root=Path("."), checked=known)


def test_plan_and_apply_do_not_import_jsonschema() -> None:
    code = (
        "import sys, connectfile.cli, connectfile.commands.plan, connectfile.commands.apply\n"
        "print('jsonschema' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def test_the_version_costs_no_package_metadata_lookup() -> None:
    # urllib3 reads importlib.metadata itself; connectfile's own import must not need it.
    code = ("import sys, connectfile\n"
            "print(connectfile.__version__, 'importlib.metadata' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split()[1] == "False"
