"""Git provenance: the metadata sent with each bundle on Connect 2025.12+, and the plan's
`deployed from <commit>, working tree <commit>` line."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Final

from connectfile.bundle.gitinfo import RepoFacts, bundle_metadata, source_metadata
from connectfile.config.model import App, Project
from connectfile.errors import ConnectApiError
from connectfile.plans.values import Commit, Plan, Provenance
from connectfile.remote.target import TargetSession, version_tuple

METADATA_SINCE: Final = (2025, 12)  # rsconnect-python sends metadata to versions > 2025.11


def supports_metadata(session: TargetSession) -> bool:
    return version_tuple(session.server_version) >= METADATA_SINCE


class Provenances:
    """One run's git facts (git asked once per repository) and the upload metadata."""

    def __init__(self, project: Project, session: TargetSession) -> None:
        self.project = project
        self.session = session
        self._cache: dict[str, RepoFacts] = {}

    def upload_metadata(self, app: App) -> dict[str, str] | None:
        """The `metadata` part for `app`'s upload; None: the plain upload (older servers,
        or `git_metadata = false` and no `metadata` keys)."""
        if not supports_metadata(self.session):
            return None
        meta = bundle_metadata(self.project.root / app.path, app.metadata,
                               git=app.git_metadata, cache=self._cache)
        return meta or None

    def working_tree(self, app: App) -> Commit | None:
        if not app.git_metadata:
            return None
        facts = source_metadata(self.project.root / app.path, self._cache)
        commit = facts.get("source_commit")
        return Commit(commit=commit, branch=facts.get("source_branch")) if commit else None

    def attach(self, plan: Plan, apps: Mapping[str, App]) -> Plan:
        """The plan with each deployed app's provenance (its active bundle's commit, read
        from Connect 2025.12+, and the working tree's)."""
        targets = [(a.guid, a.fingerprint.bundle_id) for a in plan.apps
                   if a.guid and a.fingerprint and a.fingerprint.bundle_id]
        deployed: dict[tuple[str, str], Commit | None] = {}
        if targets and supports_metadata(self.session):
            with ThreadPoolExecutor(max_workers=min(8, len(targets))) as pool:
                for key, found in zip(targets, pool.map(self._deployed, targets), strict=True):
                    deployed[key] = found
        out = []
        for a in plan.apps:
            bundle = a.fingerprint.bundle_id if a.fingerprint else None
            app = apps.get(a.key)
            if a.guid is None or bundle is None or app is None:
                out.append(a)
                continue
            here = self.working_tree(app)
            there = deployed.get((a.guid, bundle))
            out.append(a if here is None and there is None else
                       replace(a, provenance=Provenance(deployed=there, working_tree=here)))
        return replace(plan, apps=tuple(out))

    def _deployed(self, target: tuple[str, str]) -> Commit | None:
        try:
            meta = self.session.client.bundle_source(*target)
        except ConnectApiError:
            return None  # provenance is shown when known; it never stops a plan
        commit = meta.get("source_commit")
        branch = meta.get("source_branch")
        return Commit(commit=str(commit), branch=str(branch) if branch else None) \
            if commit else None
