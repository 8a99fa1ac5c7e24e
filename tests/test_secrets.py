"""One secrets check: plan, apply and validate report an unset secret with the same issue."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectfile.config.load import parse_project
from connectfile.engine.checks import check_project
from connectfile.engine.secrets import check_secrets, unset_secrets
from connectfile.engine.validation import DiskView
from connectfile.errors import SecretNotSetError

TOML = ('version = 1\n[targets.prod]\nserver = "https://c.example.com"\n'
        '[apps.web]\ntype = "flask"\nsecrets = ["DB", "TOKEN"]\n'
        '[apps.web.targets.prod]\nsecrets = ["DB", "PROD_TOKEN"]\n')


def test_plan_and_validate_say_the_same_and_count_empty_as_unset(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("app = 1\n")
    (tmp_path / "requirements.txt").write_text("flask\n")
    project = parse_project(TOML, source="connect.toml", root=tmp_path)
    environ = {"DB": "x", "TOKEN": "", "PROD_TOKEN": ""}
    with pytest.raises(SecretNotSetError) as info:
        check_secrets(project, project.apps_for("prod"), environ, target="prod")
    planned = str(info.value).splitlines()
    # The target's own `secrets` line is named, not the base app's.
    assert planned == [
        "connect.toml:8: apps.web.targets.prod.secrets: PROD_TOKEN is not set in the "
        "environment (secret values come from the deploying environment: export it, or add "
        "it to your CI secrets)"]
    warned = check_project(project, DiskView(tmp_path), environ).warnings
    assert set(planned) < set(warned)
    assert [str(i) for i in unset_secrets(project, project.app("web"), environ)] == [
        w for w in warned if "apps.web.secrets" in w]
    assert any(w.startswith("connect.toml:6: apps.web.secrets: TOKEN is not set") for w in warned)
