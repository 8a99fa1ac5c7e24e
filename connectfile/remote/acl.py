"""Connect's users, groups, permissions and tags calls (connect-api.md §10, §11) for the client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import requests


class GovernanceCalls:
    """Calls mixed into remote.client.ConnectClient, which supplies the one request path."""

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError  # ConnectClient._json

    def _send(self, method: str, path: str, *, api: bool = True, extra_read: float = 0.0,
              ok: Callable[[requests.Response], bool] | None = None,
              **kwargs: Any) -> requests.Response:
        raise NotImplementedError  # ConnectClient._send

    def search_principals(self, kind: str, prefix: str) -> list[dict[str, Any]]:
        """Users (`kind` "user") or groups whose names start with `prefix` (first 500)."""
        found = self._json("GET", f"/v1/{kind}s", params={"prefix": prefix, "page_size": 500})
        results = found.get("results") if isinstance(found, dict) else None
        return [r for r in results or () if isinstance(r, dict)]

    def get_principal(self, kind: str, guid: str) -> dict[str, Any] | None:
        path = f"/v1/{kind}s/{_seg(guid)}"
        response = self._send("GET", path, ok=lambda r: r.status_code == 404)
        if response.status_code == 404:
            return None
        return _object(response.json())

    def list_permissions(self, guid: str) -> list[dict[str, Any]]:
        found = self._json("GET", f"/v1/content/{_seg(guid)}/permissions")
        return [p for p in found or () if isinstance(p, dict)]

    def add_permission(self, guid: str, principal_guid: str, kind: str, role: str) -> None:
        body = {"principal_guid": principal_guid, "principal_type": kind, "role": role}
        self._json("POST", f"/v1/content/{_seg(guid)}/permissions", json=body)

    def update_permission(
        self, guid: str, permission_id: str, principal_guid: str, kind: str, role: str
    ) -> None:
        body = {"principal_guid": principal_guid, "principal_type": kind, "role": role}
        path = f"/v1/content/{_seg(guid)}/permissions/{_seg(permission_id)}"
        self._json("PUT", path, json=body)

    def delete_permission(self, guid: str, permission_id: str) -> None:
        """Remove one ACL entry; one already gone (404) is no error."""
        path = f"/v1/content/{_seg(guid)}/permissions/{_seg(permission_id)}"
        self._send("DELETE", path, ok=lambda r: r.status_code == 404).close()

    def list_tags(self) -> list[dict[str, Any]]:
        return [t for t in self._json("GET", "/v1/tags") or () if isinstance(t, dict)]

    def content_tags(self, guid: str) -> list[dict[str, Any]]:
        found = self._json("GET", f"/v1/content/{_seg(guid)}/tags")
        return [t for t in found or () if isinstance(t, dict)]

    def add_content_tag(self, guid: str, tag_id: str) -> None:
        self._json("POST", f"/v1/content/{_seg(guid)}/tags", json={"tag_id": tag_id})

    def remove_content_tag(self, guid: str, tag_id: str) -> None:
        path = f"/v1/content/{_seg(guid)}/tags/{_seg(tag_id)}"
        self._send("DELETE", path, ok=lambda r: r.status_code == 404).close()


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _seg(value: str) -> str:
    return quote(str(value), safe="")
