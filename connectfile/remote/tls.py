"""HTTP sessions whose TLS settings come from the target, never from the environment."""

from __future__ import annotations

import logging
import ssl
import warnings
from pathlib import Path
from typing import Any, Final, Literal

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from connectfile import __version__

log = logging.getLogger("connectfile")

SYSTEM: Final = "system"  # `ca_bundle = "system"`: the operating system's trust store
# Connections kept open per host; plan reads this many apps at once (requests keeps 10,
# and drops the connections of any further concurrent requests with a warning).
CONNECTIONS: Final = 32


class KeyAuth(AuthBase):
    """`Authorization: Key …`; its repr never shows the key."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Key {self._api_key}"
        return r

    def __repr__(self) -> str:
        return "KeyAuth(<hidden>)"


class _PinnedSession(requests.Session):
    """A Session whose `verify` REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE cannot replace.

    requests lets those variables override Session.verify on every request; a target that
    sets `ca_bundle` or `insecure` must win over them (they are set in most CI images).
    """

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        settings: Any = super().merge_environment_settings(url, proxies, stream, verify, cert)
        settings["verify"] = self.verify
        return settings


class _SystemTrustAdapter(HTTPAdapter):
    """Verifies servers against the OS trust store (truststore), not certifi's bundle."""

    def __init__(self) -> None:
        import truststore  # lazily: only targets with ca_bundle = "system" need it

        self._context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        super().__init__(pool_maxsize=CONNECTIONS)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> Any:
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        pool_kwargs: Any = pool
        pool_kwargs.pop("ca_certs", None)
        pool_kwargs.pop("ca_cert_dir", None)
        pool_kwargs["ssl_context"] = self._context
        return host, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # The base class would load certifi's bundle into the OS context; only the OS decides.
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None


def make_session(
    api_key: str,
    *,
    ca_bundle: str | Path | Literal["system"] | None = None,
    insecure: bool = False,
) -> requests.Session:
    """A Session that authenticates with `api_key` and verifies TLS unless told not to.

    With neither `ca_bundle` nor `insecure`, requests' usual rules apply (certifi, or
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE when set). Either setting pins verification.
    """
    pinned = insecure or ca_bundle is not None
    session: requests.Session = _PinnedSession() if pinned else requests.Session()
    for scheme in ("http://", "https://"):
        session.mount(scheme, HTTPAdapter(pool_maxsize=CONNECTIONS))
    session.auth = KeyAuth(api_key)
    session.headers["User-Agent"] = f"connectfile/{__version__}"
    session.headers["Accept"] = "application/json"
    if insecure:
        # Warned on every run, once, here; urllib3's per-request warning would only be noise.
        log.warning("TLS certificate verification is off for this target (insecure = true)")
        session.verify = False
        warnings.filterwarnings("ignore", message="Unverified HTTPS request")
    elif ca_bundle == SYSTEM:
        session.verify = True
        session.mount("https://", _SystemTrustAdapter())
    elif ca_bundle is not None:
        session.verify = str(ca_bundle)
    return session
