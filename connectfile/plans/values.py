"""What apply will change on Connect, per app (pure values; the diff lives in diff.py)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from connectfile.plans.marker import MarkerChange

FORMAT_VERSION = 1


class Action(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"  # settings and/or env only, no new bundle
    REDEPLOY = "redeploy"  # a new bundle (and maybe settings/env too)
    NOOP = "no-op"
    REFUSED = "refused"  # cannot be done (e.g. a type change on existing content)
    DESTROY = "destroy"  # the content item is deleted (`destroy`, or `prune = true`)


@dataclass(frozen=True, kw_only=True, slots=True)
class SettingChange:
    key: str  # Connect field name (title, access_type, max_processes, ...)
    before: Any  # None when creating
    after: Any


@dataclass(frozen=True, kw_only=True, slots=True)
class EnvChanges:
    added: tuple[str, ...] = ()  # names new on the server (literals and secrets)
    removed: tuple[str, ...] = ()  # names we managed before and the config dropped
    changed: tuple[str, ...] = ()  # literal values whose digest moved
    secrets: tuple[str, ...] = ()  # secret names whose values will be sent
    # `changed` lists every literal on the server because the env marker moved and no
    # record says which value did (plans/marker.py).
    unsure: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.secrets)


@dataclass(frozen=True, kw_only=True, slots=True)
class FileChanges:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.modified)


@dataclass(frozen=True, kw_only=True, slots=True)
class Grant:
    """One permission apply adds or removes; a role change is a removal plus an addition
    that share `permission_id`."""

    role: str  # "viewer" | "collaborator"
    principal: str  # as connect.toml writes it: "alice", "group:analysts"
    guid: str
    kind: str  # "user" | "group"
    permission_id: str | None = None  # the permission on Connect (None: a new one)


@dataclass(frozen=True, kw_only=True, slots=True)
class TagChange:
    path: str  # "Finance/Quarterly"
    id: str


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessChanges:
    """Permission and tag changes of one app (roles and tags left unset are not managed)."""

    added: tuple[Grant, ...] = ()
    removed: tuple[Grant, ...] = ()
    tags_added: tuple[TagChange, ...] = ()
    tags_removed: tuple[TagChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.tags_added or self.tags_removed)


@dataclass(frozen=True, kw_only=True, slots=True)
class Fingerprint:
    """The server state a plan was computed against; apply refuses when it moved."""

    guid: str | None
    bundle_id: str | None
    settings_digest: str  # sha256 of the managed settings as Connect had them


@dataclass(frozen=True, kw_only=True, slots=True)
class Commit:
    """A git commit as bundle metadata names it: the sha (maybe `-dirty`) and branch or tag."""

    commit: str
    branch: str | None = None

    @property
    def short(self) -> str:
        sha, dirty, _ = self.commit.partition("-dirty")
        return sha[:7] + ("-dirty" if dirty else "")


@dataclass(frozen=True, kw_only=True, slots=True)
class Provenance:
    """Where the active bundle came from, and where the files on disk are now."""

    deployed: Commit | None = None  # from the active bundle's metadata (Connect 2025.12+)
    working_tree: Commit | None = None  # None outside a git work tree


@dataclass(frozen=True, kw_only=True, slots=True)
class AppPlan:
    key: str
    action: Action
    app_type: str
    name: str
    guid: str | None = None
    content_url: str | None = None
    dashboard_url: str | None = None
    settings: tuple[SettingChange, ...] = ()
    env: EnvChanges = EnvChanges()
    files: FileChanges = FileChanges()
    redeploy_reasons: tuple[str, ...] = ()  # "files", "entrypoint", "python", "requirements", ...
    bundle_changes: tuple[SettingChange, ...] = ()  # manifest fields (app mode, entrypoint, ...)
    file_count: int = 0
    bundle_size: int = 0
    vanity_url: str | None = None  # set when the vanity URL must change
    refusal: str | None = None  # why a REFUSED app cannot be applied
    manifest_digest: str = ""  # sha256 of the local manifest.json bytes
    fingerprint: Fingerprint | None = None
    marker: MarkerChange | None = None  # written along with any other change; never shown
    access: AccessChanges = AccessChanges()
    provenance: Provenance | None = None  # shown, never compared: a commit is not a change

    @property
    def needs_bundle(self) -> bool:
        return self.action in (Action.CREATE, Action.REDEPLOY)


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    target: str
    server: str
    apps: tuple[AppPlan, ...]
    config_digest: str = ""  # sha256 of connect.toml bytes
    orphans: tuple[str, ...] = ()  # app keys in the record but no longer in connect.toml

    def count(self, action: Action) -> int:
        return sum(1 for a in self.apps if a.action is action)

    @property
    def has_changes(self) -> bool:
        return any(a.action not in (Action.NOOP,) for a in self.apps)

    @property
    def destroys(self) -> tuple[AppPlan, ...]:
        return tuple(a for a in self.apps if a.action is Action.DESTROY)
