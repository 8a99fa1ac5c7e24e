"""The plan (and apply's outcome) as Markdown for a pull-request comment or a job summary (pure)."""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence

from connectfile.engine.executor import ApplyResult
from connectfile.plans.encoding import ORPHAN_NOTE
from connectfile.plans.values import Action, Plan
from connectfile.views.apply_text import result_line
from connectfile.views.plan_text import app_block, summary_line


def render_apply_markdown(plan: Plan, result: ApplyResult) -> str:
    """apply's outcome first, a row per app, then the plan it carried out."""
    rows = [(o.key, o.status + (f": {o.error}" if o.error else ""), o.url or "")
            for o in result.outcomes]
    return render_markdown(plan, rows, headline=result_line(result))


def render_markdown(
    plan: Plan,
    outcomes: Sequence[tuple[str, str, str]] | None = None,
    *,
    headline: str | None = None,
) -> str:
    """Summary line first, then one collapsible block per changed app.

    `outcomes` are apply's (app key, status, url) rows; None renders a plan only. Only
    names ever reach a plan, so no value, literal or secret, can appear here.
    """
    lines = [f"**{headline or summary_line(plan)}**", "",
             f"Target `{plan.target}` ({plan.server}), {_apps(len(plan.apps))}.", ""]
    if outcomes is not None:
        lines += ["| app | outcome | url |", "|---|---|---|"]
        lines += [f"| `{key}` | {_cell(status)} | {url} |" for key, status, url in outcomes]
        lines.append("")
    for app in plan.apps:
        if app.action is Action.NOOP:
            continue
        head, *rest = app_block(app)
        block = textwrap.dedent("\n".join(rest))
        lines += [
            "<details>",
            f"<summary>{html.escape(head.strip())}</summary>",
            "",
            "```text",
            block,
            "```",
            "",
            "</details>",
            "",
        ]
    for key in plan.orphans:
        lines.append(f"- `{key}`: {ORPHAN_NOTE}")
    if plan.orphans:
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _apps(count: int) -> str:
    return f"{count} app{'' if count == 1 else 's'}"


def _cell(text: str) -> str:
    """One table cell: an error message may hold `|` or a line break."""
    return " ".join(text.split()).replace("|", "\\|")
