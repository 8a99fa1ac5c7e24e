"""Broken and hostile local files: one clear line, exit 1, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectfile.cli import main
from connectfile.config.load import load_bytes
from connectfile.errors import ConfigError, CorruptFileError
from connectfile.remote.records import load_record, record_path

GOOD = b'version = 1\n\n[apps.web]\ntype = "flask"\nentrypoint = "app:app"\n'


def _issues(data: bytes) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_bytes(data, source="connect.toml", root=Path("."))
    return [str(i) for i in info.value.issues]


def test_a_bom_is_accepted() -> None:
    project = load_bytes(b"\xef\xbb\xbf" + GOOD, source="connect.toml", root=Path("."))
    assert [a.key for a in project.apps] == ["web"]


def test_not_utf8_names_the_line_and_the_fix() -> None:
    assert _issues(GOOD + b'title = "caf\xe9"\n') == [
        "connect.toml:6: the file is not UTF-8 text (byte 0xe9 at column 13); save it as UTF-8"
    ]


def test_deep_nesting_is_a_syntax_error() -> None:
    (issue,) = _issues(b"version = 1\nx = " + b"[" * 5000 + b"]" * 5000 + b"\n")
    assert issue.startswith("connect.toml:2: syntax error") and "nested" in issue


@pytest.mark.parametrize("key", ["we\\u001b[2Jb", "web\\nconnect.toml:1: all good", "a\\u2028b"])
def test_control_characters_in_keys_are_escaped(key: str) -> None:
    issues = _issues(GOOD + f'[apps."{key}"]\ntype = "flask"\nbogus = 1\n'.encode())
    text = "\n".join(issues)
    assert "\x1b" not in text and "\u2028" not in text
    assert len(text.splitlines()) == len(issues)
    assert not any(line.startswith("connect.toml:1: all good") for line in text.splitlines())


@pytest.mark.parametrize("separator", ["\u0085", "\u2028", "\u2029"])
def test_line_numbers_count_only_newlines(separator: str) -> None:
    text = f'version = 1\n[apps.web]\ntype = "flask"\ntitle = "a{separator}b{separator}c"\n'
    assert _issues((text + "bogus = = 1\n").encode()) == [
        "connect.toml:5: syntax error at column 9: Unexpected character: '='"
    ]
    (issue,) = _issues((text + "bogus = 1\n").encode())
    assert issue.startswith("connect.toml:5: apps.web.bogus: unknown key")


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"format_version": 1, "server": "x", "apps": {', "cut short"),
        (b"[" * 100000, "nested too deeply"),
        (b'{"format_version": 7, "server": "x", "apps": {}}', "format_version 7"),
        (b'{"format_version": 1, "apps": {}}', "missing or wrong field"),
        (b'{"format_version": 1, "server": "x", "apps": {"w\x1b": {}}}', "not JSON"),
    ],
)
def test_a_damaged_record_is_named_with_the_fix(tmp_path: Path, content: bytes, said: str) -> None:
    path = record_path(tmp_path, "prod")
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(CorruptFileError) as info:
        load_record(tmp_path, "prod")
    message = str(info.value)
    assert str(path) in message and said in message and "delete it" in message
    assert "\n" not in message and "\x1b" not in message


def test_cli_exits_1_with_one_line_for_a_binary_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "connect.toml"
    config.write_bytes(b"\x00\xff\xfe garbage \x1b[2J")
    assert main(["-c", str(config), "validate"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "\x1b" not in err
    assert "not UTF-8" in err


def test_a_damaged_checksum_cache_is_ignored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from connectfile.files.hashcache import ChecksumCache

    cache = tmp_path / "md5.json"
    cache.write_text(json.dumps({"version": 1, "files": {}})[:-3])
    (tmp_path / "f").write_text("x")
    assert ChecksumCache(cache).digest(tmp_path / "f")[0] == 1
    assert "damaged checksum cache" in caplog.text
