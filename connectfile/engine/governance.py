"""Viewers, collaborators and tags: resolve connect.toml's names on Connect, read, apply."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectfile.config.locate import key_location
from connectfile.config.model import App, Project
from connectfile.errors import ConnectApiError, ConnectfileError, DeployError
from connectfile.plans.access import CONNECT_ROLES, diff_access
from connectfile.plans.values import AccessChanges
from connectfile.remote.state import DeployedApp, Governance, Permission, Principal, Tag

log = logging.getLogger("connectfile")

GROUP_PREFIX = "group:"
_SHOWN = 5  # names listed in an "ambiguous" message


class GovernanceAPI(Protocol):
    """The calls this module makes; client.ConnectClient satisfies it."""

    def search_principals(self, kind: str, prefix: str) -> list[dict[str, Any]]: ...
    def get_principal(self, kind: str, guid: str) -> dict[str, Any] | None: ...
    def list_permissions(self, guid: str) -> list[dict[str, Any]]: ...
    def add_permission(self, guid: str, principal_guid: str, kind: str, role: str) -> None: ...
    def update_permission(self, guid: str, permission_id: str, principal_guid: str,
                          kind: str, role: str) -> None: ...
    def delete_permission(self, guid: str, permission_id: str) -> None: ...
    def list_tags(self) -> list[dict[str, Any]]: ...
    def content_tags(self, guid: str) -> list[dict[str, Any]]: ...
    def add_content_tag(self, guid: str, tag_id: str) -> None: ...
    def remove_content_tag(self, guid: str, tag_id: str) -> None: ...


def manages(app: App) -> bool:
    """Whether connect.toml manages any of the app's viewers, collaborators or tags."""
    return app.viewers is not None or app.collaborators is not None or app.tags is not None


@dataclass
class Resolver:
    """Finds connect.toml's names on one target, each name once per run (thread-safe)."""

    api: GovernanceAPI
    project: Project
    target: str
    _principals: dict[tuple[str, str], Principal | str] = field(default_factory=dict)
    _labels: dict[tuple[str, str], str] = field(default_factory=dict)
    _tree: dict[str, Tag] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def changes(self, app: App, deployed: DeployedApp | None) -> AccessChanges:
        """What apply changes in `app`'s ACL and tags; a name Connect lacks is an error."""
        if not manages(app):
            return AccessChanges()
        viewers = self._entries(app, "viewers")
        collaborators = self._entries(app, "collaborators")
        tags = None if app.tags is None else tuple(
            self._tag(app, i, path) for i, path in enumerate(app.tags))
        if app.viewers and app.access == "all":
            where = key_location(self.project, app.key, "viewers", app.target)
            log.warning('%s: access = "all" lets everyone view %s, so its viewer list has '
                        "no effect", where, app.key)
        current = Governance()
        if deployed is not None:
            owner = deployed.settings.get("owner_guid")
            current = Governance(
                owner_guid=None if owner is None else str(owner),
                permissions=self._permissions(deployed.guid)
                if app.viewers is not None or app.collaborators is not None else None,
                tags=self._content_tags(deployed.guid) if app.tags is not None else None,
            )
        return diff_access(viewers=viewers, collaborators=collaborators, tags=tags,
                           tree=self.tree() if tags is not None else {}, current=current)

    # -- names ---------------------------------------------------------------------------

    def _entries(self, app: App, key: str) -> tuple[Principal, ...] | None:
        listed: Sequence[str] | None = getattr(app, key)
        if listed is None:
            return None
        return tuple(self._principal(app, key, i, entry) for i, entry in enumerate(listed))

    def _principal(self, app: App, key: str, index: int, entry: str) -> Principal:
        kind, name = ("group", entry[len(GROUP_PREFIX):]) if entry.startswith(GROUP_PREFIX) \
            else ("user", entry)
        with self._lock:
            found = self._principals.get((kind, name))
        if found is None:
            found = self._lookup(kind, name, entry)
            with self._lock:
                self._principals[(kind, name)] = found
        if isinstance(found, str):
            where = key_location(self.project, app.key, key, app.target, index)
            raise ConnectfileError(found, location=where)
        return found

    def _lookup(self, kind: str, name: str, entry: str) -> Principal | str:
        """The one user or group named exactly `name`, or the message saying why not."""
        field_ = "username" if kind == "user" else "name"
        matches = self.api.search_principals(kind, name)
        exact = [m for m in matches if m.get(field_) == name]
        if len(exact) == 1:
            return Principal(guid=str(exact[0]["guid"]), kind=kind, label=entry)
        names = sorted({str(m.get(field_)) for m in matches if m.get(field_)})
        on = f"on target {self.target!r}"
        if len(exact) > 1:
            return f"{len(exact)} {kind}s are named {name!r} {on}; Connect cannot tell them apart"
        write = ("the exact username (or \"group:NAME\" for a group)" if kind == "user"
                 else "the exact group name after \"group:\"")
        if not names:
            return f"no {kind} named {name!r} {on}: write {write}"
        if len(names) == 1:
            hint = names[0] if kind == "user" else GROUP_PREFIX + names[0]
            return f"no {kind} named {name!r} {on}; did you mean {hint!r}?"
        shown = ", ".join(names[:_SHOWN]) + (", …" if len(names) > _SHOWN else "")
        return (f"{name!r} is ambiguous {on}: no {kind} has exactly that name, and "
                f"{len(names)} start with it ({shown}); write {write}")

    def _label(self, kind: str, guid: str) -> str:
        """How connect.toml would name the principal of an existing permission."""
        with self._lock:
            known = self._labels.get((kind, guid))
        if known is not None:
            return known
        found = self.api.get_principal(kind, guid) or {}
        name = str(found.get("username" if kind == "user" else "name") or guid)
        label = GROUP_PREFIX + name if kind == "group" else name
        with self._lock:
            self._labels[(kind, guid)] = label
        return label

    def _permissions(self, guid: str) -> tuple[Permission, ...]:
        out = []
        for p in self.api.list_permissions(guid):
            kind, principal = str(p.get("principal_type")), str(p.get("principal_guid"))
            label = self._known_label(kind, principal) or self._label(kind, principal)
            out.append(Permission(id=str(p.get("id")), role=str(p.get("role")),
                                  principal=Principal(guid=principal, kind=kind, label=label)))
        return tuple(out)

    def _known_label(self, kind: str, guid: str) -> str | None:
        with self._lock:
            for (k, _), p in self._principals.items():
                if isinstance(p, Principal) and p.guid == guid and k == kind:
                    return p.label
        return None

    # -- tags ----------------------------------------------------------------------------

    def tree(self) -> dict[str, Tag]:
        """Every tag on the target by id, named by its path (read once per run)."""
        with self._lock:
            if self._tree is None:
                raw = {str(t["id"]): t for t in self.api.list_tags() if "id" in t}
                self._tree = {i: Tag(id=i, path=_path(raw, i), parent_id=_parent(t))
                              for i, t in raw.items()}
            return self._tree

    def _tag(self, app: App, index: int, path: str) -> Tag:
        wanted = "/".join(part.strip() for part in path.split("/"))
        for tag in self.tree().values():
            if tag.path == wanted:
                if tag.parent_id is None:
                    message = (f"{path!r} is a category on target {self.target!r}, and Connect "
                               "puts only tags inside a category on content; name one of its "
                               "tags (\"Category/Tag\")")
                    break
                return tag
        else:
            message = (f"no tag {path!r} on target {self.target!r}: tags are created by a "
                       "Connect administrator (connectfile does not create them); ask one to "
                       "add it, or fix the path")
        raise ConnectfileError(message, location=key_location(self.project, app.key, "tags",
                                                              app.target, index))

    def _content_tags(self, guid: str) -> tuple[Tag, ...]:
        tree = self.tree()
        return tuple(tree.get(str(t["id"])) or Tag(id=str(t["id"]), path=str(t.get("name")),
                                                   parent_id=_parent(t))
                     for t in self.api.content_tags(guid) if "id" in t)


