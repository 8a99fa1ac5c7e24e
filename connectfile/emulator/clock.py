"""Timestamps and identifiers in Connect's formats (RFC 3339 UTC, UUIDs, 16-char task ids)."""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import datetime, timezone

_TASK_ALPHABET = string.ascii_letters + string.digits


def now() -> str:
    """The current time as Connect writes it: `2023-10-19T18:52:18Z`."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_guid() -> str:
    return str(uuid.uuid4())


def new_task_id() -> str:
    return "".join(secrets.choice(_TASK_ALPHABET) for _ in range(16))


def new_api_key() -> str:
    # Connect's keys are 32 random alphanumerics.
    return "".join(secrets.choice(_TASK_ALPHABET) for _ in range(32))
