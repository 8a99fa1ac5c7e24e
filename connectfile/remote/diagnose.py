"""Name what went wrong on the wire in a few words: no connection, TLS, a dropped answer."""

from __future__ import annotations

import enum
from typing import Final

import requests
from urllib3.exceptions import NewConnectionError

# OpenSSL's words for a peer that answered a TLS hello with something that is not TLS.
_NOT_TLS: Final = (
    "wrong version number", "wrong_version_number", "record layer failure",
    "packet length too long", "unknown protocol", "http request",
)


class Wire(str, enum.Enum):
    """How a request failed without an HTTP answer."""

    NO_CONNECTION = "no connection"  # refused, DNS, connect timeout: nothing was sent
    NOT_TLS = "not tls"  # https:// URL, plain-HTTP server
    TLS_VERIFY = "tls verify"  # the certificate did not verify
    TIMEOUT = "timeout"  # sent, no answer in time
    DROPPED = "dropped"  # sent, connection closed before a whole answer

    @property
    def sent(self) -> bool:
        """Whether the server may have received (and acted on) the request."""
        return self in (Wire.TIMEOUT, Wire.DROPPED)

    @property
    def transient(self) -> bool:
        """Whether trying again may help (TLS problems are settings, not weather)."""
        return self not in (Wire.NOT_TLS, Wire.TLS_VERIFY)


def classify(exc: BaseException) -> Wire:
    """The Wire kind of a requests exception raised while sending or reading."""
    if isinstance(exc, requests.exceptions.SSLError):
        text = str(exc).lower()
        if any(marker in text for marker in _NOT_TLS):
            return Wire.NOT_TLS
        return Wire.TLS_VERIFY
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Wire.NO_CONNECTION
    if isinstance(exc, requests.Timeout):
        return Wire.TIMEOUT
    if isinstance(exc, requests.ConnectionError):
        reason = _reason(exc)
        # urllib3 wraps refused connections and failed DNS look-ups as NewConnectionError.
        if isinstance(reason, (NewConnectionError, ConnectionRefusedError)):
            return Wire.NO_CONNECTION
        return Wire.DROPPED
    return Wire.DROPPED  # ChunkedEncodingError and friends: the answer was cut off


def describe(kind: Wire) -> str:
    return {
        Wire.NO_CONNECTION: "could not connect to the server",
        Wire.NOT_TLS: "the server did not speak TLS (is the URL http:// rather than https://?)",
        Wire.TLS_VERIFY: "TLS certificate verification failed",
        Wire.TIMEOUT: "the request was sent, but the server did not answer in time",
        Wire.DROPPED: "the request was sent, but the connection was dropped before an answer",
    }[kind]


def _reason(exc: BaseException) -> object:
    """The innermost cause urllib3 recorded (MaxRetryError.reason, else the first arg)."""
    inner: object = exc.args[0] if exc.args else None
    for _ in range(4):
        nxt = getattr(inner, "reason", None)
        if nxt is None:
            break
        inner = nxt
    return inner


def is_html(response: requests.Response) -> bool:
    """Whether an answer is a web page rather than Connect's JSON (a proxy or a login page)."""
    kind = response.headers.get("Content-Type", "").lower()
    if "html" in kind:
        return True
    head = response.content[:200].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))
