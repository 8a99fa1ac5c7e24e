"""Trusted publishing: an OIDC identity token exchanged for a short-lived Connect API key.

The exchange is RFC 8693 against the token endpoint Connect advertises in its RFC 8414
discovery document, as rsconnect-python 1.32 `login --identity-token` does. Neither the
identity token nor the minted key is ever logged, shown or written anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import requests

from connectfile.config.model import IMPLICIT_TARGET, Target
from connectfile.errors import UsageError

log = logging.getLogger("connectfile")

TOKEN_ENV: Final = "CONNECT_IDENTITY_TOKEN"
TOKEN_FILE_ENV: Final = "CONNECT_IDENTITY_TOKEN_FILE"
ACTIONS_URL_ENV: Final = "ACTIONS_ID_TOKEN_REQUEST_URL"
ACTIONS_TOKEN_ENV: Final = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
DISCOVERY: Final = "/.well-known/oauth-authorization-server"
TOKEN_EXCHANGE: Final = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN: Final = "urn:ietf:params:oauth:token-type:id_token"
ACCESS_TOKEN: Final = "urn:ietf:params:oauth:token-type:access_token"
TIMEOUT: Final = (10.0, 30.0)
_FALLBACK = 'or set auth = "key" and an API key'


@dataclass(frozen=True, kw_only=True, slots=True)
class Minted:
    """A key minted for this run, and where its identity token came from (for messages)."""

    api_key: str
    source: str  # CONNECT_IDENTITY_TOKEN, CONNECT_IDENTITY_TOKEN_FILE or "GitHub Actions"

    def __repr__(self) -> str:
        return f"Minted(<hidden>, source={self.source!r})"


def uses_oidc(target: Target, environ: Mapping[str, str]) -> bool:
    """`auth = "oidc"`, or the implicit target with an identity token and no API key."""
    if target.auth == "oidc":
        return True
    if target.name != IMPLICIT_TARGET or target.server is not None:
        return False
    has_token = bool(environ.get(TOKEN_ENV, "").strip() or environ.get(TOKEN_FILE_ENV, "").strip())
    return has_token and not environ.get(target.api_key_env, "").strip()


def mint_key(
    target: Target, server_url: str, environ: Mapping[str, str], session: requests.Session
) -> Minted:
    """Get an identity token and exchange it with Connect for an API key."""
    audience = target.audience or server_url
    token, source = identity_token(target, environ, audience, session)
    return Minted(api_key=exchange(target, server_url, token, session), source=source)


def identity_token(
    target: Target, environ: Mapping[str, str], audience: str, session: requests.Session
) -> tuple[str, str]:
    """The token from CONNECT_IDENTITY_TOKEN(_FILE), else from the GitHub Actions runner."""
    token = environ.get(TOKEN_ENV, "").strip()
    if token:
        return token, TOKEN_ENV
    file = environ.get(TOKEN_FILE_ENV, "").strip()
    if file:
        try:
            token = Path(file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"target {target.name!r}: {TOKEN_FILE_ENV}={file}: cannot read "
                             f"the identity token ({getattr(exc, 'strerror', None) or exc})") \
                from None
        if not token:
            raise UsageError(f"target {target.name!r}: {TOKEN_FILE_ENV}={file} is empty")
        return token, TOKEN_FILE_ENV
    url, bearer = environ.get(ACTIONS_URL_ENV, ""), environ.get(ACTIONS_TOKEN_ENV, "")
    if url and bearer:
        return _actions_token(target, url, bearer, audience, session), "GitHub Actions"
    raise UsageError(
        f"target {target.name!r} uses trusted publishing (OIDC) but has no identity token: "
        f"set {TOKEN_ENV} or {TOKEN_FILE_ENV}, or on GitHub Actions give the job "
        "`permissions: id-token: write`"
    )


def _actions_token(
    target: Target, url: str, bearer: str, audience: str, session: requests.Session
) -> str:
    try:
        response = session.get(url, params={"audience": audience}, timeout=TIMEOUT,
                               headers={"Authorization": f"Bearer {bearer}"})
    except requests.RequestException as exc:
        raise UsageError(f"target {target.name!r}: the GitHub Actions token service did not "
                         f"answer ({type(exc).__name__})") from None
    value = _body(response).get("value")
    if not response.ok or not isinstance(value, str) or not value:
        raise UsageError(
            f"target {target.name!r}: the GitHub Actions token service answered HTTP "
            f"{response.status_code} without a token (does the job have "
            "`permissions: id-token: write`?)"
        )
    return value


def exchange(target: Target, server_url: str, token: str, session: requests.Session) -> str:
    """Discovery, then the RFC 8693 exchange; every refusal is one actionable line."""
    who = f"target {target.name!r}"
    metadata = _get(session, server_url + DISCOVERY, who)
    if metadata is None:
        raise UsageError(f"{who}: {server_url} does not offer OIDC token exchange (no OAuth "
                         f"discovery document at {DISCOVERY}): upgrade Connect, {_FALLBACK}")
    grants = metadata.get("grant_types_supported")
    endpoint = metadata.get("token_endpoint")
    if not isinstance(endpoint, str) or (isinstance(grants, list) and TOKEN_EXCHANGE not in grants):
        raise UsageError(f"{who}: {server_url} does not support OIDC token exchange "
                         f"(trusted publishing): upgrade Connect, {_FALLBACK}")
    form = {"grant_type": TOKEN_EXCHANGE, "subject_token_type": ID_TOKEN,
            "requested_token_type": ACCESS_TOKEN, "subject_token": token}
    try:
        response = session.post(endpoint, data=form, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise UsageError(f"{who}: the token exchange at {endpoint} failed "
                         f"({type(exc).__name__})") from None
    data = _body(response)
    key = data.get("access_token")
    if response.ok and isinstance(key, str) and key:
        return key
    raise UsageError(f"{who}: {_refusal(response.status_code, data)}")


def _refusal(status: int, data: Mapping[str, Any]) -> str:
    error = str(data.get("error") or "")
    description = str(data.get("error_description") or "")
    if status == 400 and error == "invalid_grant":
        lowered = description.lower()
        if "ambiguous" in lowered:
            return (f"the identity token matches more than one service principal on Connect "
                    f"({description}): remove the duplicate access grants, {_FALLBACK}")
        if "verif" in lowered:
            return (f"Connect could not verify the identity token ({description}): check the "
                    f"clocks and Connect's OIDC issuer settings, {_FALLBACK}")
        return (f"Connect granted no access for this identity token ({description or 'no match'})"
                f": check that trusted publishing is set up for the content and that the "
                f"token's audience is the one Connect expects (`audience` of the target), "
                f"{_FALLBACK}")
    detail = ": ".join(p for p in (error, description) if p)
    return f"the OIDC token exchange failed (HTTP {status}{f', {detail}' if detail else ''})"


def _get(session: requests.Session, url: str, who: str) -> dict[str, Any] | None:
    try:
        response = session.get(url, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise UsageError(f"{who}: {url} did not answer ({type(exc).__name__})") from None
    if response.status_code == 404:
        return None
    body = _body(response)
    return body if response.ok and body else None


def _body(response: requests.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
