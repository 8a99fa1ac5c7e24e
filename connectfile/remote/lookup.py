"""Which content on Connect is an app's (SPEC §5): pinned guid, else the record, else the name."""

from __future__ import annotations

from typing import Any, Protocol

from connectfile.config.model import App
from connectfile.errors import ConnectfileError
from connectfile.remote.state import AppRecord


class ContentReader(Protocol):
    """The two reads the rule needs; remote.client.ConnectClient satisfies it."""

    def get_content(self, guid: str) -> dict[str, Any] | None: ...
    def find_content(self, name: str, owner_guid: str) -> dict[str, Any] | None: ...


class PinnedContentMissing(ConnectfileError):
    """`apps.X.guid` names content the server does not have (never looked up by name then)."""

    def __init__(self, app: App) -> None:
        self.app_key = app.key
        self.guid = str(app.guid)
        super().__init__(
            f"apps.{app.key}.guid: no content with guid {app.guid} on this server "
            "(remove the pinned guid to find the app by name)"
        )


def find_existing(
    client: ContentReader, app: App, record: AppRecord | None, *, owner_guid: str
) -> dict[str, Any] | None:
    """The content JSON of `app`, or None when it has none yet.

    A pinned guid is final: when it is missing that is an error, not a reason to create.
    A record whose content was deleted since falls through to the name.
    """
    if app.guid is not None:
        content = client.get_content(app.guid)
        if content is None:
            raise PinnedContentMissing(app)
        return content
    if record is not None:
        content = client.get_content(record.guid)
        if content is not None:
            return content
    return client.find_content(app.name, owner_guid)
