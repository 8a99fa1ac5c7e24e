"""Timestamps and identifiers in Connect's formats (RFC 3339 UTC, UUIDs, 16-char task ids)."""

from __future__ import annotations

import secrets
import string
import time
import uuid
from datetime import datetime, timezone

_TASK_ALPHABET = string.ascii_letters + string.digits


def now() -> str:
    """The current time as Connect writes it, with nanoseconds: `2023-07-24T18:49:28.584906476Z`
    (rsconnect-python's recorded /v1/user), so clients that parse only whole seconds fail here
    as they would on Connect."""
    ns = time.time_ns()
    whole = datetime.fromtimestamp(ns // 1_000_000_000, timezone.utc)
    return f"{whole:%Y-%m-%dT%H:%M:%S}.{ns % 1_000_000_000:09d}Z"


def new_guid() -> str:
    return str(uuid.uuid4())


def new_task_id() -> str:
    return "".join(secrets.choice(_TASK_ALPHABET) for _ in range(16))


def new_api_key() -> str:
    # Connect's keys are 32 random alphanumerics.
    return "".join(secrets.choice(_TASK_ALPHABET) for _ in range(32))
