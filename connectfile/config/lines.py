"""Map every key and array element of TOML text to its line (tomlkit keeps no line numbers)."""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BLANK = " \t"


def format_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """`("apps", "web", "files", 1, "from")` -> `apps.web.files[1].from`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def line_map(text: str) -> dict[str, int]:
    """Dotted key path (as `format_path` writes it) -> 1-based line of its first appearance.

    Assumes `text` is valid TOML (tomlkit parsed it already); tables named only through a
    longer header (`[apps.web]` defines `apps`) get that header's line.
    """
    return _Scanner(text).run()


def duplicate_line(text: str) -> int:
    """The line where a key or table is defined a second time; 0 when there is none."""
    scanner = _Scanner(text)
    scanner.run()
    return scanner.duplicate


class _Scanner:
    """A structure-only TOML reader: it tracks keys, headers and nesting, not values."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[str, int] = {}
        self.aot_counts: dict[str, int] = {}
        self.defined: set[str] = set()
        self.duplicate = 0

    def run(self) -> dict[str, int]:
        table: tuple[str | int, ...] = ()
        while self._skip_blank_lines():
            start = self.pos
            if self.text.startswith("[[", self.pos):
                self.pos += 2
                name = self._key()
                self._expect("]]")
                base = format_path(name)
                index = self.aot_counts.get(base, 0)
                self.aot_counts[base] = index + 1
                table = (*name, index)
                self._record_prefixes(table)
            elif self.text.startswith("[", self.pos):
                self.pos += 1
                table = tuple(self._key())
                self._expect("]")
                self._record_prefixes(table)
                self._define(table)
            else:
                key = self._key()
                self._record_prefixes((*table, *key))
                self._define((*table, *key))
                self._expect("=")
                self._value((*table, *key))
            self._skip_to_line_end()
            if self.pos == start:  # something this reader does not know: never loop on it
                self._advance()
        return self.lines

    def _define(self, parts: tuple[str | int, ...]) -> None:
        path = format_path(parts)
        if path in self.defined and not self.duplicate:
            self.duplicate = self.line
        self.defined.add(path)

    def _record_prefixes(self, parts: tuple[str | int, ...]) -> None:
        for i in range(1, len(parts) + 1):
            self.lines.setdefault(format_path(parts[:i]), self.line)

    # -- lexical helpers -------------------------------------------------------------------

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def _skip_blank(self, newlines: bool = False) -> None:
        """Skip spaces (and, inside arrays, newlines and comments)."""
        while True:
            ch = self._peek()
            if ch and (ch in _BLANK or (newlines and ch in "\r\n")):
                self._advance()
            elif newlines and ch == "#":
                self._skip_comment()
            else:
                return

    def _skip_comment(self) -> None:
        end = self.text.find("\n", self.pos)
        self._advance((len(self.text) if end < 0 else end) - self.pos)

    def _skip_blank_lines(self) -> bool:
        """Move to the next meaningful character; False at the end of the text."""
        self._skip_blank(newlines=True)
        return self.pos < len(self.text)

    def _skip_to_line_end(self) -> None:
        self._skip_blank()
        if self._peek() == "#":
            self._skip_comment()

    def _expect(self, token: str) -> None:
        self._skip_blank()
        if self.text.startswith(token, self.pos):
            self._advance(len(token))
        self._skip_blank()

    def _key(self) -> list[str | int]:
        parts: list[str | int] = []
        while True:
            self._skip_blank()
            ch = self._peek()
            if ch in ('"', "'"):
                parts.append(self._string())
            else:
                match = _BARE.match(self.text, self.pos)
                if not match:
                    return parts
                parts.append(match.group())
                self._advance(match.end() - self.pos)
            self._skip_blank()
            if self._peek() != ".":
                return parts
            self._advance()

    def _string(self) -> str:
        """Read a string starting at pos; returns its raw content (escapes left as written)."""
        quote = self._peek()
        if self.text.startswith(quote * 3, self.pos):
            end = self.text.find(quote * 3, self.pos + 3)
            while quote == '"' and end > 0 and _escaped(self.text, end):
                end = self.text.find(quote * 3, end + 1)
            end = len(self.text) if end < 0 else end
            while self.text.startswith(quote, end + 3):  # up to two quotes may close it
                end += 1
            content = self.text[self.pos + 3 : end]
            self._advance(end + 3 - self.pos)
            return content
        end = self.pos + 1
        while end < len(self.text) and self.text[end] != quote:
            end += 2 if quote == '"' and self.text[end] == "\\" else 1
        content = self.text[self.pos + 1 : end]
        self._advance(end + 1 - self.pos)
        return content

    def _value(self, path: tuple[str | int, ...]) -> None:
        ch = self._peek()
        if ch in ('"', "'"):
            self._string()
        elif ch == "[":
            self._advance()
            index = 0
            while True:
                self._skip_blank(newlines=True)
                if self._peek() in ("]", ""):
                    self._advance()
                    return
                self.lines.setdefault(format_path((*path, index)), self.line)
                start = self.pos
                self._value((*path, index))
                index += 1
                self._skip_blank(newlines=True)
                if self._peek() == "," or self.pos == start:
                    self._advance()
        elif ch == "{":
            self._advance()
            while True:
                self._skip_blank()
                if self._peek() in ("}", ""):
                    self._advance()
                    return
                start = self.pos
                key = self._key()
                self._record_prefixes((*path, *key))
                self._expect("=")
                self._value((*path, *key))
                self._skip_blank()
                if self._peek() == "," or self.pos == start:
                    self._advance()
        else:
            match = re.compile(r"[^,\]}\s#]+( [0-9:.+\-Z]+)?").match(self.text, self.pos)
            if match:
                self._advance(match.end() - self.pos)


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1
