"""Deployment records: round trip, atomic writes, clear errors for a damaged file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectfile.errors import CorruptFileError
from connectfile.remote.records import load_record, record_path, save_record, with_app
from connectfile.remote.state import AppRecord, TargetRecord


def test_missing_record_is_none(tmp_path: Path) -> None:
    assert load_record(tmp_path, "staging") is None


def test_round_trip_and_layout(tmp_path: Path) -> None:
    record = TargetRecord(
        server="https://connect.example.com",
        apps={
            "web": AppRecord(guid="g2", bundle_id="7", manifest_digest="m" * 64,
                             env_digests={"LOG_LEVEL": "d" * 64}, secret_names=("DB",),
                             url="https://connect.example.com/web/"),
            "api": AppRecord(guid="g1"),
        },
    )
    save_record(tmp_path, "staging", record)
    path = record_path(tmp_path, "staging")
    assert path == tmp_path / ".connect" / "staging.json"
    data = json.loads(path.read_text())
    assert data["format_version"] == 1
    assert list(data["apps"]) == ["api", "web"]
    assert load_record(tmp_path, "staging") == record
    assert [p.name for p in path.parent.iterdir()] == ["staging.json"]  # no temp file left


def test_with_app_replaces_one_entry(tmp_path: Path) -> None:
    first = with_app(None, "https://c", "a", AppRecord(guid="g1"))
    second = with_app(first, "https://c", "b", AppRecord(guid="g2"))
    third = with_app(second, "https://c", "a", AppRecord(guid="g1", bundle_id="3"))
    assert dict(third.apps) == {"a": AppRecord(guid="g1", bundle_id="3"), "b": AppRecord(guid="g2")}
    assert first.apps == {"a": AppRecord(guid="g1")}  # values, not shared state


def test_damaged_record_is_one_clear_line(tmp_path: Path) -> None:
    path = record_path(tmp_path, "prod")
    path.parent.mkdir()
    path.write_text("{not json")
    with pytest.raises(CorruptFileError, match=r"prod\.json: not a valid deployment record"):
        load_record(tmp_path, "prod")


def test_with_app_drops_entries_of_another_server() -> None:
    old = with_app(None, "https://old", "a", AppRecord(guid="g1"))
    new = with_app(old, "https://new", "b", AppRecord(guid="g2"))
    assert (new.server, list(new.apps)) == ("https://new", ["b"])
