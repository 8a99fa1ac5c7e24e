"""An app as prepared for deploy: its bundle members, manifest and digest (pure values).

One type for plan, apply, `bundle` and `manifest`: prepare.py builds it from the disk, the
diff reads it, archive.py streams it into a tar.gz.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from connectfile.config.model import App


class BundleFile(NamedTuple):
    """One bundle member other than manifest.json (a NamedTuple: one is made per file)."""

    dest: str  # POSIX path inside the bundle
    source: str | None  # file on disk to stream from, or None when `data` holds the bytes
    data: bytes | None  # generated content (e.g. a frozen requirements.txt)
    size: int
    md5: str  # hex


@dataclass(frozen=True, kw_only=True, slots=True)
class LocalApp:
    """Everything known locally about an app, as deployed: the input of plan and bundle."""

    app: App
    directory: Path  # the app dir on disk
    files: tuple[BundleFile, ...]  # sorted by dest; not including manifest.json
    manifest: Mapping[str, Any]  # the manifest.json dict
    manifest_bytes: bytes  # exactly the bytes written to disk / into the bundle
    digest: str  # sha256 hex of manifest_bytes
    python_version: str
    requirements_generated: bool
    requirements_source: str = "pip freeze"  # where generated requirements came from

    # Count and size are of the app's files, manifest.json aside, as `files` lists them and
    # the plan shows them ("14 files, 38.2 KiB"); manifest.json is connectfile's, not the app's.
    @property
    def file_count(self) -> int:
        return len(self.files)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)
