"""Deployment records `.connect/<target>.json`: read, and written atomically (never a secret)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from connectfile.errors import CorruptFileError, printable
from connectfile.files.atomic import write_atomic
from connectfile.remote.state import AppRecord, TargetRecord

RECORD_DIR: Final = ".connect"
RECORD_FORMAT: Final = 1


def record_path(root: Path, target: str) -> Path:
    return root / RECORD_DIR / f"{target}.json"


def cache_dir(root: Path, target: str) -> Path:
    """Where bundle manifests read from `target` are cached, by content guid and bundle id."""
    return root / RECORD_DIR / "cache" / target


def load_record(root: Path, target: str, *, server: str | None = None) -> TargetRecord | None:
    """The record of `target`, or None when there is none yet.

    With `server`, a record made for another server is None too: its guids and env
    digests describe content that is not on this one.
    """
    path = record_path(root, target)
    try:
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            return None
        record = record_from_json(json.loads(text))
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise CorruptFileError(
            f"{path}: not a valid deployment record ({_why(exc)}); delete it and run "
            "`connectfile plan` again (content is found by name)"
        ) from None
    return None if server is not None and record.server != server else record


def _why(exc: BaseException) -> str:
    """A few words on what is wrong with a record, never its raw bytes."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text at byte {exc.start}"
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON, or cut short: {exc.msg} (line {exc.lineno})"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, _OtherFormat):
        return str(exc)
    return f"missing or wrong field {printable(str(exc))[:80]}"


class _OtherFormat(ValueError):
    """A record written by a connectfile whose record format this one does not read."""


def save_record(root: Path, target: str, record: TargetRecord) -> None:
    """Write the record atomically: a temp file in the same directory, then os.replace."""
    path = record_path(root, target)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record_to_json(record), indent=2, sort_keys=True) + "\n"
    write_atomic(path, text.encode("utf-8"))


def with_app(record: TargetRecord | None, server: str, key: str, app: AppRecord) -> TargetRecord:
    """A copy of `record` (or a new one for `server`) with `key`'s entry replaced.

    A record made for another server URL is dropped: its guids mean nothing here.
    """
    apps = dict(record.apps) if record is not None and record.server == server else {}
    apps[key] = app
    return TargetRecord(server=server, apps=dict(sorted(apps.items())))


def without_app(record: TargetRecord | None, key: str) -> TargetRecord | None:
    """A copy of `record` without `key`'s entry (the app's content was destroyed)."""
    if record is None or key not in record.apps:
        return record
    return TargetRecord(server=record.server,
                        apps={k: a for k, a in record.apps.items() if k != key})


def record_to_json(record: TargetRecord) -> dict[str, Any]:
    return {
        "format_version": RECORD_FORMAT,
        "server": record.server,
        "apps": {key: _app_to_json(a) for key, a in sorted(record.apps.items())},
    }


def record_from_json(data: Mapping[str, Any]) -> TargetRecord:
    version = data.get("format_version", RECORD_FORMAT)
    if version != RECORD_FORMAT:
        raise _OtherFormat(
            f"format_version {printable(repr(version))[:20]}; this connectfile reads "
            f"format {RECORD_FORMAT}"
        )
    apps = data.get("apps") or {}
    return TargetRecord(
        server=str(data["server"]),
        apps={str(k): _app_from_json(v) for k, v in apps.items()},
    )


def _app_to_json(app: AppRecord) -> dict[str, Any]:
    return {
        "guid": app.guid,
        "bundle_id": app.bundle_id,
        "manifest_digest": app.manifest_digest,
        "env_digests": dict(sorted(app.env_digests.items())),
        "secret_names": sorted(app.secret_names),
        "url": app.url,
    }


def _app_from_json(data: Mapping[str, Any]) -> AppRecord:
    def opt(key: str) -> str | None:
        value = data.get(key)
        return None if value is None else str(value)

    return AppRecord(
        guid=str(data["guid"]),
        bundle_id=opt("bundle_id"),
        manifest_digest=opt("manifest_digest"),
        env_digests={str(k): str(v) for k, v in (data.get("env_digests") or {}).items()},
        secret_names=tuple(str(s) for s in data.get("secret_names") or ()),
        url=opt("url"),
    )
