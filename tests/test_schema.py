"""The JSON Schema: valid 2020-12, shipped byte-identical, and its errors worded with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from connectfile.config import schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(schema.load_schema())


def test_packaged_schema_is_byte_identical_to_the_canonical_one() -> None:
    canonical = (ROOT / "schema" / "connect.schema.json").read_bytes()
    packaged = (ROOT / "connectfile" / "config" / "connect.schema.json").read_bytes()
    assert canonical == packaged


def test_schema_has_no_key_for_credentials() -> None:
    text = (ROOT / "schema" / "connect.schema.json").read_text("utf-8")
    assert '"api_key"' not in text and '"password"' not in text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"apps": {"a": {}}}, [(("version",), "missing required key 'version' "
                                "(add version = 1 at the top of the file)")]),
        ({"version": 2, "apps": {"a": {}}},
         [(("version",), "unsupported version 2: this connectfile reads version = 1")]),
        ({"version": 1, "apps": {"a": {"titel": "x"}}},
         [(("apps", "a", "titel"), "unknown key 'titel' (did you mean 'title'?)")]),
        ({"version": 1, "apps": {"a": {"type": "fastpi"}}},
         [(("apps", "a", "type"), '"fastpi" is not one of api, flask, fastapi, shiny, dash, '
           'streamlit, bokeh, gradio, panel (did you mean "fastapi"?)')]),
        ({"version": 1, "apps": {"a": {"runtime": {"max_processes": -1}}}},
         [(("apps", "a", "runtime", "max_processes"), "-1 is less than the minimum of 1")]),
        ({"version": 1, "apps": {"a": {"resources": {"memory_limit": "2 gigs"}}}},
         [(("apps", "a", "resources", "memory_limit"), schema.memory_message("2 gigs"))]),
        ({"version": 1, "apps": {"a": {"files": [{"from": "x", "tu": "y"}]}}},
         [(("apps", "a", "files", 0, "to"), "missing required key 'to'"),
          (("apps", "a", "files", 0, "tu"), "unknown key 'tu' (did you mean 'to'?)")]),
        ({"version": 1, "apps": {}},
         [(("apps",), 'no apps defined: add an [apps.NAME] table with at least type = "..."')]),
        ({"version": 1, "apps": {"a": {"title": "ab"}}},
         [(("apps", "a", "title"), '"ab" has 2 characters: must be 3 to 1024 characters')]),
    ],
)
def test_check_messages(
    data: dict[str, object], expected: list[tuple[tuple[object, ...], str]]
) -> None:
    found = schema.check(data)
    assert found == expected
