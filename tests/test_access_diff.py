"""The pure halves of issue 14: permission and tag diffs, destroy entries, their JSON."""

from __future__ import annotations

from connectfile.plans.access import diff_access, with_access
from connectfile.plans.destroy import destroy_app, destroy_moved, with_destroys
from connectfile.plans.encoding import plan_from_json, plan_to_json
from connectfile.plans.values import Action, AppPlan, Plan
from connectfile.remote.state import DeployedApp, Governance, Permission, Principal, Tag

ALICE = Principal(guid="u-alice", kind="user", label="alice")
BOB = Principal(guid="u-bob", kind="user", label="bob")
TEAM = Principal(guid="g-team", kind="group", label="group:team")
OWNER = Principal(guid="u-owner", kind="user", label="owner")


def acl(*entries: tuple[Principal, str]) -> Governance:
    return Governance(owner_guid=OWNER.guid, permissions=tuple(
        Permission(id=str(i), principal=p, role=role) for i, (p, role) in enumerate(entries)))


def shown(changes: object) -> list[str]:
    added = [f"+ {g.role} {g.principal}" for g in changes.added]  # type: ignore[attr-defined]
    removed = [f"- {g.role} {g.principal}" for g in changes.removed]  # type: ignore[attr-defined]
    return removed + added


def test_viewers_are_the_whole_truth_and_the_owner_is_never_touched() -> None:
    current = acl((ALICE, "viewer"), (TEAM, "viewer"))
    changes = diff_access(viewers=(BOB, TEAM, OWNER), collaborators=None, tags=None, tree={},
                          current=current)
    assert shown(changes) == ["- viewer alice", "+ viewer bob"]
    assert diff_access(viewers=(), collaborators=None, tags=None, tree={},
                       current=current).removed[0].permission_id == "0"


def test_unmanaged_roles_are_left_alone() -> None:
    current = acl((ALICE, "owner"), (BOB, "viewer"))
    assert not diff_access(viewers=None, collaborators=None, tags=None, tree={}, current=current)
    # alice collaborates, so may view: listing her as a viewer changes nothing.
    assert shown(diff_access(viewers=(ALICE, BOB), collaborators=None, tags=None, tree={},
                             current=current)) == []
    changes = diff_access(viewers=(ALICE,), collaborators=(BOB,), tags=None, tree={},
                          current=current)
    assert shown(changes) == ["- collaborator alice", "- viewer bob", "+ collaborator bob",
                              "+ viewer alice"]
    assert {g.permission_id for g in changes.added} == {"0", "1"}  # role changes, in place


def test_tags_keep_ancestors_and_remove_the_topmost() -> None:
    tree = {"1": Tag(id="1", path="Finance"), "2": Tag(id="2", path="Finance/Q", parent_id="1"),
            "3": Tag(id="3", path="Finance/M", parent_id="1"),
            "4": Tag(id="4", path="Sales"), "5": Tag(id="5", path="Sales/Old", parent_id="4")}
    current = Governance(tags=(tree["1"], tree["2"], tree["4"], tree["5"]))
    changes = diff_access(viewers=None, collaborators=None, tags=(tree["3"],), tree=tree,
                          current=current)
    assert [t.path for t in changes.tags_added] == ["Finance/M"]
    assert [t.path for t in changes.tags_removed] == ["Finance/Q", "Sales"]


def test_access_changes_make_a_noop_an_update_and_survive_json() -> None:
    noop = AppPlan(key="web", action=Action.NOOP, app_type="fastapi", name="web")
    changes = diff_access(viewers=(BOB,), collaborators=None, tags=None, tree={},
                          current=acl((ALICE, "viewer")))
    updated = with_access(noop, changes)
    assert updated.action is Action.UPDATE
    content = DeployedApp(guid="c-1", name="old", app_mode="python-api", bundle_id="7",
                          content_url="", dashboard_url="")
    plan = with_destroys(Plan(target="t", server="s", apps=(updated,), orphans=("old",)),
                         [destroy_app("old", content)])
    assert plan.orphans == ()
    doc = plan_to_json(plan, saved=True)
    assert doc["summary"]["destroy"] == 1
    assert plan_from_json(doc).apps == plan.apps


def test_a_destroy_moves_when_the_content_does() -> None:
    content = DeployedApp(guid="c-1", name="old", app_mode="python-api", bundle_id="7",
                          content_url="", dashboard_url="")
    planned = destroy_app("old", content)
    assert destroy_moved(planned, content) is None
    assert "no longer exists" in str(destroy_moved(planned, None))
    moved = DeployedApp(guid="c-1", name="old", app_mode="python-api", bundle_id="8",
                        content_url="", dashboard_url="")
    assert "is now 8 (the plan saw 7)" in str(destroy_moved(planned, moved))
