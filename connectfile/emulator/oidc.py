"""Trusted publishing: OAuth discovery and the RFC 8693 exchange of an OIDC identity token
for a short-lived API key of a service principal granted existing content.

Connect's side is known only through its clients (rsconnect-python 1.32 oauth.py:
discovery at /.well-known/oauth-authorization-server, `token_endpoint`,
`grant_types_supported`, form-encoded exchange, `invalid_grant` with a description).
The token endpoint's path, the descriptions and the principal's rights are guesses.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from connectfile.emulator import clock, users
from connectfile.emulator.context import Ctx, json_response
from connectfile.emulator.store import State

TOKEN_PATH = "/__api__/v1/oauth/token"  # [guess]
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"


def trust(state: State, *, issuer: str, audience: str, public_key_pem: str, subject: str,
          content_guids: list[str]) -> None:
    """Accept RS256 tokens of `issuer` for `audience` and `subject`, granting that content."""
    oidc = state.setdefault("oidc", {"exchange": True, "grants": []})
    oidc["grants"].append({"issuer": issuer, "audience": audience, "key": public_key_pem,
                           "subject": subject, "content": list(content_guids)})


def set_exchange(state: State, enabled: bool) -> None:
    state.setdefault("oidc", {"exchange": True, "grants": []})["exchange"] = enabled


def discovery(ctx: Ctx) -> Response:
    with ctx.store.read() as state:
        enabled = state.get("oidc", {}).get("exchange", True)
    grants = ["authorization_code", "refresh_token"] + ([TOKEN_EXCHANGE] if enabled else [])
    return json_response({
        "issuer": ctx.base_url,
        "token_endpoint": ctx.base_url + TOKEN_PATH,
        "grant_types_supported": grants,
    })


def token(ctx: Ctx) -> Response:
    form = ctx.request.form
    with ctx.store.read() as state:
        oidc = state.get("oidc", {"exchange": True, "grants": []})
    if not oidc.get("exchange", True) or form.get("grant_type") != TOKEN_EXCHANGE:
        return _error("unsupported_grant_type", "only token exchange is offered here")
    if form.get("subject_token_type") != ID_TOKEN or \
            form.get("requested_token_type", ACCESS_TOKEN) != ACCESS_TOKEN:
        return _error("invalid_request", "subject_token_type must be an id_token")
    grant = _verify(str(form.get("subject_token") or ""), oidc["grants"])
    if isinstance(grant, Response):
        return grant
    key = clock.new_api_key()
    with ctx.store.mutate() as state:
        _add_principal(state, grant, key)
    return json_response({"access_token": key, "issued_token_type": ACCESS_TOKEN,
                          "token_type": "Key", "expires_in": 3600})


def _verify(raw: str, grants: list[dict[str, Any]]) -> dict[str, Any] | Response:
    import jwt  # PyJWT; only the token route needs it

    try:
        claims = jwt.decode(raw, options={"verify_signature": False})
    except jwt.PyJWTError:
        return _error("invalid_grant", "identity token verification failed: not a JWT")
    audience = claims.get("aud")
    issued_by = [g for g in grants if g["issuer"] == claims.get("iss")]
    if not issued_by:
        return _error("invalid_grant", f"identity token verification failed: issuer "
                      f"{claims.get('iss')!r} is not trusted")
    for grant in issued_by:
        try:
            jwt.decode(raw, grant["key"], algorithms=["RS256"], issuer=grant["issuer"],
                       options={"verify_aud": False, "require": ["exp", "iss", "sub"]})
        except jwt.ExpiredSignatureError:
            return _error("invalid_grant", "identity token verification failed: it has expired")
        except jwt.PyJWTError as exc:
            return _error("invalid_grant", f"identity token verification failed: {exc}")
        audiences = audience if isinstance(audience, list) else [audience]
        if grant["audience"] in audiences and grant["subject"] == claims.get("sub"):
            return grant
    return _error("invalid_grant", f"no access grant matches subject {claims.get('sub')!r} "
                  f"and audience {audience!r}")


def _add_principal(state: State, grant: dict[str, Any], key: str) -> None:
    stamp = clock.now()
    principal = {"guid": clock.new_guid(), "username": f"principal-{grant['subject']}",
                 "email": "", "first_name": "", "last_name": "", "user_role": "publisher",
                 "created_time": stamp, "updated_time": stamp, "active_time": None,
                 "confirmed": True, "locked": False, "key_hashes": [users.key_hash(key)],
                 "principal": True, "granted": list(grant["content"])}
    state["users"][principal["guid"]] = principal


def _error(error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status=400)
