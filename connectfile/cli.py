"""Command-line edge: argparse, logging, colour and exit codes; the only owner of the process."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from connectfile import __version__
from connectfile.commands import usage
from connectfile.errors import ConnectfileError, ExitCode, printable

log = logging.getLogger("connectfile")


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1, never 2: 2 means "changes present" for plan --detailed-exitcode."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.ERROR, f"{self.prog}: error: {message}\n")


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {record.getMessage()}"
        return record.getMessage()


class _Once(logging.Filter):
    """Each warning once per run, however many steps (plan, then apply) meet the same thing."""

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        text = record.getMessage()
        if text in self._seen:
            return False
        self._seen.add(text)
        return True


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    handler.addFilter(_Once())
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False


def use_color(no_color_flag: bool, stream: object = None) -> bool:
    """Colour only on a TTY, never with NO_COLOR or --no-color."""
    stream = sys.stdout if stream is None else stream
    if no_color_flag or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="connectfile", description=usage.TOOL,
                     epilog=usage.epilog(usage.TOOL_EXAMPLES),
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"connectfile {__version__}",
                        help="print connectfile's version and exit")
    _global_flags(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                                help="what to do (`connectfile COMMAND --help` says more)")
    sub.required = True

    p = _command(sub, "init")
    p.add_argument("directory", nargs="?", type=Path, default=Path("."), metavar="DIR",
                   help="where to look for apps and write connect.toml (default: here)")

    p = _command(sub, "validate")
    p.add_argument("--online", action="store_true", help="also check the server, key and names")
    p.add_argument("-t", "--target", help="the target --online checks (default: the default one)")

    p = _command(sub, "files")
    p.add_argument("app", metavar="APP", help="the app's key in connect.toml ([apps.APP])")
    p.add_argument("--why", metavar="PATH", help="say which rule kept or dropped PATH")

    p = _command(sub, "manifest")
    p.add_argument("apps", nargs="*", metavar="APP", help="only these apps (default: all)")
    p.add_argument("--check", action="store_true", help="exit 1 when a manifest on disk is stale")
    _python_flags(p)

    p = _command(sub, "bundle")
    p.add_argument("app", metavar="APP", help="the app's key in connect.toml ([apps.APP])")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                   help="where to write the .tar.gz")
    _python_flags(p)

    p = _command(sub, "plan")
    _target_flags(p)
    p.add_argument("-o", "--out", type=Path, metavar="PLANFILE", help="save the plan for apply")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when there are changes")
    _markdown_flag(p)
    _python_flags(p)

    p = _command(sub, "apply")
    p.add_argument("planfile", nargs="?", type=Path, metavar="PLANFILE",
                   help="a plan saved by `plan -o`: apply exactly it")
    _target_flags(p)
    p.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    p.add_argument("--parallelism", type=_positive_int, default=4, metavar="N",
                   help="deploy at most N apps at once (default 4)")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.add_argument("--resend-secrets", action="store_true", help="send secret values again")
    p.add_argument("--lock-timeout", type=_seconds, default=300.0, metavar="SECONDS",
                   help="wait this long for another apply of this project (default 300; "
                   "0 fails at once)")
    _markdown_flag(p)
    _python_flags(p)

    p = _command(sub, "destroy")
    p.add_argument("apps", nargs="+", metavar="APP", help="the apps whose content is deleted")
    p.add_argument("-t", "--target", help="the [targets] entry to use (default: the default one)")
    p.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.add_argument("--lock-timeout", type=_seconds, default=300.0, metavar="SECONDS",
                   help="wait this long for another apply of this project (default 300)")

    p = _command(sub, "import")
    p.add_argument("--from-publisher", type=Path, metavar="DIR",
                   help="read DIR's .posit/publish/*.toml and their deployment records")
    p.add_argument("--from-rsconnect", type=Path, metavar="DIR",
                   help="read DIR's rsconnect-python/*.json records and [tool.rsconnect]")
    p.add_argument("--dry-run", action="store_true", help="print the TOML instead of writing it")

    p = _command(sub, "emulator")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=3939, help="port to listen on (default 3939)")
    p.add_argument("--data-dir", type=Path, default=Path(".connect/emulator"), metavar="DIR",
                   help="where the server keeps its state (default .connect/emulator)")
    p.add_argument("--api-key", help="the administrator's API key (default: generated)")
    p.add_argument("--python-versions", default=None, metavar="V1,V2",
                   help="Python installations the server offers (default: 3.10-3.13 + this one)")
    p.add_argument("--version", dest="connect_version", default=None, metavar="VERSION",
                   help="the Connect version to behave as (default: 2025.09.0)")
    p.add_argument("--strict-bundles", action="store_true",
                   help="fail deploys whose manifest lists missing or changed files "
                        "(Connect only warns)")
    p.add_argument("--bundle-retention", type=int, default=0, metavar="N",
                   help="keep each app's N newest bundles and its active one "
                        "(default 0: all, like Connect)")
    for command in sub.choices.values():  # `connectfile plan --no-color` works too
        _global_flags(command, after_command=True)
    return parser


def _command(sub: Any, name: str) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with its examples (kept as written)."""
    about = usage.COMMANDS[name]
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=about.help, description=about.text(), epilog=about.epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    return parser


