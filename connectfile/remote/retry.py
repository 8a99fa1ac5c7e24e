"""When to send a request again and how long to wait first (jittered backoff, Retry-After)."""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Mapping
from typing import Final

import requests

from connectfile.errors import ConnectApiError, UsageError

RETRIES: Final = 3
RETRIES_ENV: Final = "CONNECTFILE_RETRIES"
SETTLE_ENV: Final = "CONNECTFILE_DEPLOY_SETTLE"
DEPLOY_SETTLE: Final = 15.0  # seconds a lost deploy answer is given to show on the content
RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
MAX_BACKOFF: Final = 30.0
MAX_RETRY_AFTER: Final = 120.0


def delay(attempt: int, backoff: float, response: requests.Response | None = None) -> float:
    """Seconds to wait before try `attempt + 2`: the server's Retry-After when it gave one
    (capped), else exponential backoff with jitter so parallel apps do not retry in step."""
    after = retry_after(response.headers) if response is not None else None
    if after is not None:
        return min(after, MAX_RETRY_AFTER)
    return min(MAX_BACKOFF, backoff * 2.0**attempt) * random.uniform(0.5, 1.5)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds, from either of its forms (delta-seconds or an HTTP date)."""
    value = headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def is_lost(exc: ConnectApiError) -> bool:
    """Whether a failed write may succeed if tried again: no answer, or a gateway's 5xx."""
    kind = getattr(exc, "kind", None)
    if kind is not None:
        return bool(kind.transient)
    return exc.status in RETRY_STATUSES


def from_environment(
    flag: int | None, environ: Mapping[str, str] | None = None
) -> tuple[int, float]:
    """(retries, deploy settle seconds): `--retries`, else CONNECTFILE_RETRIES, else 3."""
    env = os.environ if environ is None else environ
    retries = flag if flag is not None else int(_number(env, RETRIES_ENV, RETRIES))
    return retries, _number(env, SETTLE_ENV, DEPLOY_SETTLE)


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise UsageError(f"{name}={text!r} is not a number of at least 0")
    return value
