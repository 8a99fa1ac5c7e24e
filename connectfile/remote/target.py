"""Open a target (key, TLS, local emulator) and read what Connect runs for each app."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from connectfile.config.model import (
    DEFAULT_API_KEY_ENV,
    DEFAULT_SERVER_ENV,
    IMPLICIT_TARGET,
    LOCAL_SERVER,
    App,
    Project,
    Target,
)
from connectfile.errors import ConnectApiError, UsageError
from connectfile.files.atomic import write_atomic
from connectfile.remote.client import ConnectClient, ServerUnreachable, make_session
from connectfile.remote.lookup import find_existing
from connectfile.remote.state import AppRecord, DeployedApp

DRAFTS_SINCE: Final = (2025, 6)


@dataclass(frozen=True, kw_only=True, slots=True)
class TargetSession:
    """An opened target: a client whose key has been checked, and what the server said."""

    target: Target
    client: ConnectClient
    server_url: str  # normalized: scheme://host[:port][/prefix], no trailing slash
    user_guid: str
    username: str
    server_version: str

    @property
    def record_server(self) -> str:
        """The server as deployment records name it.

        The embedded emulator listens on a new port every run, so its records say "local".
        """
        return LOCAL_SERVER if self.target.is_local else self.server_url

    @property
    def supports_drafts(self) -> bool:
        return version_tuple(self.server_version) >= DRAFTS_SINCE


def resolve_target(project: Project, name: str | None) -> Target:
    """`-t NAME`, else the only target, else the one marked default, else the implicit one."""
    targets = project.targets
    if name is not None:
        for t in targets:
            if t.name == name:
                return t
        if not targets and name == IMPLICIT_TARGET:
            return _implicit()
        known = ", ".join(t.name for t in targets) or f"only the implicit {IMPLICIT_TARGET!r}"
        raise UsageError(f"error: {project.source}: no target named {name!r} (targets: {known})")
    if not targets:
        return _implicit()
    if len(targets) == 1:
        return targets[0]
    defaults = [t for t in targets if t.default]
    if len(defaults) == 1:
        return defaults[0]
    names = ", ".join(t.name for t in targets)
    raise UsageError(
        f"error: {project.source}: several targets ({names}) and none has default = true; "
        "pass -t TARGET"
    )


def _implicit() -> Target:
    return Target(name=IMPLICIT_TARGET, server=None, api_key_env=DEFAULT_API_KEY_ENV)


def normalize_server_url(url: str) -> str:
    """`HTTPS://Host:443/connect/__api__/` -> `https://host:443/connect` (records compare these)."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"error: server {text!r} is not an http(s) URL (write it like https://connect.example.com)"
        )
    path = re.sub(r"/+$", "", parts.path)
    path = re.sub(r"/__api__$", "", path)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def version_tuple(version: str) -> tuple[int, ...]:
    """`2025.09.0-dev+1` -> (2025, 9, 0); unparseable -> ()."""
    numbers: list[int] = []
    for piece in re.split(r"[.]", version.split("-")[0].split("+")[0]):
        if not piece.isdigit():
            break
        numbers.append(int(piece))
    return tuple(numbers)


@contextmanager
def open_target(
    project: Project, target_name: str | None, *, environ: Mapping[str, str] | None = None
) -> Iterator[TargetSession]:
    """Resolve and open a target; a `local` target starts (and afterwards stops) the emulator."""
    env = os.environ if environ is None else environ
    target = resolve_target(project, target_name)
    if target.is_local:
        from connectfile.remote.local import start_local

        emulator = start_local(project.root)
        try:
            yield _connect(target, emulator.url, emulator.api_key, project.root)
        finally:
            emulator.stop()
        return
    server = target.server
    if server is None:
        server = env.get(DEFAULT_SERVER_ENV, "").strip()
        if not server:
            raise UsageError(
                f"error: no server for target {target.name!r}: set {DEFAULT_SERVER_ENV} "
                "or add a [targets] table to connect.toml"
            )
    api_key = env.get(target.api_key_env, "").strip()
    if not api_key:
        raise UsageError(
            f"error: target {target.name!r} needs an API key: set the environment variable "
            f"{target.api_key_env}"
        )
    yield _connect(target, server, api_key, project.root)


def _connect(target: Target, server: str, api_key: str, root: Path) -> TargetSession:
    url = normalize_server_url(server)
    ca_bundle = None if target.ca_bundle is None else root / target.ca_bundle
    if ca_bundle is not None and not ca_bundle.is_file():
        raise UsageError(
            f"error: target {target.name!r}: ca_bundle {target.ca_bundle!r} is not a file "
            "(it is relative to the directory holding connect.toml)"
        )
    session = make_session(api_key, ca_bundle=ca_bundle, insecure=target.insecure)
    client = ConnectClient(url, session=session)
    try:
        user = client.current_user()
    except ServerUnreachable as exc:
        raise UsageError(
            f"error: target {target.name!r}: {exc} (check its server URL and that Connect "
            "is reachable from here)"
        ) from None
    except ConnectApiError as exc:
        if exc.status != 401:
            raise
        raise UsageError(
            f"error: target {target.name!r}: Connect refused the API key in "
            f"{target.api_key_env} ({exc.message.rstrip('.')}): set it to a valid key "
            "for this server"
        ) from None
    _check_user(target, user)
    settings = client.server_settings()
    return TargetSession(
        target=target,
        client=client,
        server_url=url,
        user_guid=str(user["guid"]),
        username=str(user.get("username") or ""),
        server_version=str(settings.get("version") or ""),
    )


def _check_user(target: Target, user: Mapping[str, Any]) -> None:
    who = f"the API key of target {target.name!r} (user {user.get('username')!r})"
    if user.get("locked"):
        raise UsageError(f"error: {who} belongs to a locked account")
    if user.get("confirmed") is False:
        raise UsageError(f"error: {who} belongs to an account that is not confirmed")
    if user.get("user_role") == "viewer":
        raise UsageError(f"error: {who} has role 'viewer', which cannot publish content")


def read_deployed(
    client: ConnectClient,
    app: App,
    record: AppRecord | None,
    *,
    owner_guid: str,
    cache_dir: Path,
    read_env: bool = True,
    read_vanity: bool = True,
) -> DeployedApp | None:
    """What Connect runs for `app`: settings, env names, vanity URL and active manifest.

    `read_env` / `read_vanity` False skip those requests (left empty / None), for callers
    that know the answer would be ignored (planning asks connectfile.plans.diff).
    """
    content = find_existing(client, app, record, owner_guid=owner_guid)
    if content is None:
        return None
    guid = str(content["guid"])
    bundle_id = content.get("bundle_id")
    manifest = None
    if bundle_id is not None:
        manifest = cached_manifest(client, guid, str(bundle_id), cache_dir)
    return DeployedApp.from_api(
        content,
        env_names=client.get_env_names(guid) if read_env else frozenset(),
        manifest=manifest,
        vanity_url=client.get_vanity(guid) if read_vanity else None,
    )


def cached_manifest(
    client: ConnectClient, guid: str, bundle_id: str, cache_dir: Path
) -> dict[str, Any] | None:
    """A bundle's manifest.json; bundles never change, so one download per bundle id."""
    path = cache_dir / f"{guid}-{bundle_id}.json"
    try:
        cached = json.loads(path.read_text("utf-8"))
        if isinstance(cached, dict):
            return cached
    except (OSError, ValueError):
        pass
    manifest = client.download_bundle_manifest(guid, bundle_id)
    if manifest is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(manifest, sort_keys=True).encode("utf-8"))
    return manifest
