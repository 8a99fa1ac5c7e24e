"""Test projects on disk: a monorepo of small Flask apps with one target."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path


def flask_monorepo(root: Path, *, server: str, key_env: str, apps: Sequence[str]) -> Path:
    """Write `root/<key>/app.py` for each app and a connect.toml with target `emu`."""
    blocks = []
    for key in apps:
        (root / key).mkdir(parents=True)
        (root / key / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
        (root / key / "requirements.txt").write_text("flask\n")
        blocks.append(f'[apps.{key}]\ntype = "flask"\npath = "{key}"\nentrypoint = "app:app"\n'
                      'python = "3.11"\n')
    (root / "connect.toml").write_text(textwrap.dedent(f"""\
        version = 1

        [targets.emu]
        server = "{server}"
        api_key_env = "{key_env}"

        """) + "\n".join(blocks))
    return root
