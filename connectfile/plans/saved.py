"""Save a Plan for `apply FILE` (plan -o) and load it back unchanged; never a key or a secret."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from connectfile import __version__
from connectfile.errors import CorruptFileError, UsageError
from connectfile.files.atomic import write_atomic
from connectfile.plans.encoding import plan_from_json, plan_to_json
from connectfile.plans.values import Plan

KIND: Final = "connectfile-plan"
FILE_VERSION: Final = 2  # 2: the fields and names of `plan --json` (schema/plan.schema.json)


def save_plan(path: Path, plan: Plan) -> None:
    """Write the plan as JSON, atomically (temp file in the same directory + os.replace)."""
    # Not sorted: the order of settings changes is part of the plan.
    text = json.dumps(plan_to_data(plan), indent=2, ensure_ascii=False) + "\n"
    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot write the plan to {path}: {exc.strerror}") from None


def load_plan(path: Path) -> Plan:
    """Read a saved plan; a file that is not one says so in one line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such plan file (make one with `plan -o`)") from None
    except RecursionError:
        raise CorruptFileError(f"{path}: not a saved connectfile plan (nested too deeply)") \
            from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CorruptFileError(f"{path}: not a saved connectfile plan ({exc})") from None
    except OSError as exc:  # unreadable (a directory, no permission): the path is the mistake
        raise UsageError(f"{path}: not a saved connectfile plan ({exc})") from None
    try:
        return plan_from_data(data)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise CorruptFileError(
            f"{path}: not a saved connectfile plan, or a damaged one ({exc!r}); "
            "run `connectfile plan -o FILE` again"
        ) from None


def plan_to_data(plan: Plan) -> dict[str, Any]:
    """The saved file: a header, then the `plan --json` document with the saved-plan extras."""
    return {
        "kind": KIND,
        "file_version": FILE_VERSION,
        "connectfile_version": __version__,
        **plan_to_json(plan, saved=True),
    }


def plan_from_data(data: Mapping[str, Any]) -> Plan:
    if data.get("kind") != KIND:
        raise ValueError(f"kind is {data.get('kind')!r}, not {KIND!r}")
    if data.get("file_version") != FILE_VERSION:
        raise ValueError(
            f"file_version {data.get('file_version')!r} is not {FILE_VERSION} "
            f"(written by connectfile {data.get('connectfile_version')})"
        )
    return plan_from_json(data)
