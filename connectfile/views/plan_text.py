"""Turn a Plan into Terraform-style text (pure; never sees a secret); JSON is plans.encoding."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import Any

from connectfile.plans.encoding import ORPHAN_NOTE, plan_to_json
from connectfile.plans.values import Action, AppPlan, Plan, SettingChange

UNSURE_NOTE = (
    "(no deployment record here: some literal value differs, connectfile cannot tell which)"
)

_WIDTH = 100  # wrap packed item lines (files, env, create settings) at this column
_LABEL = 8  # label column, as in SPEC §5: "+ bundle   14 files"
_MAX_FILES = 20  # a redeploy touching 500 files shows 20 and a count; JSON has them all
_MEMORY_KEYS = frozenset({"memory_request", "memory_limit"})
_FIRST_BUNDLE = frozenset({"first_deploy", "bundle_unreadable"})

_COLORS = {"+": "32", "~": "33", "-": "31", "!": "1;31", "#": "2"}

_HEADLINES = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in-place",
    Action.REDEPLOY: "will be redeployed",
    Action.REFUSED: "cannot be applied",
    Action.DESTROY: "will be destroyed",
}
_SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.REDEPLOY: "~", Action.REFUSED: "!",
            Action.DESTROY: "-"}


def render_plan(plan: Plan, *, color: bool, note: str | None = None) -> str:
    """The human plan: header (and `note`, for a local target), one block per changed app,
    orphans, closing line."""
    paint = _painter(color)
    count = len(plan.apps)
    lines = [f"Target {plan.target} ({plan.server}), {count} app{'' if count == 1 else 's'}"]
    if note is not None:
        lines.append(note)
    lines.append("")
    for app in plan.apps:
        if app.action is not Action.NOOP:
            lines.extend(_block(app, paint))
            lines.append("")
    for key in plan.orphans:
        lines.append(f"  {paint('#')} {key}: {ORPHAN_NOTE}")
    if plan.orphans:
        lines.append("")
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def render_json(plan: Plan) -> str:
    """The `plan --json` text: the one encoding of a plan (plans.encoding), indented."""
    return json.dumps(plan_to_json(plan), indent=2, ensure_ascii=False) + "\n"


def summary_line(plan: Plan) -> str:
    """`Plan: X to create, Y to update, Z unchanged.` or a line starting with `No changes.`"""
    unchanged = plan.count(Action.NOOP)
    if not plan.has_changes:
        return (
            f"No changes. Connect matches connect.toml "
            f"({unchanged} app{'' if unchanged == 1 else 's'} unchanged)."
        )
    update = plan.count(Action.UPDATE) + plan.count(Action.REDEPLOY)
    refused = plan.count(Action.REFUSED)
    tail = f", {refused} refused" if refused else ""
    destroy = plan.count(Action.DESTROY)
    # Shown only when something is destroyed, so the usual line stays as it was.
    doomed = f"{destroy} to destroy, " if destroy else ""
    return (
        f"Plan: {plan.count(Action.CREATE)} to create, {update} to update, {doomed}"
        f"{unchanged} unchanged{tail}."
    )


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, symbol: str, text: str | None = None) -> str:
        text = symbol if text is None else text
        code = _COLORS.get(symbol)
        if not self.color or code is None:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"


def _painter(color: bool) -> _Paint:
    return _Paint(color)


def app_block(app: AppPlan) -> list[str]:
    """One changed app's block of the human plan, uncoloured (the Markdown view reuses it)."""
    return _block(app, _Paint(False))


def _block(app: AppPlan, paint: _Paint) -> list[str]:
    symbol = _SYMBOLS[app.action]
    lines = [f"  {paint(symbol)} {app.key} {_headline(app)}{_identity(app)}"]

    def field(mark: str, label: str, value: str) -> None:
        shown = paint(mark) if mark != " " else " "
        lines.append(f"      {shown} {label.ljust(_LABEL)} {value}".rstrip())

    def packed(mark: str, label: str, items: Sequence[str]) -> None:
        first = f"{label.ljust(_LABEL)} "
        for i, row in enumerate(_pack(items, _WIDTH - 8 - len(first))):
            shown = paint(mark) if i == 0 else " "
            lead = first if i == 0 else " " * len(first)
            lines.append(f"      {shown} {lead}{row}")

    if app.action is Action.DESTROY:
        if app.content_url:
            field(" ", "url", app.content_url)
        return lines

    if app.action is Action.REFUSED:
        for change in app.bundle_changes:
            if change.key == "app_mode":
                field("!", "app mode", _arrow(change))
        for row in textwrap.wrap(app.refusal or "", _WIDTH - 8):
            lines.append(f"        {row}")
        return lines

    if app.action is Action.CREATE:
        # The name is shown only when it differs from the key the header already names.
        packed("+", "type", [app.app_type] + [
            f"{paint('+')} {c.key} {_setting(c.key, c.after)}"
            for c in app.settings
            if not (c.key == "name" and c.after == app.key)
        ])
        field("+", "bundle", _bundle(app))
        if app.env.added:
            field("+", "env", ", ".join(_env_name(app, n) for n in app.env.added))
        if app.vanity_url is not None:
            field("+", "vanity", _value(app.vanity_url))
        lines.extend(access_lines(app, paint))
        return lines

    first_bundle = bool(_FIRST_BUNDLE & set(app.redeploy_reasons))
    if app.files and not first_bundle:
        packed("~", "files", _file_items(app, paint))
    for change in app.bundle_changes:
        field("~", change.key.replace("_", " "), _arrow(change))
    if app.needs_bundle:
        why = ", ".join(r.replace("_", " ") for r in app.redeploy_reasons)
        field("+" if first_bundle else "~", "bundle", f"{_bundle(app)} (reason: {why})")
    for change in app.settings:
        field("~", change.key, _arrow(change))
    env_items = _env_items(app, paint)
    if env_items:
        packed("~", "env", env_items)
    if app.env.unsure:
        lines.append(f"        {UNSURE_NOTE}")
    if app.vanity_url is not None:
        field("~", "vanity", _value(app.vanity_url))
    source = source_line(app)
    if source:
        field(" ", "source", source)
    lines.extend(access_lines(app, paint))
    if app.content_url:
        field(" ", "url", app.content_url)
    if app.dashboard_url:
        field(" ", "dashboard", app.dashboard_url)
    return lines


