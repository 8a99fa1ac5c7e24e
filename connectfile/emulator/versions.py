"""What each Connect version offers: one table of feature gates, each with its evidence."""

from __future__ import annotations

Version = tuple[int, ...]

# `activate: false` on deploy (draft bundles): rsconnect-python only sends it to >= 2025.06.0
# "because older servers reject the unknown field" (connect-api.md §1.1, §1.3).
DRAFTS: Version = (2025, 6)
# `environment.python.requires` is honoured from 2025.03.0 (connect-api.md §13.1a).
PYTHON_REQUIRES: Version = (2025, 3)
# Multipart bundle uploads with a `metadata` part, and the bundle's stored source metadata:
# rsconnect-python sends them only to servers "> 2025.11.0" (rsconnect-python.md §7.6;
# connect-api.md §5.1 "Since Connect 2025.12").
BUNDLE_METADATA: Version = (2025, 12)
# `GET /v1/content/{guid}/lockfile`: posit-sdk's get_lockfile requires 2025.12.0
# (publisher.md §7.1).
LOCKFILE: Version = (2025, 12)
# `GET /v1/server_settings/nodejs` and the `nodejs` app mode: Publisher treats a 404 before
# 2026.04.0 as "no Node.js" (connect-api.md §1.1, §2.3).
NODEJS: Version = (2026, 4)

# `POST /v1/content/{guid}/permissions` on a principal already listed: 409 code 154/155 on
# older servers; 2026 docs call it "Add or update permission" (connect-api.md §11).
# [guess: the release that switched is not recorded; 2026.01.0 is assumed]
PERMISSION_UPSERT: Version = (2026, 1)

# App modes and the first version that accepts them (connect-api.md §4.6). python-gradio:
# "Connect >= 2024.12.0"; python-panel: rsconnect-python CHANGELOG 1.28.0 says it needs
# Connect 2025.11.0.
APP_MODES: dict[str, Version] = {
    "python-api": (0,), "python-fastapi": (0,), "python-dash": (0,),
    "python-streamlit": (0,), "python-bokeh": (0,), "python-shiny": (0,),
    "jupyter-static": (0,), "jupyter-voila": (0,),
    "python-gradio": (2024, 12), "python-panel": (2025, 11),
}
OTHER_MODES: dict[str, Version] = {
    "shiny": (0,), "rmd-shiny": (0,), "rmd-static": (0,), "static": (0,), "api": (0,),
    "tensorflow-saved-model": (0,), "quarto-shiny": (0,), "quarto-static": (0,),
    "nodejs": NODEJS,
}

# Content fields seen only in 2026-era responses (Publisher's 2026 mock fixtures,
# publisher.md §7.2). Below these versions they are neither returned nor accepted (400 code
# 121). [guess: the exact 2026 release that added the four flags is not recorded; 2026.01.0
# is assumed. node_version arrives with Node.js support.]
CONTENT_FIELDS: dict[str, Version] = {
    "draft_marker_enabled": (2026, 1), "metrics_collection_enabled": (2026, 1),
    "notify_on_share": (2026, 1), "otel_enabled": (2026, 1), "node_version": NODEJS,
}


def parse(text: str) -> Version:
    """`2025.09.0`, `2023.11.0-dev+103-g11242ee129` -> (2025, 9, 0)."""
    parts = []
    for piece in text.split("-")[0].split("+")[0].split("."):
        parts.append(int(piece) if piece.isdigit() else 0)
    return tuple(parts)
