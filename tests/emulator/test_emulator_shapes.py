"""Response shapes against JSON recorded from real servers (tests/emulator/data)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from emu_bundles import bundle
from test_emulator_flow import wait_task

from connectfile.emulator import Emulator

DATA = Path(__file__).parent / "data"


def fixture(name: str) -> Any:
    return json.loads((DATA / name).read_text("utf-8"))


def same_shape(ours: Any, recorded: Any, where: str = "$") -> list[str]:
    """Differences in field names and JSON types; null on either side matches anything."""
    if ours is None or recorded is None:
        return []
    if isinstance(recorded, dict):
        if not isinstance(ours, dict):
            return [f"{where}: object expected, got {type(ours).__name__}"]
        problems = [f"{where}.{k}: missing" for k in recorded if k not in ours]
        for key in recorded.keys() & ours.keys():
            problems += same_shape(ours[key], recorded[key], f"{where}.{key}")
        return problems
    if isinstance(recorded, list):
        if not isinstance(ours, list):
            return [f"{where}: array expected"]
        return [p for item in ours[:1] for p in same_shape(item, recorded[0], f"{where}[0]")
                ] if recorded else []
    numbers = (int, float)
    if isinstance(recorded, bool) or isinstance(ours, bool):
        ok = isinstance(recorded, bool) and isinstance(ours, bool)
    elif isinstance(recorded, numbers):
        ok = isinstance(ours, numbers)
    else:
        ok = isinstance(ours, type(recorded))
    return [] if ok else [f"{where}: {type(recorded).__name__} expected, got {ours!r}"]


@pytest.fixture
def deployed(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A deployed content item, its bundle and its task, as the admin of a 2026 server sees
    them (the recordings have the 2026 field set)."""
    with Emulator(tmp_path, version="2026.04.0", task_step_delay=0) as emu:
        yield _deployed(emu)


def _deployed(emulator: Emulator) -> dict[str, Any]:
    h = {"Authorization": f"Key {emulator.api_key}"}
    api = f"{emulator.url}/__api__/v1"
    guid = requests.post(f"{api}/content", json={"name": "shapes", "title": "Shapes"},
                         headers=h).json()["guid"]
    bundle_id = requests.post(f"{api}/content/{guid}/bundles", data=bundle(),
                              headers=h).json()["id"]
    task_id = requests.post(f"{api}/content/{guid}/deploy", json={"bundle_id": bundle_id},
                            headers=h).json()["task_id"]
    wait_task(emulator, task_id)
    return {
        "content": requests.get(f"{api}/content/{guid}", headers=h).json(),
        "bundle": requests.get(f"{api}/content/{guid}/bundles/{bundle_id}", headers=h).json(),
        "task": requests.get(f"{api}/tasks/{task_id}", headers=h).json(),
        "user": requests.get(f"{api}/user", headers=h).json(),
        "python": requests.get(f"{api}/server_settings/python", headers=h).json(),
        "environment": requests.put(f"{api}/content/{guid}/environment",
                                    json=[{"name": "A", "value": "1"}], headers=h).json(),
    }


@pytest.mark.parametrize(("kind", "name"), [
    ("content", "content-details.json"),
    ("content", "content-create.json"),
    ("content", "sdk-content.json"),
    ("bundle", "bundle-upload.json"),
    ("bundle", "sdk-bundle.json"),
    ("task", "task-finished.json"),
    ("task", "sdk-task.json"),
    ("user", "user.json"),
    ("user", "sdk-user.json"),
    ("python", "server-settings-python.json"),
    ("environment", "environment.json"),
])
def test_shape_matches_recording(deployed: dict[str, Any], kind: str, name: str) -> None:
    assert same_shape(deployed[kind], fixture(name)) == []


def test_no_fields_beyond_the_2026_content_shape(deployed: dict[str, Any]) -> None:
    assert set(deployed["content"]) == set(fixture("content-details.json"))
    assert set(deployed["bundle"]) == set(fixture("bundle-upload.json"))
    assert set(deployed["task"]) == set(fixture("task-finished.json"))
    # `password`, `preferences` and `privileges` are /v1/user-only fields (reference §3).
    assert set(deployed["user"]) - set(fixture("user.json")) == {"password", "preferences",
                                                                 "privileges"}


def test_2025_09_content_is_the_2026_shape_without_the_2026_fields(emulator: Emulator) -> None:
    h = {"Authorization": f"Key {emulator.api_key}"}
    item = requests.post(f"{emulator.url}/__api__/v1/content", json={"name": "older"},
                         headers=h).json()
    new_fields = {"draft_marker_enabled", "metrics_collection_enabled", "notify_on_share",
                  "otel_enabled", "node_version"}
    assert set(item) == set(fixture("content-details.json")) - new_fields
