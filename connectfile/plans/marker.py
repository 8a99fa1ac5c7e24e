"""The env marker: a variable whose *name* carries a digest of an app's literal env values.

Connect never returns env values, so without a local record nothing proves a literal value
unchanged. The one thing every Connect version lets a client write and read back per content
item is a variable's name; apply keeps the digest of the literal values it set there, the way
`kubectl apply` keeps its last-applied configuration on the object. Secret values never enter
the digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

PREFIX: Final = "CONNECTFILE_ENV_"
# What the marker variable holds; Connect needs some value, the name is what counts.
VALUE: Final = "set by connectfile: its name is a digest of connect.toml's literal env values"
_DIGEST_CHARS: Final = 32  # 128 bits of sha256, upper-case hex (a valid env var name)
_SALT: Final = "connectfile-env-marker-v1\n"


@dataclass(frozen=True, kw_only=True, slots=True)
class MarkerChange:
    """The marker apply writes with an app's other changes (never a user-facing change)."""

    set: str | None = None  # the marker to write, None when the server has it already
    remove: tuple[str, ...] = ()  # markers of earlier values, deleted at the same time


def marker_name(env: Mapping[str, str]) -> str | None:
    """The marker for these literal values, or None when the app sets none."""
    if not env:
        return None
    text = _SALT + json.dumps(sorted(env.items()), ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]
    return PREFIX + digest.upper()


def is_marker(name: str) -> bool:
    return name.startswith(PREFIX)


def markers(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n for n in names if is_marker(n))


def marker_change(env: Mapping[str, str], on_server: Iterable[str]) -> MarkerChange | None:
    """What apply must do so the server's marker names exactly `env`; None when nothing."""
    wanted = marker_name(env)
    present = markers(on_server)
    stale = tuple(sorted(present - {wanted} if wanted else present))
    to_set = wanted if wanted is not None and wanted not in present else None
    if to_set is None and not stale:
        return None
    return MarkerChange(set=to_set, remove=stale)
