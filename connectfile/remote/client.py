"""HTTP edge: one requests.Session per target, typed calls to Connect's `/__api__`."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import requests

from connectfile.errors import ConnectApiError
from connectfile.files.meter import Meter, MeteredReader
from connectfile.remote.acl import GovernanceCalls
from connectfile.remote.diagnose import Wire, classify, describe, is_html
from connectfile.remote.multipart import upload_body
from connectfile.remote.retry import DEPLOY_SETTLE, RETRIES, RETRY_STATUSES, delay, is_lost
from connectfile.remote.tls import make_session

__all__ = ["ConnectClient", "NotConnect", "ServerUnreachable", "make_session"]

log = logging.getLogger("connectfile")

CONNECT_TIMEOUT: Final = 10.0
READ_TIMEOUT: Final = 60.0
IDEMPOTENT: Final = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
MANIFEST_NAMES: Final = frozenset({"manifest.json", "./manifest.json"})
MAX_MANIFEST_BYTES: Final = 16 * 1024 * 1024


class ConnectClient(GovernanceCalls):
    """Typed calls to one Connect server; every Connect error becomes ConnectApiError."""

    def __init__(
        self,
        server_url: str,
        *,
        session: requests.Session,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        retries: int = RETRIES,
        backoff: float = 0.5,
        deploy_settle: float = DEPLOY_SETTLE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.session = session
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.retries = retries
        self.backoff = backoff
        self.deploy_settle = deploy_settle
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"ConnectClient({self.server_url!r})"

    # -- the one request path -------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        api: bool = True,
        extra_read: float = 0.0,
        ok: Callable[[requests.Response], bool] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request, retrying reads and idempotent writes on 502/503/504 and
        connection failures; return a 2xx response (or one `ok` accepts)."""
        url = f"{self.server_url}/__api__{path}" if api else f"{self.server_url}{path}"
        timeout = (self.connect_timeout, self.read_timeout + extra_read)
        attempts = 1 + self.retries
        for attempt in range(attempts):
            last = attempt == attempts - 1
            response = None
            try:
                response = self.session.request(method, url, timeout=timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                kind = classify(exc)
                # A request that never reached the server may be sent again whatever its
                # method; one that may have arrived is sent again only if idempotent.
                again = kind.transient and (method in IDEMPOTENT or not kind.sent)
                if last or not again:
                    raise ServerUnreachable(method=method, url=url, kind=kind) from None
                log.debug("%s %s: %s; retrying", method, path, kind.value)
            else:
                if response.status_code in RETRY_STATUSES and not last and method in IDEMPOTENT:
                    log.debug("%s %s: HTTP %d; retrying", method, path, response.status_code)
                    response.close()
                elif response.ok or (ok is not None and ok(response)):
                    return response
                else:
                    raise api_error(method, path, response)
            self._sleep(delay(attempt, self.backoff, response))
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            what = "a web page" if is_html(response) else "something that is not JSON"
            raise NotConnect(
                method=method, path=path, status=response.status_code, code=None,
                message=f"the server answered with {what}, not Connect's API",
            ) from None

    # -- server and user ------------------------------------------------------------------

    def current_user(self) -> dict[str, Any]:
        return _obj(self._json("GET", "/v1/user"))

    def server_settings(self) -> dict[str, Any]:
        return _obj(self._json("GET", "/server_settings"))

    def python_settings(self) -> dict[str, Any]:
        return _obj(self._json("GET", "/v1/server_settings/python"))

    # -- content ---------------------------------------------------------------------------

    def get_content(self, guid: str) -> dict[str, Any] | None:
        """The content item, or None when Connect says it does not exist (404)."""
        path = f"/v1/content/{_seg(guid)}"
        response = self._send("GET", path, ok=lambda r: r.status_code == 404)
        if response.status_code == 404:
            return None
        return _obj(response.json())

    def find_content(self, name: str, owner_guid: str) -> dict[str, Any] | None:
        items = self._json("GET", "/v1/content", params={"name": name, "owner_guid": owner_guid})
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and item.get("name") == name:
                return item
        return None

    def create_content(self, fields: Mapping[str, Any], *, owner_guid: str) -> dict[str, Any]:
        """POST the new item. A create whose answer was lost is looked up by name before it
        is sent again, so one app never gets two content items (SPEC §7)."""
        name = str(fields.get("name") or "")
        for attempt in range(1 + self.retries):
            try:
                return _obj(self._json("POST", "/v1/content", json=dict(fields)))
            except ConnectApiError as exc:
                if not is_lost(exc) or attempt == self.retries or not name:
                    raise
                log.debug("POST /v1/content: %s; looking %r up before retrying", exc, name)
            self._sleep(delay(attempt, self.backoff))
            found = self.find_content(name, owner_guid)
            if found is not None:
                return found
        raise AssertionError("unreachable")

    def patch_content(self, guid: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return _obj(self._json("PATCH", f"/v1/content/{_seg(guid)}", json=dict(fields)))

    def delete_content(self, guid: str) -> bool:
        """DELETE the item (bundles, env, ACL go with it); False when it was already gone."""
        path = f"/v1/content/{_seg(guid)}"
        response = self._send("DELETE", path, ok=lambda r: r.status_code == 404)
        response.close()
        return response.status_code != 404

    # -- environment -----------------------------------------------------------------------

    def get_env_names(self, guid: str) -> frozenset[str]:
        names = self._json("GET", f"/v1/content/{_seg(guid)}/environment")
        return frozenset(str(n) for n in names or ())

    def patch_env(self, guid: str, values: Mapping[str, str | None]) -> None:
        """Upsert the given variables; None deletes one. Values never reach a log line."""
        body = [{"name": k, "value": v} for k, v in sorted(values.items())]
        self._json("PATCH", f"/v1/content/{_seg(guid)}/environment", json=body)

    # -- bundles, deploys, tasks -----------------------------------------------------------

    def upload_bundle(self, guid: str, path: Path, md5_hex: str,
                      meter: Meter | None = None, *,
                      metadata: Mapping[str, str] | None = None) -> str:
        """Stream the tar.gz at `path` (telling `meter` the bytes sent), as multipart with a
        `metadata` field when given (Connect 2025.12+); return the new bundle id. A lost
        answer is looked for among the content's bundles (by MD5) before a resend."""
        checksum = base64.b64encode(bytes.fromhex(md5_hex)).decode("ascii")
        headers = {"Content-Type": "application/gzip", "Content-Length": str(path.stat().st_size),
                   "X-Content-Checksum": checksum}
        url = f"/v1/content/{_seg(guid)}/bundles"
        for attempt in range(1 + self.retries):
            try:
                with path.open("rb") as file:
                    # The meter wraps the whole body: an encoder must see the file itself.
                    data, sent = upload_body(file, headers, metadata)
                    length = int(sent["Content-Length"])
                    body = data if meter is None else MeteredReader(data, length, meter)
                    return str(_obj(self._json("POST", url, data=body, headers=sent))["id"])
            except ConnectApiError as exc:
                if not is_lost(exc) or attempt == self.retries:
                    raise
                log.debug("POST %s: %s; looking for the bundle before retrying", url, exc)
            self._sleep(delay(attempt, self.backoff))
            found = self._bundle_with_md5(guid, md5_hex)
            if found is not None:
                return found
        raise AssertionError("unreachable")

    def _bundle_with_md5(self, guid: str, md5_hex: str) -> str | None:
        bundles: Any = self._json("GET", f"/v1/content/{_seg(guid)}/bundles")
        for bundle in reversed(bundles if isinstance(bundles, list) else []):
            metadata: Any = bundle.get("metadata") if isinstance(bundle, dict) else None
            if isinstance(metadata, dict) and metadata.get("archive_md5") == md5_hex:
                return str(bundle["id"])
        return None

    def bundle_source(self, guid: str, bundle_id: str) -> dict[str, Any]:
        """The `metadata` of a bundle (source, source_commit, ... on Connect 2025.12+)."""
        path = f"/v1/content/{_seg(guid)}/bundles/{_seg(bundle_id)}"
        response = self._send("GET", path, ok=lambda r: r.status_code == 404)
        metadata = {} if response.status_code == 404 else _obj(response.json()).get("metadata")
        return metadata if isinstance(metadata, dict) else {}

    def deploy(self, guid: str, bundle_id: str, *, activate: bool = True) -> str | None:
        """Start deploying `bundle_id`; return the task id. `activate` is sent only when
        false, because servers older than 2025.06 reject the unknown field.

        A deploy whose answer was lost is never simply sent again: the content is read
        until its active bundle is this one (for a draft, `activate=False`: until the bundle
        says which Python it was built with, connect-api.md §5.2), and None is returned
        (deployed, no task to follow); if `deploy_settle` seconds pass without that, the
        first deploy never started and it is sent again.
        """
        body: dict[str, Any] = {"bundle_id": bundle_id}
        if not activate:
            body["activate"] = False
        url = f"/v1/content/{_seg(guid)}/deploy"
        for attempt in range(1 + self.retries):
            try:
                return str(_obj(self._json("POST", url, json=body))["task_id"])
            except ConnectApiError as exc:
                if not is_lost(exc) or attempt == self.retries:
                    raise
                # Not sent at all, or Connect's own error body (a 503 while it starts up):
                # no deploy began. A gateway's 5xx or a dropped answer may hide one that did.
                if isinstance(exc, ServerUnreachable):
                    maybe_started = exc.kind.sent
                else:
                    maybe_started = exc.code is None
                log.debug("POST %s: %s; reading the content before retrying", url, exc)
            if not maybe_started:
                self._sleep(delay(attempt, self.backoff))
            elif self._settled_on(guid, bundle_id, activate):
                return None
        raise AssertionError("unreachable")

    def _settled_on(self, guid: str, bundle_id: str, activate: bool) -> bool:
        """Whether the content's active bundle becomes `bundle_id` within deploy_settle s."""
        deadline = time.monotonic() + self.deploy_settle
        while True:
            if activate:
                content = self.get_content(guid)
                if content is not None and str(content.get("bundle_id")) == bundle_id:
                    return True
            else:
                path = f"/v1/content/{_seg(guid)}/bundles/{_seg(bundle_id)}"
                if _obj(self._json("GET", path)).get("py_version") is not None:
                    return True
            if time.monotonic() >= deadline:
                return False
            self._sleep(min(1.0, self.deploy_settle))

    def get_task(self, task_id: str, *, first: int = 0, wait: int = 0) -> dict[str, Any]:
        return _obj(self._json(
            "GET", f"/v1/tasks/{_seg(task_id)}", params={"first": first, "wait": wait},
            extra_read=float(wait),
        ))

    def download_bundle_manifest(self, guid: str, bundle_id: str) -> dict[str, Any] | None:
        """manifest.json of a bundle, read from the download stream, which is closed as soon
        as the manifest has been read; None when the bundle has none."""
        import tarfile  # only when a manifest is not cached yet

        path = f"/v1/content/{_seg(guid)}/bundles/{_seg(bundle_id)}/download"
        with self._streamed("GET", path) as response:
            response.raw.decode_content = True
            try:
                with tarfile.open(fileobj=response.raw, mode="r|gz") as archive:
                    for member in archive:
                        if member.name in MANIFEST_NAMES and member.isfile():
                            if member.size > MAX_MANIFEST_BYTES:
                                return None
                            data = archive.extractfile(member)
                            return None if data is None else _obj(json.load(data))
            except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
                log.debug("%s: cannot read the bundle: %s", path, exc)
        return None

    @contextmanager
    def _streamed(self, method: str, path: str) -> Iterator[requests.Response]:
        response = self._send(method, path, stream=True)
        try:
            yield response
        finally:
            response.close()

    # -- vanity URLs and plain URLs ---------------------------------------------------------

    def get_vanity(self, guid: str) -> str | None:
        path = f"/v1/content/{_seg(guid)}/vanity"
        response = self._send("GET", path, ok=lambda r: r.status_code == 404)
        if response.status_code == 404:
            return None
        return str(_obj(response.json()).get("path") or "") or None

    def list_vanities(self) -> dict[str, str] | None:
        """Every vanity path and its content guid; None when this key may not list them
        (GET /v1/vanities is for administrators, connect-api.md §9)."""
        response = self._send("GET", "/v1/vanities", ok=lambda r: r.status_code in (403, 404))
        if response.status_code in (403, 404):
            return None
        items = response.json()
        return {str(v.get("path")): str(v.get("content_guid")) for v in items
                if isinstance(v, dict) and v.get("path")} if isinstance(items, list) else None

    def set_vanity(self, guid: str, vanity_path: str) -> str:
        body = {"path": vanity_path, "force": False}
        answer = _obj(self._json("PUT", f"/v1/content/{_seg(guid)}/vanity", json=body))
        return str(answer.get("path") or vanity_path)

    def get_url(self, path: str) -> int:
        """GET a server path outside the API (a content or draft URL); return the status."""
        response = self._send("GET", path, api=False, ok=lambda r: True, allow_redirects=True)
        response.close()
        return response.status_code


def api_error(method: str, path: str, response: requests.Response) -> ConnectApiError:
    """Connect's `{code, error, payload}` body as one exception (plain text bodies too)."""
    if is_html(response):
        response.close()
        return NotConnect(
            method=method, path=path, status=response.status_code, code=None,
            message="the server answered with a web page, not Connect's API",
        )
    code: int | None = None
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        raw_code = body.get("code")
        code = raw_code if isinstance(raw_code, int) else None
        message = str(body.get("error") or "")
    if not message:
        text = response.text.strip() if response.text else ""
        message = text[:200] if text and len(text) < 1000 else (response.reason or "")
    response.close()
    return ConnectApiError(
        method=method, path=path, status=response.status_code, code=code,
        message=message or f"HTTP {response.status_code}",
    )


class ServerUnreachable(ConnectApiError):
    """No HTTP answer at all (no connection, TLS failure, timeout, dropped); status is 0."""

    def __init__(self, *, method: str, url: str, kind: Wire) -> None:
        url = url.split("?")[0]
        super().__init__(method=method, path=url, status=0, code=None, message=describe(kind))
        self.kind = kind
        self.args = (f"{method} {url}: {self.message}",)

    def __str__(self) -> str:
        return str(self.args[0])


class NotConnect(ConnectApiError):
    """The server answered, but not like Connect (a web page, or JSON of another shape)."""


def _obj(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConnectApiError(
            method="", path="", status=200, code=None,
            message=f"expected a JSON object from Connect, got {type(value).__name__}",
        )
    return value


def _seg(value: str) -> str:
    return quote(str(value), safe="")



