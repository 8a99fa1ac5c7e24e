"""Trusted publishing against the emulator over real HTTP (issue 9 point 2, acceptance 2)."""

from __future__ import annotations

import http.server
import json
import shutil
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import connectfile.remote.target
from connectfile.cli import main
from connectfile.emulator import Emulator
from connectfile.remote.tls import KeyAuth, make_session

ISSUER = "https://token.actions.githubusercontent.com"
SUBJECT = "repo:acme/apps:ref:refs/heads/main"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = _KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign(audience: str, *, expires_in: int = 300, key: Any = _KEY, subject: str = SUBJECT) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": subject, "aud": audience, "iat": now - 10,
              "exp": now + expires_in}
    return jwt.encode(claims, key, algorithm="RS256")


class Repo:
    def __init__(self, root: Path, emu: Emulator, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.emu, self.capsys, self.monkeypatch = root, emu, capsys, monkeypatch
        self.keys: list[str] = []

    def config(self, guid: str | None = None, extra: str = "") -> None:
        pin = f'guid = "{guid}"\n' if guid else ""
        (self.root / "connect.toml").write_text(textwrap.dedent("""\
            version = 1
            [apps.api]
            type = "fastapi"
            path = "api"
            entrypoint = "main:app"
            python = "3.11"
            """) + pin + extra)

    def cli(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-c", str(self.root / "connect.toml"), *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def ci_env(self, **extra: str) -> None:
        """A CI job: only the server and an identity token (or the Actions variables)."""
        for name in ("CONNECT_API_KEY", "CONNECT_IDENTITY_TOKEN", "CONNECT_IDENTITY_TOKEN_FILE",
                     "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
            self.monkeypatch.delenv(name, raising=False)
        self.monkeypatch.setenv("CONNECT_SERVER", self.emu.url)
        for name, value in extra.items():
            self.monkeypatch.setenv(name, value)
        shutil.rmtree(self.root / ".connect", ignore_errors=True)


@pytest.fixture
def repo(tmp_path: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Repo]:
    root = tmp_path / "repo"
    (root / "api").mkdir(parents=True)
    (root / "api" / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    (root / "api" / "requirements.txt").write_text("fastapi\n")
    r = Repo(root, emulator, capsys, monkeypatch)

    def recording(api_key: str, **kwargs: Any) -> Any:
        session = make_session(api_key, **kwargs)
        if isinstance(session.auth, KeyAuth) and api_key:
            r.keys.append(api_key)
        return session

    monkeypatch.setattr(connectfile.remote.target, "make_session", recording)
    # First deploy with the administrator's key, as a team would before trusting CI.
    r.config()
    monkeypatch.setenv("CONNECT_SERVER", emulator.url)
    monkeypatch.setenv("CONNECT_API_KEY", emulator.api_key)
    code, _, err = r.cli("apply", "--auto-approve")
    assert code == 0, err
    (content,) = emulator.state()["content"].values()
    r.config(content["guid"])
    emulator.trust_issuer(issuer=ISSUER, audience=emulator.url, public_key_pem=PUBLIC_PEM,
                          subject=SUBJECT, content_guids=[content["guid"]])
    (root / "api" / "main.py").write_text("# v2\nfrom fastapi import FastAPI\napp = FastAPI()\n")
    yield r


def bundle_of(repo: Repo) -> Any:
    (content,) = repo.emu.state()["content"].values()
    return content["bundle_id"]


def test_redeploys_a_pinned_app_with_only_server_and_identity_token(repo: Repo) -> None:
    before = bundle_of(repo)
    token = sign(repo.emu.url)
    repo.ci_env(CONNECT_IDENTITY_TOKEN=token)
    code, out, err = repo.cli("-v", "apply", "--auto-approve")
    assert code == 0, err
    assert "1 redeployed" in out and bundle_of(repo) != before
    minted = repo.keys[-1]
    assert minted != repo.emu.api_key
    code, out, err = repo.cli("-v", "plan", "--detailed-exitcode")
    assert code == 0 and "No changes." in out
    code, out, _ = repo.cli("validate", "--online")
    assert code == 0
    assert out.strip().endswith("accepts them, as a service principal (trusted publishing, "
                                "identity token from CONNECT_IDENTITY_TOKEN).")


def test_token_from_a_file(repo: Repo, tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(sign(repo.emu.url) + "\n")
    repo.ci_env(CONNECT_IDENTITY_TOKEN_FILE=str(path))
    assert repo.cli("apply", "--auto-approve")[0] == 0


class _Actions(http.server.BaseHTTPRequestHandler):
    expected_bearer = "runner-request-token"
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        ok = self.headers.get("Authorization") == f"Bearer {self.expected_bearer}"
        audience = query.get("audience", [""])[0]
        self.seen.append(audience)
        body = json.dumps({"value": sign(audience)} if ok else {"message": "no"}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def actions() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Actions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token?api-version=2.0"
    server.shutdown()


def test_github_actions_runner_token_with_the_server_as_audience(repo: Repo, actions: str) -> None:
    (repo.root / "connect.toml").write_text(
        f'version = 1\n[targets.prod]\nserver = "{repo.emu.url}"\nauth = "oidc"\n'
        + (repo.root / "connect.toml").read_text().removeprefix("version = 1\n"))
    repo.ci_env(ACTIONS_ID_TOKEN_REQUEST_URL=actions,
                ACTIONS_ID_TOKEN_REQUEST_TOKEN=_Actions.expected_bearer)
    code, _, err = repo.cli("apply", "--auto-approve")
    assert code == 0, err
    assert _Actions.seen[-1] == repo.emu.url


def bundle_guid(repo: Repo) -> str:
    (content,) = repo.emu.state()["content"].values()
    return str(content["guid"])


def test_wrong_audience(repo: Repo) -> None:
    repo.ci_env(CONNECT_IDENTITY_TOKEN=sign("https://elsewhere.example.com"))
    code, _, err = repo.cli("plan")
    assert code == 1
    assert err.strip() == (
        "error: target 'default': Connect granted no access for this identity token (no "
        f"access grant matches subject '{SUBJECT}' and audience "
        "'https://elsewhere.example.com'): check that trusted publishing is set up for the "
        "content and that the token's audience is the one Connect expects (`audience` of the "
        'target), or set auth = "key" and an API key')


def test_expired_token(repo: Repo) -> None:
    repo.ci_env(CONNECT_IDENTITY_TOKEN=sign(repo.emu.url, expires_in=-60))
    code, _, err = repo.cli("plan")
    assert code == 1
    assert err.strip() == (
        "error: target 'default': Connect could not verify the identity token (identity "
        "token verification failed: it has expired): check the clocks and Connect's OIDC "
        'issuer settings, or set auth = "key" and an API key')


def test_token_signed_by_another_key(repo: Repo) -> None:
    repo.ci_env(CONNECT_IDENTITY_TOKEN=sign(repo.emu.url, key=OTHER_KEY))
    code, _, err = repo.cli("plan")
    assert code == 1 and "could not verify the identity token" in err


def test_server_without_token_exchange(repo: Repo) -> None:
    repo.emu.set_token_exchange(False)
    repo.ci_env(CONNECT_IDENTITY_TOKEN=sign(repo.emu.url))
    code, _, err = repo.cli("plan")
    assert code == 1
    assert err.strip() == (
        f"error: target 'default': {repo.emu.url} does not support OIDC token exchange "
        '(trusted publishing): upgrade Connect, or set auth = "key" and an API key')


def test_an_app_without_pin_or_record_is_a_plan_error(repo: Repo) -> None:
    repo.config(None)
    repo.ci_env(CONNECT_IDENTITY_TOKEN=sign(repo.emu.url))
    code, _, err = repo.cli("plan")
    assert code == 1
    assert err.strip().endswith(
        "apps.api: trusted publishing (OIDC) deploys only to existing content, and this app "
        'has no `guid` pin and no deployment record: add guid = "<content GUID>" to '
        "[apps.api]")
    assert not err.startswith("error:") and "connect.toml:2: apps.api: " in err  # located
    assert len(repo.emu.state()["content"]) == 1


def test_a_settings_patch_the_principal_may_not_make_is_one_line(repo: Repo) -> None:
    repo.config(bundle_guid(repo), extra='title = "Sales API"\n')
    repo.ci_env(CONNECT_IDENTITY_TOKEN=sign(repo.emu.url))
    code, _, err = repo.cli("apply", "--auto-approve")
    assert code == 1
    assert ("api: Connect refused to change apps.api.title (HTTP 403, code 22): the service "
            "principal of trusted publishing may not change content settings; change them on "
            "Connect or apply once with an API key, then plan again") in err
    assert "Traceback" not in err


def test_neither_token_nor_minted_key_leaks(repo: Repo) -> None:
    token = sign(repo.emu.url)
    repo.ci_env(CONNECT_IDENTITY_TOKEN=token)
    plan_file = repo.root / "plan.json"
    seen = []
    for args in (["-v", "plan", "-o", str(plan_file), "--json"],
                 ["-v", "apply", str(plan_file), "--markdown", str(repo.root / "s.md")],
                 ["-v", "plan", "--detailed-exitcode"], ["-v", "validate", "--online"]):
        seen.extend(repo.cli(*args)[1:])
    minted = repo.keys[-1]
    files = [p for p in repo.root.rglob("*") if p.is_file()]
    files += [p for p in repo.emu.data_dir.rglob("*.json") if p.is_file()]
    seen.extend(p.read_text(errors="replace") for p in files)
    for text in seen:
        assert token not in text and minted not in text
        assert token.split(".")[2] not in text  # not even the signature
