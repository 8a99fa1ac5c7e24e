"""What `connectfile --help` and each command's --help say: one line, a description, examples."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Final

TOOL: Final = ("Deploy apps to Posit Connect from a checked-in connect.toml:\n"
               "validate it, plan the changes, apply them.")
TOOL_EXAMPLES: Final = (
    "connectfile init                   # write a connect.toml for the apps found here",
    "connectfile plan -t prod -o tfplan # show and save what would change on prod",
    "connectfile apply tfplan           # apply exactly that plan",
)


@dataclass(frozen=True, slots=True)
class About:
    """A command's one-line help, its longer description and one or two examples."""

    help: str
    description: str
    examples: tuple[str, ...]

    def text(self) -> str:
        """The description wrapped as --help shows it (the raw formatter keeps line breaks)."""
        return textwrap.fill(self.description, 78)

    def epilog(self) -> str:
        return epilog(self.examples)


def epilog(examples: tuple[str, ...]) -> str:
    """The examples block that ends a --help text."""
    return "examples:\n" + "\n".join(f"  {line}" for line in examples)


COMMANDS: Final[dict[str, About]] = {
    "init": About(
        "find apps under DIR and write a commented connect.toml",
        "Look for Python apps under DIR (framework from imports and requirements) and write "
        "a commented connect.toml beside them. Never overwrites an existing file.",
        ("connectfile init", "connectfile init services/"),
    ),
    "validate": About(
        "check connect.toml and the apps it names",
        "Check connect.toml against the schema and its rules, and each app (as merged for "
        "every target) against the files on disk. --online also asks the server.",
        ("connectfile validate", "connectfile validate --online -t prod"),
    ),
    "files": About(
        "list exactly what would be uploaded for APP",
        "List the files the bundle of APP would hold, with sizes; --why says which rule "
        "kept or dropped one path.",
        ("connectfile files web", "connectfile files web --why data/big.csv"),
    ),
    "manifest": About(
        "write or check manifest.json beside each app",
        "Write manifest.json (and generated requirements) beside each app, for Connect's "
        "git-backed publishing; --check fails when a committed one is stale.",
        ("connectfile manifest", "connectfile manifest --check"),
    ),
    "bundle": About(
        "write the bundle that would be uploaded for APP",
        "Write the exact .tar.gz that apply would upload for APP, to inspect or archive it.",
        ("connectfile bundle web -o web.tar.gz",),
    ),
    "plan": About(
        "show what apply would change on Connect",
        "Compare connect.toml and the files with what is deployed on the target and show "
        "each change. Exit 0 with or without changes (2 with --detailed-exitcode when there "
        "are some), 1 on error.",
        ("connectfile plan -t prod", "connectfile plan -t prod -o tfplan --detailed-exitcode"),
    ),
    "apply": About(
        "make Connect match connect.toml",
        "Plan, ask for confirmation, then create, update and redeploy content. Given a "
        "PLANFILE from `plan -o`, apply exactly that plan (refused if anything moved since).",
        ("connectfile apply -t prod", "connectfile apply tfplan"),
    ),
    "destroy": About(
        "delete the content of some apps",
        "Show which content items would be deleted (apps in connect.toml or in the deployment "
        "record), ask for confirmation, delete them and drop their record entries. Only content "
        "connectfile deployed (a record entry or the env marker) or pinned by guid is deleted.",
        ("connectfile destroy -t staging sales-api", "connectfile destroy --auto-approve old-app"),
    ),
    "import": About(
        "turn Publisher configs or rsconnect records into apps",
        "Add apps to connect.toml from Posit Publisher configurations or rsconnect-python "
        "deployment records, with each app's content guid pinned per matching target.",
        ("connectfile import --from-rsconnect . --dry-run",
         "connectfile import --from-publisher ."),
    ),
    "emulator": About(
        "run the local Connect-compatible server",
        "Serve the bundled Posit Connect emulator on 127.0.0.1, to try plans and applies "
        "without a real server (state is kept in --data-dir).",
        ("connectfile emulator --port 3939 --api-key dev-key",),
    ),
}
