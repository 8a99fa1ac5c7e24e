"""TLS and connection diagnosis against the emulator behind a real self-signed HTTPS server."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from werkzeug.serving import make_server

from connectfile.config.model import Project, Target
from connectfile.emulator import Emulator
from connectfile.errors import ServerUnreachableError
from connectfile.remote.target import normalize_server_url, open_target, url_note

KEY_ENV = {"CONNECT_API_KEY": ""}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_url(emulator: Emulator, ca: trustme.CA) -> Iterator[str]:
    """The emulator's app served over TLS with a certificate for 127.0.0.1 signed by `ca`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = make_server("127.0.0.1", 0, emulator.app, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def root(tmp_path: Path, ca: trustme.CA) -> Path:
    ca.cert_pem.write_to_path(str(tmp_path / "corp-ca.pem"))
    trustme.CA().cert_pem.write_to_path(str(tmp_path / "other-ca.pem"))  # trusts nothing here
    return tmp_path


def _open(root: Path, target: Target, key: str) -> str:
    project = Project(source="connect.toml", root=root, version=1, targets=(target,), apps=())
    with open_target(project, target.name, environ={"CONNECT_API_KEY": key}) as session:
        return session.server_version


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_target_ca_bundle_wins_over_the_environment(
    emulator: Emulator, https_url: str, root: Path, variable: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(variable, str(root / "other-ca.pem"))
    target = Target(name="corp", server=https_url, ca_bundle="corp-ca.pem")
    assert _open(root, target, emulator.api_key)


def test_insecure_wins_over_the_environment(
    emulator: Emulator, https_url: str, root: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(root / "other-ca.pem"))
    target = Target(name="corp", server=https_url, insecure=True)
    assert _open(root, target, emulator.api_key)
    assert "verification is off" in caplog.text


def test_environment_applies_when_the_target_sets_neither(
    emulator: Emulator, https_url: str, root: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = Target(name="corp", server=https_url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(root / "corp-ca.pem"))
    assert _open(root, target, emulator.api_key)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(root / "other-ca.pem"))
    with pytest.raises(ServerUnreachableError) as info:
        _open(root, target, emulator.api_key)
    assert "TLS certificate verification failed" in str(info.value)
    assert 'ca_bundle = "system"' in str(info.value)


def test_a_wrong_ca_bundle_is_named_not_asked_for(
    emulator: Emulator, https_url: str, root: Path,
) -> None:
    target = Target(name="corp", server=https_url, ca_bundle="other-ca.pem")
    with pytest.raises(ServerUnreachableError) as info:
        _open(root, target, emulator.api_key)
    message = str(info.value)
    assert "ca_bundle 'other-ca.pem' does not hold the CA" in message
    assert "set ca_bundle" not in message
    assert "\n" not in message


def test_system_trust_store(
    emulator: Emulator, https_url: str, root: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`ca_bundle = "system"` asks the OS store (OpenSSL's, which SSL_CERT_FILE stands in for
    here), and neither certifi nor REQUESTS_CA_BUNDLE."""
    target = Target(name="corp", server=https_url, ca_bundle="system")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(root / "corp-ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(root / "other-ca.pem"))
    with pytest.raises(ServerUnreachableError, match="trust store does not trust"):
        _open(root, target, emulator.api_key)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(root / "other-ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(root / "corp-ca.pem"))
    assert _open(root, target, emulator.api_key)


def test_https_url_to_a_plain_http_server_says_so(emulator: Emulator, root: Path) -> None:
    target = Target(name="emu", server=emulator.url.replace("http://", "https://"))
    with pytest.raises(ServerUnreachableError) as info:
        _open(root, target, emulator.api_key)
    assert "the server did not speak TLS" in str(info.value)
    assert "could not connect" not in str(info.value)


def test_dropped_answer_is_not_could_not_connect(emulator: Emulator, root: Path) -> None:
    emulator.faults.drop("GET", "/__api__/v1/user", times=None)
    with pytest.raises(ServerUnreachableError) as info:
        _open(root, Target(name="emu", server=emulator.url), emulator.api_key)
    message = str(info.value)
    assert f"GET {emulator.url}/__api__/v1/user: the request was sent" in message
    assert "could not connect" not in message


def test_could_not_connect_only_without_a_connection(root: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ServerUnreachableError, match="could not connect to the server"):
        _open(root, Target(name="emu", server=f"http://127.0.0.1:{port}"), "k")


def _serve(body: bytes, content_type: str) -> tuple[str, object]:
    def app(environ: object, start_response: object) -> list[bytes]:
        start_response("200 OK", [("Content-Type", content_type)])  # type: ignore[operator]
        return [body]

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


@pytest.mark.parametrize(
    ("body", "content_type", "said"),
    [
        (b"<!DOCTYPE html><html><body>" + b"Sign in " * 500 + b"</body></html>",
         "text/html", "web page"),
        (b'{"name": "some other API"}', "application/json", "no Connect version"),
    ],
)
def test_a_server_that_is_not_connect_is_one_line(
    root: Path, body: bytes, content_type: str, said: str
) -> None:
    url, server = _serve(body, content_type)
    try:
        with pytest.raises(ServerUnreachableError) as info:
            _open(root, Target(name="web", server=url), "k")
    finally:
        server.shutdown()  # type: ignore[attr-defined]
    message = str(info.value)
    assert "does not look like Posit Connect" in message and said in message
    assert "\n" not in message and "Sign in" not in message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://connect.example.com/connect/", "https://connect.example.com"),
        ("https://h.example.com/rsc/connect/#/apps/1234/access", "https://h.example.com/rsc"),
        ("https://h.example.com/__api__/v1/content", "https://h.example.com"),
        ("https://h.example.com/content/0f6b2e4c/", "https://h.example.com"),
        ("https://h.example.com/connect/connect/", "https://h.example.com/connect"),
    ],
)
def test_dashboard_and_api_urls_are_normalised_with_a_note(given: str, expected: str) -> None:
    assert normalize_server_url(given) == expected
    note = url_note(given, expected)
    assert note is not None and expected in note
    assert url_note("https://h.example.com/rsc/", "https://h.example.com/rsc") is None


def test_dashboard_url_reaches_the_server(
    emulator: Emulator, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connectfile")
    target = Target(name="emu", server=emulator.url + "/connect/#/content")
    assert _open(root, target, emulator.api_key)
    assert f"using the server URL {emulator.url}" in caplog.text
