"""Who may view or edit an app, and its tags: connect.toml's lists against Connect's (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from connectfile.plans.values import AccessChanges, Action, AppPlan, Grant, TagChange
from connectfile.remote.state import Governance, Principal, Tag

# Connect's permission roles in connect.toml's words ("owner" on the ACL is a collaborator).
ROLE_NAMES: Mapping[str, str] = {"viewer": "viewer", "owner": "collaborator"}
CONNECT_ROLES: Mapping[str, str] = {"viewer": "viewer", "collaborator": "owner"}


def diff_access(
    *,
    viewers: Sequence[Principal] | None,
    collaborators: Sequence[Principal] | None,
    tags: Sequence[Tag] | None,
    tree: Mapping[str, Tag],
    current: Governance,
) -> AccessChanges:
    """The permission and tag changes that make Connect match the lists that are set.

    A list that is set is the whole truth for its role (or for the tags); one left unset is
    not managed. The owner is never on the ACL, so is never added or removed.
    """
    added, removed = _grants(viewers, collaborators, current)
    tags_added, tags_removed = _tags(tags, tree, current.tags or ())
    return AccessChanges(added=added, removed=removed, tags_added=tags_added,
                         tags_removed=tags_removed)


def with_access(plan: AppPlan, changes: AccessChanges) -> AppPlan:
    """`plan` carrying `changes`; an unchanged app with access changes becomes an update."""
    if not changes:
        return plan
    action = Action.UPDATE if plan.action is Action.NOOP else plan.action
    return replace(plan, access=changes, action=action)


def _grants(
    viewers: Sequence[Principal] | None,
    collaborators: Sequence[Principal] | None,
    current: Governance,
) -> tuple[tuple[Grant, ...], tuple[Grant, ...]]:
    managed = {role for role, listed in (("viewer", viewers), ("collaborator", collaborators))
               if listed is not None}
    if not managed:
        return (), ()
    wanted: dict[str, tuple[str, Principal]] = {}
    for role, listed in (("viewer", viewers), ("collaborator", collaborators)):
        for principal in listed or ():
            if principal.guid != current.owner_guid:  # the owner has every right already
                wanted[principal.guid] = (role, principal)  # collaborator wins: it is more
    on_acl = {p.principal.guid: p for p in current.permissions or ()}
    added: list[Grant] = []
    removed: list[Grant] = []
    for guid, (role, principal) in wanted.items():
        permission = on_acl.get(guid)
        if permission is None:
            added.append(_grant(role, principal))
            continue
        now = ROLE_NAMES.get(permission.role, permission.role)
        # A collaborator may view already: listing them as a viewer changes nothing unless
        # collaborators are managed too (and they are not among them).
        if now == role or (now == "collaborator" and "collaborator" not in managed):
            continue
        removed.append(_grant(now, permission.principal, permission.id))
        added.append(_grant(role, principal, permission.id))
    for guid, permission in on_acl.items():
        role = ROLE_NAMES.get(permission.role, permission.role)
        if guid not in wanted and role in managed and guid != current.owner_guid:
            removed.append(_grant(role, permission.principal, permission.id))
    return tuple(sorted(added, key=_order)), tuple(sorted(removed, key=_order))


def _order(grant: Grant) -> tuple[str, str]:
    return grant.role, grant.principal


def _grant(role: str, principal: Principal, permission_id: str | None = None) -> Grant:
    return Grant(role=role, principal=principal.label, guid=principal.guid, kind=principal.kind,
                 permission_id=permission_id)


def _tags(
    wanted: Sequence[Tag] | None, tree: Mapping[str, Tag], current: Sequence[Tag]
) -> tuple[tuple[TagChange, ...], tuple[TagChange, ...]]:
    if wanted is None:
        return (), ()
    # Connect adds a tag's ancestors with it, so they are part of what is wanted.
    keep: set[str] = set()
    for tag in wanted:
        node: Tag | None = tag
        while node is not None and node.id not in keep:
            keep.add(node.id)
            node = tree.get(node.parent_id) if node.parent_id is not None else None
    have = {t.id for t in current}
    added = tuple(TagChange(path=t.path, id=t.id) for t in sorted(wanted, key=lambda t: t.path)
                  if t.id not in have)
    doomed = {t.id for t in current if t.id not in keep}
    # Removing a tag takes its descendants with it: only the top-most of them are removed.
    removed = tuple(TagChange(path=t.path, id=t.id) for t in sorted(current, key=lambda t: t.path)
                    if t.id in doomed and t.parent_id not in doomed)
    return added, removed
