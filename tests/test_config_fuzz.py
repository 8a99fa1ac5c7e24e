"""Fuzzing the config loader: thousands of generated and mutated connect.toml byte strings."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectfile.config.load import load_bytes
from connectfile.errors import ConfigError

HERE = Path(__file__).parent
SEEDS = sorted(
    {p.read_bytes() for p in (HERE / "data" / "configs").rglob("*.toml")}
    | {(HERE.parent / "examples" / "connect.toml").read_bytes()}
)
# Bytes that broke loaders before: BOM, NUL, ESC, invalid UTF-8, Unicode line breaks (NEL,
# LS), CR, quotes and brackets that open strings, tables and arrays.
NASTY = [b"\xef\xbb\xbf", b"\x00", b"\x1b[2J", b"\xff", b"\xc3", b"\xc2\x85", b"\xe2\x80\xa8",
         b"\r", b"\n", b'"', b"'", b'"""', b"[", b"[[", b"]", b"{", b"=", b"#", b"\\", b".",
         b'"\\u001b"', b'"a\nb"', b"[" * 200, b"{a=" * 120]
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")
EXAMPLES = 2200
seen: list[int] = []


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "flip", "nasty", "dup"]))
        if op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "nasty":
            data[at:at] = draw(st.sampled_from(NASTY))
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 80))]
    return bytes(data)


toml_text = st.lists(
    st.sampled_from(["version = 1\n", "[apps.web]\n", 'type = "flask"\n', "[targets.t]\n",
                     'server = "https://x"\n', "[[apps.web.files]]\n", 'a = "\u2028"\n',
                     '"k\\u0007ey" = 1\n', "x = [\n", "]\n", "y = {z = [{}]}\n", "\u0085\n"])
    | st.text(max_size=20),
    max_size=12,
).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.one_of(mutated(), toml_text, st.binary(max_size=200)))
def test_loader_never_raises_anything_but_its_own_error(data: bytes) -> None:
    seen.append(1)
    # Lines as the loader (and Python's universal newlines) count them: LF, CRLF, a lone CR.
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
    try:
        load_bytes(data, source="connect.toml", root=Path("/nonexistent"))
    except ConfigError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert 1 <= issue.line <= lines, (issue, lines)
        text = str(exc)
        assert not UNSAFE.search(text), text
        for line in text.split("\n"):
            assert re.match(r"connect\.toml:\d+: ", line), line


def test_the_fuzz_ran_enough_examples() -> None:
    """Runs after the fuzz test in file order; a filtered run (-k) skips the count."""
    if seen:
        assert len(seen) >= 2000
