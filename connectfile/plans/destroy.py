"""Destroy entries of a plan: content connectfile deployed that is to be deleted (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from connectfile.plans.values import Action, AppPlan, Fingerprint, Plan
from connectfile.remote.state import DeployedApp


def destroy_app(key: str, content: DeployedApp) -> AppPlan:
    """The plan entry that deletes `content`; its fingerprint is what apply re-checks."""
    return AppPlan(
        key=key,
        action=Action.DESTROY,
        app_type=content.app_mode,
        name=content.name,
        guid=content.guid,
        content_url=content.content_url or None,
        dashboard_url=content.dashboard_url or None,
        fingerprint=Fingerprint(guid=content.guid, bundle_id=content.bundle_id,
                                settings_digest=""),
    )


def with_destroys(plan: Plan, destroys: Sequence[AppPlan]) -> Plan:
    """`plan` with `destroys` appended; an orphan being destroyed is no longer listed."""
    if not destroys:
        return plan
    keys = {d.key for d in destroys}
    return replace(plan, apps=(*plan.apps, *destroys),
                   orphans=tuple(k for k in plan.orphans if k not in keys))


def destroy_moved(planned: AppPlan, now: DeployedApp | None) -> str | None:
    """Why a saved destroy must not run any more, or None: the content went or was redeployed."""
    fp = planned.fingerprint
    if fp is None or fp.guid is None:
        return None
    if now is None:
        return f"content {fp.guid} no longer exists on the server"
    if now.bundle_id != fp.bundle_id:
        return (f"the active bundle of content {fp.guid} is now {now.bundle_id} (the plan saw "
                f"{fp.bundle_id}): someone deployed it since, so it is not destroyed")
    return None
