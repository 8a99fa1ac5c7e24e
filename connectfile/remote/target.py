"""Open a target (key, TLS, local emulator) and read what Connect runs for each app."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
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
from connectfile.errors import (
    ConnectApiError,
    CredentialsError,
    ServerUnreachableError,
    UsageError,
)
from connectfile.files.atomic import write_atomic
from connectfile.remote import retry
from connectfile.remote.client import ConnectClient, NotConnect, ServerUnreachable, make_session
from connectfile.remote.diagnose import Wire
from connectfile.remote.lookup import find_existing
from connectfile.remote.oidc import mint_key, uses_oidc
from connectfile.remote.state import AppRecord, DeployedApp
from connectfile.remote.tls import SYSTEM

log = logging.getLogger("connectfile")

DRAFTS_SINCE: Final = (2025, 6)
# What people paste instead of the server URL: the dashboard (/connect/, #/apps/...), the API
# root, a content URL. Everything from the first of these segments on is dropped, except that
# `/connect/connect/` keeps its first part: that is a server mounted under /connect.
_NOT_SERVER = re.compile(r"/(?:__api__|connect|content)(?!/connect(?:/|$))(?:/.*)?$")


@dataclass(frozen=True, kw_only=True, slots=True)
class TargetSession:
    """An opened target: a client whose key has been checked, and what the server said."""

    target: Target
    client: ConnectClient
    server_url: str  # normalized: scheme://host[:port][/prefix], no trailing slash
    user_guid: str
    username: str
    server_version: str
    # A `local` target's emulator data dir, relative to the project root.
    local_dir: Path | None = None
    # Trusted publishing minted a key for a service principal, not a user: it reaches
    # only content granted to it, by guid, and may not create content.
    principal: bool = False
    identity: str = ""  # who the key is, for `validate --online`

    @property
    def who(self) -> str:
        return self.identity or f"user {self.username!r}"

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
        raise UsageError(f"{project.source}: no target named {name!r} (targets: {known})")
    if not targets:
        return _implicit()
    if len(targets) == 1:
        return targets[0]
    defaults = [t for t in targets if t.default]
    if len(defaults) == 1:
        return defaults[0]
    names = ", ".join(t.name for t in targets)
    raise UsageError(
        f"{project.source}: several targets ({names}) and none has default = true; "
        "pass -t TARGET"
    )


def _implicit() -> Target:
    return Target(name=IMPLICIT_TARGET, server=None, api_key_env=DEFAULT_API_KEY_ENV)


def normalize_server_url(url: str) -> str:
    """`HTTPS://Host:443/rsconnect/connect/#/apps` -> `https://host:443/rsconnect`.

    Drops the query, the fragment, trailing slashes and a trailing dashboard, API or
    content path (records compare the result); `url_note` says when that changed more
    than spelling.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"server {text!r} is not an http(s) URL (write it like https://connect.example.com)"
        )
    path = re.sub(r"/+$", "", parts.path)
    path = re.sub(r"/+$", "", _NOT_SERVER.sub("", path, count=1))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def url_note(given: str, normalized: str) -> str | None:
    """A note for the user when `normalized` dropped a path, query or fragment of `given`."""
    parts = urlsplit(given.strip())
    if not parts.query and not parts.fragment and not _NOT_SERVER.search(parts.path.rstrip("/")):
        return None
    return (f"server {given.strip()!r} is a dashboard, API or content URL; using the server "
            f"URL {normalized} (write that in connect.toml to silence this note)")


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
    project: Project, target_name: str | None, *, environ: Mapping[str, str] | None = None,
    retries: int | None = None,
) -> Iterator[TargetSession]:
    """Resolve and open a target; a `local` target starts (and afterwards stops) the emulator.

    `retries` (else CONNECTFILE_RETRIES, else 3) bounds how often a request that failed in a
    transient way is sent again.
    """
    env = os.environ if environ is None else environ
    tries = retry.from_environment(retries, env)
    target = resolve_target(project, target_name)
    if target.is_local:
        from connectfile.remote.local import local_data_dir, start_local

        emulator = start_local(project.root, target.name)
        try:
            opened = _connect(target, emulator.url, emulator.api_key, project.root, tries)
            yield replace(opened, local_dir=local_data_dir(target.name))
        finally:
            emulator.stop()
        return
    server = target.server
    if server is None:
        server = env.get(DEFAULT_SERVER_ENV, "").strip()
        if not server:
            raise UsageError(
                f"no server for target {target.name!r}: set {DEFAULT_SERVER_ENV} "
                "or add a [targets] table to connect.toml"
            )
    if uses_oidc(target, env):
        url = normalize_server_url(server)
        plain = make_session("", ca_bundle=_ca_bundle(target, project.root),
                             insecure=target.insecure)
        plain.auth = None  # discovery and the exchange carry no key
        minted = mint_key(target, url, env, plain)
        yield _connect(target, server, minted.api_key, project.root, tries, oidc=minted.source)
        return
    api_key = env.get(target.api_key_env, "").strip()
    if not api_key:
        raise UsageError(
            f"target {target.name!r} needs an API key: set the environment variable "
            f"{target.api_key_env}"
        )
    yield _connect(target, server, api_key, project.root, tries)