def _parent(tag: Mapping[str, Any]) -> str | None:
    parent = tag.get("parent_id")
    return None if parent in (None, "") else str(parent)


def _path(raw: Mapping[str, Mapping[str, Any]], tag_id: str) -> str:
    parts: list[str] = []
    seen: set[str] = set()
    current: str | None = tag_id
    while current is not None and current in raw and current not in seen:
        seen.add(current)
        parts.append(str(raw[current].get("name")))
        current = _parent(raw[current])
    return "/".join(reversed(parts))


def apply_access(api: GovernanceAPI, guid: str, name: str, changes: AccessChanges,
                 step: Callable[[str], None]) -> None:
    """Carry out the permission and tag changes on content `guid`; a refusal is one line."""
    try:
        _apply(api, guid, changes, step)
    except ConnectApiError as exc:
        if exc.status != 403:
            raise
        raise DeployError(
            f"Connect refused to change who may view or edit {name!r} or its tags "
            f"({exc.method} {exc.path}: HTTP 403: {exc.message.rstrip('.')}): only its "
            "owner, a collaborator or an administrator may; ask one of them, or drop "
            "viewers, collaborators and tags from this app in connect.toml"
        ) from None


def _apply(api: GovernanceAPI, guid: str, changes: AccessChanges,
           step: Callable[[str], None]) -> None:
    changed = {g.permission_id for g in changes.added if g.permission_id is not None}
    for grant in changes.removed:
        if grant.permission_id is not None and grant.permission_id not in changed:
            step(f"removing {grant.role} {grant.principal}")
            api.delete_permission(guid, grant.permission_id)
    for grant in changes.added:
        step(f"adding {grant.role} {grant.principal}")
        role = CONNECT_ROLES[grant.role]
        if grant.permission_id is not None:
            api.update_permission(guid, grant.permission_id, grant.guid, grant.kind, role)
        else:
            api.add_permission(guid, grant.guid, grant.kind, role)
    for tag in changes.tags_removed:
        step(f"removing tag {tag.path}")
        api.remove_content_tag(guid, tag.id)
    for tag in changes.tags_added:
        step(f"adding tag {tag.path}")
        api.add_content_tag(guid, tag.id)