def access_lines(app: AppPlan, paint: _Paint) -> list[str]:
    """`- viewer bob`, `+ viewer group:analysts`, `+ tag Finance/Quarterly` (removals first)."""
    access = app.access
    marked = [("-", f"{g.role} {g.principal}") for g in access.removed]
    marked += [("+", f"{g.role} {g.principal}") for g in access.added]
    marked += [("-", f"tag {t.path}") for t in access.tags_removed]
    marked += [("+", f"tag {t.path}") for t in access.tags_added]
    return [f"      {paint(mark)} {text}" for mark, text in marked]


def _headline(app: AppPlan) -> str:
    if app.action is Action.REDEPLOY and "first_deploy" in app.redeploy_reasons:
        return "will be deployed"
    return _HEADLINES[app.action]


def _identity(app: AppPlan) -> str:
    if app.guid is None:
        return ""
    parts = [f"guid {app.guid[:4]}…"]
    bundle = app.fingerprint.bundle_id if app.fingerprint else None
    if app.action in (Action.REDEPLOY, Action.DESTROY) and bundle is not None:
        parts.append(f"bundle {bundle}")
    return f" ({', '.join(parts)})"


def _file_items(app: AppPlan, paint: _Paint) -> list[str]:
    marked = sorted(
        [(p, "+") for p in app.files.added]
        + [(p, "-") for p in app.files.removed]
        + [(p, "~") for p in app.files.modified]
    )
    items = [f"{paint(mark)} {path}" for path, mark in marked[:_MAX_FILES]]
    if len(marked) > _MAX_FILES:
        items.append(f"… {len(marked) - _MAX_FILES} more")
    return items


def _env_items(app: AppPlan, paint: _Paint) -> list[str]:
    env = app.env
    items = [(n, "+") for n in env.added]
    items += [(n, "~") for n in env.changed]
    items += [(n, "~") for n in env.secrets if n not in env.added]
    items += [(n, "-") for n in env.removed]
    return [f"{paint(mark)} {_env_name(app, name)}" for name, mark in items]


def _env_name(app: AppPlan, name: str) -> str:
    # Only names ever reach the plan; a secret is marked so nobody looks for its value.
    return f"{name} (sensitive)" if name in app.env.secrets else name


def _pack(items: Sequence[str], width: int) -> list[str]:
    """Join items with three spaces, starting a new row before `width` is passed."""
    rows: list[str] = []
    row = ""
    for item in items:
        if row and len(_plain(row)) + 3 + len(_plain(item)) > width:
            rows.append(row)
            row = item
        else:
            row = f"{row}   {item}" if row else item
    if row:
        rows.append(row)
    return rows


def _plain(text: str) -> str:
    """Text without ANSI colour codes, for measuring widths."""
    out = []
    skipping = False
    for ch in text:
        if ch == "\x1b":
            skipping = True
        elif skipping:
            skipping = ch != "m"
        else:
            out.append(ch)
    return "".join(out)


def _arrow(change: SettingChange) -> str:
    return f"{_setting(change.key, change.before)} -> {_setting(change.key, change.after)}"


def _setting(key: str, value: Any) -> str:
    if key in _MEMORY_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return size_text(value)
    return _value(value)


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _bundle(app: AppPlan) -> str:
    plural = "" if app.file_count == 1 else "s"
    return f"{app.file_count} file{plural}, {size_text(app.bundle_size)}"


def size_text(size: int) -> str:
    """38.2 KiB, 2 GiB, 512 B."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            break
        value /= 1024
    if unit == "B":
        return f"{size} B"
    text = f"{value:.1f}"
    return f"{text.removesuffix('.0')} {unit}"


def source_line(app: AppPlan) -> str:
    """`deployed from 0f24c1a (main), working tree 9b8e2d1`, or the half that is known."""
    p = app.provenance
    if p is None:
        return ""
    parts = []
    if p.deployed is not None:
        branch = f" ({p.deployed.branch})" if p.deployed.branch else ""
        parts.append(f"deployed from {p.deployed.short}{branch}")
    if p.working_tree is not None:
        parts.append(f"working tree {p.working_tree.short}")
    return ", ".join(parts)