def _connect(
    target: Target, server: str, api_key: str, root: Path, tries: tuple[int, float],
    *, oidc: str | None = None
) -> TargetSession:
    url = normalize_server_url(server)
    note = url_note(server, url)
    if note is not None:
        log.info("note: target %r: %s", target.name, note)
    session = make_session(api_key, ca_bundle=_ca_bundle(target, root), insecure=target.insecure)
    client = ConnectClient(url, session=session, retries=tries[0], deploy_settle=tries[1])
    try:
        user, settings = _whoami(client, oidc is not None)
    except ServerUnreachable as exc:
        raise ServerUnreachableError(f"target {target.name!r}: {exc} ({_fix(target, exc.kind)})") \
            from None
    except NotConnect as exc:
        raise _not_connect(target, url, f"{exc.method} {exc.path} {exc.message}") from None
    except ConnectApiError as exc:
        if exc.status != 401:
            raise
        raise CredentialsError(
            f"target {target.name!r}: Connect refused the API key in "
            f"{target.api_key_env} ({exc.message.rstrip('.')}): set it to a valid key "
            "for this server"
        ) from None
    if not isinstance(settings.get("version"), str):
        raise _not_connect(target, url, "GET /server_settings has no Connect version")
    if user is None:
        return TargetSession(
            target=target, client=client, server_url=url, user_guid="", username="",
            server_version=str(settings.get("version") or ""), principal=True,
            identity=f"a service principal (trusted publishing, identity token from {oidc})",
        )
    _check_user(target, user)
    return TargetSession(
        target=target,
        client=client,
        server_url=url,
        user_guid=str(user["guid"]),
        username=str(user.get("username") or ""),
        server_version=str(settings.get("version") or ""),
    )


def _whoami(
    client: ConnectClient, oidc: bool
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The key's user and the server settings, read together: one round trip, not two.

    The user's answer is looked at first, so its error (a refused key) is the one reported.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        settings = pool.submit(client.server_settings)
        user = _current_user(client, oidc)
        return user, settings.result()


def _ca_bundle(target: Target, root: Path) -> Path | str | None:
    if target.ca_bundle is None or target.ca_bundle == SYSTEM:
        return target.ca_bundle
    path = root / target.ca_bundle
    if not path.is_file():
        raise UsageError(
            f"target {target.name!r}: ca_bundle {target.ca_bundle!r} is not a file "
            "(it is relative to the directory holding connect.toml; "
            '"system" means the operating system\'s trust store)'
        )
    return path


def _fix(target: Target, kind: Wire) -> str:
    """What the user can do about a connection that failed in this way."""
    if kind is Wire.TLS_VERIFY:
        if target.ca_bundle == SYSTEM:
            return "the operating system's trust store does not trust the server's certificate"
        if target.ca_bundle is not None:
            return (f"ca_bundle {target.ca_bundle!r} does not hold the CA that signed the "
                    "server's certificate")
        return ("set ca_bundle to your CA's PEM file, or ca_bundle = \"system\" to use the "
                "operating system's trust store")
    if kind is Wire.NOT_TLS:
        return "write the server URL with http://, or fix the server's TLS set-up"
    return "check its server URL and that Connect is reachable from here"


def _not_connect(target: Target, url: str, what: str) -> ServerUnreachableError:
    return ServerUnreachableError(
        f"target {target.name!r}: {url} does not look like Posit Connect ({what}); "
        "check its server URL"
    )


def _current_user(client: ConnectClient, oidc: bool) -> dict[str, Any] | None:
    """GET /v1/user; None for a minted key's service principal, which has no user:
    Connect answers it 403 code 22 (connect-api.md §1.2)."""
    try:
        return client.current_user()
    except ConnectApiError as exc:
        if oidc and exc.status == 403 and exc.code == 22:
            return None
        raise


def _check_user(target: Target, user: Mapping[str, Any]) -> None:
    who = f"the API key of target {target.name!r} (user {user.get('username')!r})"
    if user.get("locked"):
        raise CredentialsError(f"{who} belongs to a locked account")
    if user.get("confirmed") is False:
        raise CredentialsError(f"{who} belongs to an account that is not confirmed")
    if user.get("user_role") == "viewer":
        raise CredentialsError(f"{who} has role 'viewer', which cannot publish content")


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
    path = _manifest_path(cache_dir, guid, bundle_id)
    try:
        cached = json.loads(path.read_text("utf-8"))
        if isinstance(cached, dict):
            return cached
        log.warning("ignoring the damaged manifest cache %s (it is downloaded again)", path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, RecursionError):
        log.warning("ignoring the damaged manifest cache %s (it is downloaded again)", path)
    manifest = client.download_bundle_manifest(guid, bundle_id)
    if manifest is not None:
        remember_manifest(cache_dir, guid, bundle_id, manifest)
    return manifest


def remember_manifest(
    cache_dir: Path, guid: str, bundle_id: str, manifest: Mapping[str, Any]
) -> None:
    """Cache the manifest of a bundle this run uploaded, so the next plan need not download it.

    Never fails: without the entry the next plan just downloads the manifest.
    """
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(_manifest_path(cache_dir, guid, bundle_id),
                     json.dumps(manifest, sort_keys=True).encode("utf-8"))
    except OSError as exc:
        log.debug("manifest cache not written: %s", exc)


def _manifest_path(cache_dir: Path, guid: str, bundle_id: str) -> Path:
    # The names come from the server: keep them to one plain file name inside the cache.
    path = cache_dir / re.sub(r"[^A-Za-z0-9_-]", "_", f"{guid}-{bundle_id}")[:200]
    return path.with_name(path.name + ".json")
