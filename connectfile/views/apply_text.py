"""What apply shows while it runs and when it is done: event lines, summary, `--json` outcome."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, TextIO

from connectfile.engine.executor import ApplyResult, AppOutcome, Event, EventKind
from connectfile.plans.encoding import plan_to_json
from connectfile.plans.values import Plan

STATUS_MARK = {"created": "+", "redeployed": "~", "updated": "~", "unchanged": " ", "failed": "!",
               "interrupted": "!", "not started": "-", "destroyed": "-"}


class EventPrinter:
    """Renders executor events as `app-key: message` lines; one line at a time across threads."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        if event.kind is EventKind.FAILED:
            return  # the closing summary says it once, with the log tail
        with self._lock:
            print(f"{event.app}: {event.message}", file=self.stream, flush=True)


def print_summary(result: ApplyResult, out: TextIO, err: TextIO, note: str | None = None) -> None:
    for o in result.outcomes:
        if o.ok:
            continue
        print(f"\n{o.key}: {o.error}", file=err)
        if o.log_tail:
            print(f"{o.key}: last {len(o.log_tail)} log lines:", file=err)
            for line in o.log_tail:
                print(f"  {line}", file=err)
    print("", file=out)
    width = max((len(o.key) for o in result.outcomes), default=0)
    for o in result.outcomes:
        where = o.url or ""
        print(f"  {STATUS_MARK[o.status]} {o.key:<{width}}  {o.status:<10}  {where}".rstrip(),
              file=out)
    print(f"\n{result_line(result)}", file=out)
    if note is not None:
        print(note, file=out)


def result_line(result: ApplyResult) -> str:
    """`Apply complete: 1 created, 0 redeployed, ...` (or `finished with errors`)."""
    counts = {s: sum(1 for o in result.outcomes if o.status == s) for s in STATUS_MARK}
    if result.interrupted:
        done = sum(1 for o in result.outcomes if o.ok)
        building = sum(1 for o in result.outcomes if "goes on building" in (o.error or ""))
        return (
            f"Apply interrupted: {done} done, {counts['not started']} not started, "
            f"{counts['interrupted']} interrupted ({building} still building on Connect), "
            f"{counts['failed']} failed. Run apply again to finish."
        )
    return (
        f"Apply {'complete' if result.ok else 'finished with errors'}: "
        f"{counts['created']} created, {counts['redeployed']} redeployed, "
        f"{counts['updated']} updated, "
        + (f"{counts['destroyed']} destroyed, " if counts["destroyed"] else "")
        + f"{counts['unchanged']} unchanged, "
        f"{counts['failed']} failed."
    )


def outcome_json(plan: Plan, result: ApplyResult | None) -> dict[str, Any]:
    outcomes: Mapping[str, AppOutcome] = {o.key: o for o in result.outcomes} if result else {}
    apps = []
    for a in plan.apps:
        o = outcomes.get(a.key)
        apps.append({
            "key": a.key,
            "action": a.action.value,
            "status": o.status if o else "unchanged",
            "guid": (o.guid if o else None) or a.guid,
            "url": (o.url if o else None) or a.content_url,
            "bundle_id": o.bundle_id if o else None,
            "error": o.error if o else None,
            "log_tail": list(o.log_tail) if o else [],
        })
    return {
        "format_version": 1,
        "target": plan.target,
        "server": plan.server,
        "plan": plan_to_json(plan),
        "apps": apps,
        "ok": result.ok if result else True,
    }