def _global_flags(p: argparse.ArgumentParser, *, after_command: bool = False) -> None:
    # After the command the flags default to SUPPRESS, so an absent one leaves the value
    # given before the command (or the top-level default) alone.
    absent = argparse.SUPPRESS if after_command else None
    p.add_argument("-c", "--config", type=Path, default=absent, help="path to connect.toml")
    flag = argparse.SUPPRESS if after_command else False
    p.add_argument("--no-color", action="store_true", default=flag, help="never colour output")
    p.add_argument("-v", "--verbose", action="store_true", default=flag,
                   help="log more detail to stderr")


def _markdown_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", type=Path, metavar="FILE",
                   help="also write a Markdown rendering (PR comment, $GITHUB_STEP_SUMMARY)")


def _python_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--python", metavar="PY", help="interpreter for the version and requirements")
    p.add_argument("--force-generate", action="store_true",
                   help="freeze requirements even when a requirements file exists")


def _target_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-t", "--target", help="the [targets] entry to use (default: the default one)")
    p.add_argument("--app", dest="apps", action="append", default=[], metavar="A",
                   help="only this app (repeatable)")
    p.add_argument("--retries", type=_count, default=None, metavar="N",
                   help="tries again after a transient failure (default 3, or "
                   "CONNECTFILE_RETRIES)")


def _seconds(text: str) -> float:
    try:
        value = float(text.removesuffix("s"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _dispatch(ns: argparse.Namespace, color: bool) -> int:
    # Imported lazily so `connectfile --help` stays fast and a broken command cannot break others.
    if ns.command == "init":
        from connectfile.commands import init

        return init.run(directory=ns.directory)
    if ns.command == "validate":
        from connectfile.commands import validate

        return validate.run(config=ns.config, online=ns.online, target=ns.target)
    if ns.command == "files":
        from connectfile.commands import files

        return files.run(config=ns.config, app=ns.app, why=ns.why)
    if ns.command == "manifest":
        from connectfile.commands import manifest

        return manifest.run(config=ns.config, apps=ns.apps, check=ns.check,
                            force_generate=ns.force_generate, python=ns.python)
    if ns.command == "bundle":
        from connectfile.commands import bundle

        return bundle.run(config=ns.config, app=ns.app, output=ns.output,
                          force_generate=ns.force_generate, python=ns.python)
    if ns.command == "plan":
        from connectfile.commands import plan

        return plan.run(config=ns.config, target=ns.target, apps=ns.apps, out=ns.out,
                        as_json=ns.json, detailed_exitcode=ns.detailed_exitcode, color=color,
                        force_generate=ns.force_generate, python=ns.python,
                        markdown=ns.markdown, retries=ns.retries)
    if ns.command == "apply":
        from connectfile.commands import apply

        return apply.run(config=ns.config, planfile=ns.planfile, target=ns.target, apps=ns.apps,
                         auto_approve=ns.auto_approve, parallelism=ns.parallelism,
                         as_json=ns.json, color=color, resend_secrets=ns.resend_secrets,
                         force_generate=ns.force_generate, python=ns.python,
                         markdown=ns.markdown, retries=ns.retries,
                         lock_timeout=ns.lock_timeout)
    if ns.command == "destroy":
        from connectfile.commands import destroy

        return destroy.run(config=ns.config, target=ns.target, apps=ns.apps,
                           auto_approve=ns.auto_approve, as_json=ns.json, color=color,
                           lock_timeout=ns.lock_timeout)
    if ns.command == "import":
        from connectfile.commands import import_peers

        return import_peers.run(config=ns.config, publisher=ns.from_publisher,
                                rsconnect=ns.from_rsconnect, dry_run=ns.dry_run)
    if ns.command == "emulator":
        from connectfile.commands import emulator

        return emulator.run(host=ns.host, port=ns.port, data_dir=ns.data_dir,
                            api_key=ns.api_key, python_versions=ns.python_versions,
                            connect_version=ns.connect_version,
                            strict_bundles=ns.strict_bundles,
                            bundle_retention=ns.bundle_retention)
    raise AssertionError(ns.command)  # argparse only accepts the commands above


def format_error(exc: ConnectfileError) -> str:
    """The one place an error gets its `error: ` prefix; a located one leads with file:line."""
    return str(exc) if exc.located else f"error: {exc}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run connectfile; return the process exit code."""
    parser = build_parser()
    try:
        ns = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0) if not isinstance(exc.code, str) else ExitCode.ERROR
    _setup_logging(ns.verbose)
    color = use_color(ns.no_color)
    try:
        return _dispatch(ns, color)
    except ConnectfileError as exc:
        # Messages quote keys, paths and server answers: never let those drive the terminal.
        print(printable(format_error(exc), newlines=True), file=sys.stderr)
        return ExitCode.ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception:  # the one place a bug is caught: say so, show the traceback, exit 3
        print("connectfile: unexpected error (this is a bug, please report it):", file=sys.stderr)
        traceback.print_exc()
        return ExitCode.BUG


def entry() -> NoReturn:
    """The console script and `python -m connectfile`: main(), and an interrupted run leaves
    at once (a second Ctrl-C anywhere quits on the spot; no thread is waited for)."""
    presses = 0

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        nonlocal presses
        presses += 1
        if presses > 1:
            os._exit(ExitCode.INTERRUPTED)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    code = main()
    if code == ExitCode.INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
