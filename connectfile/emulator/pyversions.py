"""Choosing a Python installation for a bundle the way Connect does (connect-api.md §13.1a)."""

from __future__ import annotations

import re

_CLAUSE = re.compile(r"\s*(~=|===|==|!=|<=|>=|<|>)?\s*([0-9]+(?:\.[0-9]+)*(?:\.\*)?)\s*")


def _parts(version: str) -> tuple[int, ...]:
    out = []
    for piece in version.split("."):
        digits = re.match(r"\d+", piece)
        out.append(int(digits.group()) if digits else 0)
    return tuple(out)


def _pad(v: tuple[int, ...], n: int) -> tuple[int, ...]:
    return v + (0,) * (n - len(v))


def _clause_ok(op: str, spec: str, version: tuple[int, ...]) -> bool:
    if spec.endswith(".*"):
        prefix = _parts(spec[:-2])
        same = version[:len(prefix)] == prefix
        return same if op in ("==", "") else not same
    want = _parts(spec)
    n = max(len(want), len(version))
    have, want_p = _pad(version, n), _pad(want, n)
    if op in ("==", "===", ""):
        return have == want_p
    if op == "!=":
        return have != want_p
    if op == ">=":
        return have >= want_p
    if op == "<=":
        return have <= want_p
    if op == ">":
        return have > want_p
    if op == "<":
        return have < want_p
    # ~=X.Y[.Z]: >= X.Y[.Z] and the same release prefix without its last part
    return have >= want_p and version[:len(want) - 1] == want[:-1]


def satisfies(version: str, requires: str) -> bool:
    """Whether `version` meets a PEP 440 specifier set like `>=3.10,<3.13` (numeric subset)."""
    have = _parts(version)
    for clause in requires.split(","):
        if not clause.strip():
            continue
        match = _CLAUSE.fullmatch(clause)
        if match is None:
            raise ValueError(f"cannot read the version requirement {requires!r}")
        if not _clause_ok(match.group(1) or "", match.group(2), have):
            return False
    return True


def choose(requested: str | None, requires: str | None, installed: list[str],
           matching: str) -> str | None:
    """The installation to use, or None when none fits. `requires` wins when present."""
    ordered = sorted(installed, key=_parts, reverse=True)
    if requires:
        return next((v for v in ordered if satisfies(v, requires)), None)
    if not requested:
        return None
    want = _parts(requested)
    if matching == "exact":
        return next((v for v in ordered if _pad(_parts(v), 3) == _pad(want, 3)), None)
    return next((v for v in ordered if _parts(v)[:2] == _pad(want, 2)[:2]), None)
