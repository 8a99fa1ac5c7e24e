"""What Connect runs for one app, as read from the API, and what we last deployed (pure values)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True, slots=True)
class DeployedApp:
    """A content item on Connect: its settings, env var names and active bundle's manifest."""

    guid: str
    name: str
    app_mode: str  # "unknown" until the first successful deploy
    bundle_id: str | None  # the active bundle, None before the first deploy
    content_url: str
    dashboard_url: str
    locked: bool = False
    settings: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)  # content JSON as returned
    env_names: frozenset[str] = frozenset()  # empty when not read (diff.needs_env_names)
    manifest: Mapping[str, Any] | None = None  # manifest.json of the active bundle
    vanity_url: str | None = None  # None when unset, or not read (diff.needs_vanity)

    @classmethod
    def from_api(
        cls,
        content: Mapping[str, Any],
        *,
        env_names: frozenset[str] = frozenset(),
        manifest: Mapping[str, Any] | None = None,
        vanity_url: str | None = None,
    ) -> DeployedApp:
        bundle = content.get("bundle_id")
        return cls(
            guid=str(content["guid"]),
            name=str(content.get("name") or ""),
            app_mode=str(content.get("app_mode") or "unknown"),
            bundle_id=None if bundle is None else str(bundle),
            content_url=str(content.get("content_url") or ""),
            dashboard_url=str(content.get("dashboard_url") or ""),
            locked=bool(content.get("locked", False)),
            settings=MappingProxyType(dict(content)),
            env_names=env_names,
            manifest=None if manifest is None else MappingProxyType(dict(manifest)),
            vanity_url=vanity_url,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class AppRecord:
    """One app's entry in `.connect/<target>.json`; never holds a secret or a key."""

    guid: str
    bundle_id: str | None = None
    manifest_digest: str | None = None  # sha256 of the manifest.json bytes last deployed
    env_digests: Mapping[str, str] = field(default_factory=dict)  # literal env name -> sha256
    secret_names: tuple[str, ...] = ()  # secret names last sent (values never stored)
    url: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class TargetRecord:
    """The whole deployment record of one target."""

    server: str  # normalized server URL
    apps: Mapping[str, AppRecord] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Principal:
    """A user or group on Connect, found for one `viewers`/`collaborators` entry."""

    guid: str
    kind: str  # "user" | "group"
    label: str  # as connect.toml writes it: "alice", "group:analysts"


@dataclass(frozen=True, kw_only=True, slots=True)
class Permission:
    """One entry of a content item's ACL; Connect's role `owner` is a collaborator."""

    id: str
    principal: Principal
    role: str  # "viewer" | "owner"


@dataclass(frozen=True, kw_only=True, slots=True)
class Tag:
    """A tag of Connect's tree, named by its path from the category ("Finance/Quarterly")."""

    id: str
    path: str
    parent_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Governance:
    """Who may view or edit a content item and its tags, as read for a plan.

    `permissions` / `tags` are None when connect.toml does not manage them (nothing was read).
    """

    owner_guid: str | None = None
    permissions: tuple[Permission, ...] | None = None
    tags: tuple[Tag, ...] | None = None
