"""The non-API content URLs: `/content/{guid}/` and the draft `/content/{guid}/_bundle{id}/`."""

from __future__ import annotations

import html

from werkzeug.wrappers import Response

from connectfile.emulator.context import Ctx

# The emulator never runs apps: these pages only say which bundle would be served, so that
# clients' post-deploy "is it up?" checks (connect-api.md §15 step 10) have something to hit.


def _page(title: str, body: str, status: int = 200) -> Response:
    text = (f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(body)}</p></body></html>\n")
    return Response(text, status=status, content_type="text/html; charset=utf-8")


def content_page(ctx: Ctx, guid: str) -> Response:
    with ctx.store.read() as state:
        record = state["content"].get(guid)
        if record is None:
            return _page("Not found", "No content with this GUID.", 404)
        title = record["title"] or record["name"] or guid
        if record["bundle_id"] is None:
            return _page(title, "This content has not been deployed yet.", 404)
        return _page(title, f"Active bundle {record['bundle_id']} "
                            f"({record['app_mode']}, Python {record['py_version']}).")


def draft_page(ctx: Ctx, guid: str, bundle_id: str) -> Response:
    with ctx.store.read() as state:
        record = state["content"].get(guid)
        bundle = state["bundles"].get(bundle_id)
        if record is None or bundle is None or bundle["content_guid"] != guid:
            return _page("Not found", "No such bundle for this content.", 404)
        title = record["title"] or record["name"] or guid
        if bundle["py_version"] is None:
            return _page(title, f"Bundle {bundle_id} has not been built successfully.", 404)
        return _page(title, f"Draft bundle {bundle_id} (Python {bundle['py_version']}).")


def vanity_page(ctx: Ctx, path: str) -> Response | None:
    """The content page behind a vanity URL, or None when no vanity path covers `path`."""
    wanted = path if path.endswith("/") else path + "/"
    with ctx.store.read() as state:
        guid = next((g for g, v in state["vanities"].items() if wanted.startswith(v["path"])),
                    None)
    return None if guid is None else content_page(ctx, guid)
