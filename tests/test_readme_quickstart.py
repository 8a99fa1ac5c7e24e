"""The README's two quickstart commands can be typed one after the other into one shell."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def quickstart_commands() -> list[str]:
    text = README.read_text("utf-8")
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)[:2]


def top_level(command: str) -> str:
    """`command` without what runs in a subshell `( … )`, where a `cd` cannot leak out."""
    depth, kept = 0, []
    for char in command:
        depth += char == "("
        if depth == 0:
            kept.append(char)
        depth -= char == ")"
    return "".join(kept)


def test_the_first_command_leaves_the_shell_where_it_started() -> None:
    first, second = quickstart_commands()
    assert not re.search(r"(^|[;&|]\s*)cd\s", top_level(first)), first
    assert "cd examples" in first  # it still runs the examples, inside ( … )
    assert second.startswith("python3 -m venv .venv") and "pip install -e '.[test]'" in second
