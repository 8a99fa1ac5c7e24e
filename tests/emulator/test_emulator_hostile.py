"""The emulator under attack: bombs, deep JSON, cut-off bodies answer 400, never 500."""

from __future__ import annotations

import gzip
import io
import socket
import tarfile
from urllib.parse import urlsplit

import pytest
import requests

from connectfile.emulator import Emulator
from connectfile.emulator import archive as emu_archive


def _targz(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _content(emulator: Emulator) -> tuple[requests.Session, str]:
    session = requests.Session()
    session.headers["Authorization"] = f"Key {emulator.api_key}"
    name = f"target-{len(emulator.state()['content'])}"
    answer = session.post(f"{emulator.url}/__api__/v1/content", json={"name": name})
    assert answer.status_code == 200, answer.text
    return session, str(answer.json()["guid"])


def _upload(emulator: Emulator, data: bytes) -> requests.Response:
    session, guid = _content(emulator)
    return session.post(f"{emulator.url}/__api__/v1/content/{guid}/bundles", data=data)


def test_a_gzip_bomb_is_refused(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emu_archive, "MAX_UNPACKED", 1 << 20)
    bomb = _targz([("manifest.json", b"{}"), ("zeros.bin", bytes(4 << 20))])
    assert len(bomb) < 20_000
    answer = _upload(emulator, bomb)
    assert answer.status_code == 400
    assert answer.json()["code"] == 135 and "unpacks to more than" in answer.json()["error"]


def test_too_many_members_or_too_long_a_path_is_refused(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emu_archive, "MAX_MEMBERS", 10)
    answer = _upload(emulator, _targz([(f"f{i}", b"") for i in range(11)]))
    assert answer.status_code == 400 and "more than 10 members" in answer.json()["error"]
    answer = _upload(emulator, _targz([("d/" + "x" * 300, b"")]))
    assert answer.status_code == 400 and "too long" in answer.json()["error"]


def test_garbage_upload_is_still_135(emulator: Emulator) -> None:
    answer = _upload(emulator, gzip.compress(b"not a tar") + b"junk")
    assert answer.status_code == 400 and answer.json()["code"] == 135


def test_deeply_nested_json_is_400(emulator: Emulator) -> None:
    session, guid = _content(emulator)
    answer = session.patch(f"{emulator.url}/__api__/v1/content/{guid}", data=b"[" * 200_000,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == 87


def test_an_upload_cut_off_mid_body_is_400(emulator: Emulator) -> None:
    _session, guid = _content(emulator)
    url = urlsplit(emulator.url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall((
            f"POST /__api__/v1/content/{guid}/bundles HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: Key {emulator.api_key}\r\nContent-Length: 100000\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + b"\x1f\x8b" + bytes(100))
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]


def test_a_vanity_path_has_a_length_limit(emulator: Emulator) -> None:
    session, guid = _content(emulator)
    answer = session.put(f"{emulator.url}/__api__/v1/content/{guid}/vanity",
                         json={"path": "/" + "a" * 2000 + "/"})
    assert answer.status_code == 400 and answer.json()["code"] == 52
