"""Tiny bundles built with tarfile for the emulator tests (valid, and broken on purpose)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from typing import Any

FLASK_APP = (b"from flask import Flask\napp = Flask(__name__)\n\n"
             b"@app.get('/')\ndef hi():\n    return 'hi'\n")
REQUIREMENTS = b"flask==3.0.3\n"


def manifest(files: dict[str, bytes], *, appmode: str = "python-api",
             entrypoint: str = "app:app", python: str = "3.11.4",
             package_file: str = "requirements.txt", **extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "locale": "en_US.UTF-8",
        "metadata": {"appmode": appmode, "entrypoint": entrypoint},
        "python": {"version": python,
                   "package_manager": {"name": "pip", "version": "24.0",
                                       "package_file": package_file}},
        "files": {name: {"checksum": hashlib.md5(data).hexdigest()}
                  for name, data in files.items()},
        **extra,
    }


def tar_gz(files: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def app_files() -> dict[str, bytes]:
    return {"app.py": FLASK_APP, "requirements.txt": REQUIREMENTS}


def bundle(files: dict[str, bytes] | None = None, **manifest_args: Any) -> bytes:
    """A valid Flask bundle (or one built from `files` with a matching manifest)."""
    files = dict(files if files is not None else app_files())
    files["manifest.json"] = json.dumps(manifest(files, **manifest_args)).encode()
    return tar_gz(files)
