"""The packaged JSON Schema for connect.toml, and its errors as messages that say the fix."""

from __future__ import annotations

import datetime
import difflib
import functools
import hashlib
import importlib.resources
import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # jsonschema costs ~50 ms to import: only a config not seen valid pays it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

Path = tuple[str | int, ...]


@functools.cache
def schema_bytes() -> bytes:
    """The schema shipped in the package (a byte-identical copy of schema/connect.schema.json)."""
    return importlib.resources.files("connectfile.config").joinpath(
        "connect.schema.json").read_bytes()


@functools.cache
def load_schema() -> dict[str, Any]:
    """The shipped schema, parsed."""
    schema: dict[str, Any] = json.loads(schema_bytes().decode("utf-8"))
    return schema


def fingerprint(config_bytes: bytes) -> str:
    """Names one config text checked against this schema: equal fingerprints, equal verdicts."""
    h = hashlib.sha256(schema_bytes())
    h.update(b"\0")
    h.update(config_bytes)
    return h.hexdigest()


@functools.cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema())


def check(data: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """Every schema violation in `data`, as (key path, message) pairs, sorted by path."""
    found: list[tuple[Path, str]] = []
    for error in _validator().iter_errors(data):
        found.extend(_explain(error))
    return sorted(set(found), key=lambda item: [str(p) for p in item[0]])


def show(value: Any) -> str:
    """A value as the user wrote it in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return str(value)


def toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.date | datetime.time):
        return "a date/time"
    return type(value).__name__


_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "an array",
    "object": "a table",
}


def _explain(error: ValidationError) -> Iterator[tuple[Path, str]]:
    path: Path = tuple(error.absolute_path)
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    hint = schema.get("description", "")
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = sorted(schema.get("properties", {}))
        for key in sorted(set(value) - set(allowed)):
            yield (*path, key), unknown_key(str(key), allowed, path, value[key])
    elif kind == "required":
        for key in error.validator_value:
            if isinstance(value, dict) and key not in value:
                yield (*path, str(key)), _missing(path, str(key))
    elif kind == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        shown = "" if isinstance(value, dict | list) else f" ({show(value)})"
        if path and path[-1] == "python" and isinstance(value, dict):
            # Publisher's [python] table: its version is connect.toml's python string.
            version = value.get("version")
            example = version if isinstance(version, str) and version else "3.11"
            shown = f' (did you mean python = "{example}"? Publisher\'s [python] version)'
        yield path, f"expected {wanted}, got {toml_type(value)}{shown}"
    elif kind == "enum":
        options = [str(o) for o in error.validator_value]
        near = difflib.get_close_matches(str(value).removeprefix("python-"), options, n=1)
        suggestion = f" (did you mean {show(near[0])}?)" if near else ""
        yield path, f"{show(value)} is not one of {', '.join(options)}{suggestion}"
    elif kind == "const" and path == ("version",):
        if not isinstance(value, int) or isinstance(value, bool):
            return  # the type error says it already
        yield path, f"unsupported version {show(value)}: this connectfile reads version = 1"
    elif kind in ("anyOf", "oneOf"):
        yield from _explain_alternatives(error, path, hint)
    elif kind == "minProperties" and path == ("apps",):
        yield path, 'no apps defined: add an [apps.NAME] table with at least type = "..."'
    elif kind in ("minLength", "maxLength") and isinstance(value, str):
        yield path, _length(value, schema)
    elif kind == "pattern":
        described = hint or f"must match {error.validator_value}"
        yield path, f"{show(value)} is not valid: expected {described}"
    elif kind == "uniqueItems" and isinstance(value, list):
        twice = sorted({show(v) for i, v in enumerate(value) if v in value[:i]})
        yield path, f"{', '.join(twice)} listed more than once (remove the duplicates)"
    elif kind == "exclusiveMinimum":
        yield path, f"{show(value)} is too small: must be more than {error.validator_value}"
    else:
        # minimum / maximum / exclusiveMinimum read well as jsonschema words them
        # ("-1 is less than the minimum of 1"); anything rarer too.
        yield path, error.message


def _explain_alternatives(
    error: ValidationError, path: Path, hint: str
) -> Iterator[tuple[Path, str]]:
    value = error.instance
    if path and path[-1] in ("memory_request", "memory_limit"):
        if isinstance(value, str):
            yield path, memory_message(value)
            return
        if isinstance(value, int) and not isinstance(value, bool):
            yield path, f"{value} is out of range: memory must be 0 to 9007198180999168 bytes"
            return
    # Explain the branch whose type fits the value (a {from, to} table with a typo, say).
    fitting = [sub for sub in error.context or ()
               if not (sub.validator == "type" and not sub.relative_path)]
    if fitting:
        for sub in fitting:
            yield from _explain(sub)
        return
    yield path, f"{show(value)} is not valid ({toml_type(value)}): expected {hint}"


def memory_message(text: str) -> str:
    return (
        f"{show(text)} is not a memory size: use bytes (an integer) or a number with a unit "
        "(B, KB, MB, GB, TB, KiB, MiB, GiB, TiB; K, M, G, T, Ki, Mi, Gi, Ti), e.g. \"2GiB\""
    )


# Keys of Posit Publisher's .posit/publish/*.toml, rsconnect-python's [tool.rsconnect] and
# manifest.json that people carry over by hand, and connect.toml's word for each.
PEER_KEYS: Final[Mapping[str, str]] = {
    "environment": "env",
    "entrypoint_object": "entrypoint",
    "package_file": "requirements",
    "requirements_file": "requirements",
    "app_mode": "type",
    "kubernetes": "resources",
    "server_url": "server",
}


def unknown_key(key: str, allowed: list[str], path: Path = (), value: Any = None) -> str:
    peer = _peer_hint(key, allowed, path, value)
    if peer:
        return f"unknown key {key!r} ({peer})"
    near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
    if near:
        return f"unknown key {key!r} (did you mean {near[0]!r}?)"
    return f"unknown key {key!r} (allowed keys: {', '.join(allowed)})"


def _peer_hint(key: str, allowed: list[str], path: Path, value: Any) -> str | None:
    """A "did you mean" for a key of Publisher's or rsconnect's formats, else None."""
    ours = PEER_KEYS.get(key)
    if ours in allowed:
        if key == "entrypoint_object":
            return 'did you mean entrypoint = "module:object"?'
        return f"did you mean {ours!r}?"
    if key == "api_key":
        return ("did you mean 'api_key_env'? the file never holds a key: name the "
                "environment variable that does")
    if key == "connect" and isinstance(value, dict):
        app = f"apps.{path[1]}" if len(path) >= 2 and path[0] == "apps" else "apps.NAME"
        tables = {"runtime": "runtime", "kubernetes": "resources"}
        wanted = [f"[{app}.{tables[k]}]" for k in value if k in tables] or [f"[{app}.runtime]"]
        given = [f"[connect.{k}]" for k in value if k in tables] or ["[connect.*]"]
        verb = "is" if len(given) == 1 else "are"
        return (f"did you mean {' and '.join(wanted)}? Publisher's {' and '.join(given)} "
                f"{verb} per app in connect.toml")
    return None


def _missing(path: Path, key: str) -> str:
    if key == "version":
        return "missing required key 'version' (add version = 1 at the top of the file)"
    if key == "apps":
        return 'no apps defined: add an [apps.NAME] table with at least type = "..."'
    if key == "server":
        return (
            "missing required key 'server' "
            '(add server = "https://connect.example.com", or "local" for the emulator)'
        )
    return f"missing required key {key!r}"


def _length(value: str, schema: Mapping[str, Any]) -> str:
    low, high = schema.get("minLength"), schema.get("maxLength")
    if low is not None and high is not None:
        bounds = f"{low} to {high} characters"
    elif high is not None:
        bounds = f"at most {high} characters"
    else:
        bounds = f"at least {low} character" + ("s" if low != 1 else "")
    if not value:
        return f"must not be empty ({bounds})"
    count = f"{len(value)} character" + ("s" if len(value) != 1 else "")
    return f"{show(value)} has {count}: must be {bounds}"
