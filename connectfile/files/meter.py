"""Hooks long steps report progress to; the CLI plugs in a display, everything else a no-op."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import IO, Final, Protocol

Meter = Callable[[int], None]  # called with the number of bytes just handled


class Progress(Protocol):
    """What bundle writing, uploads and planning tell a progress display."""

    def transfer(self, label: str, total: int) -> AbstractContextManager[Meter]:
        """Bytes of `total` handled for `label` ("web: bundle"), reported to the Meter."""
        ...

    def working(self, label: str) -> AbstractContextManager[None]:
        """A step that may be slow ("hashing web"); shown only if it is silent for a while."""
        ...


def _ignore(_: int) -> None:
    pass


class _Silent:
    def transfer(self, label: str, total: int) -> AbstractContextManager[Meter]:
        return nullcontext(_ignore)

    def working(self, label: str) -> AbstractContextManager[None]:
        return nullcontext()


NO_PROGRESS: Final[Progress] = _Silent()


class MeteredReader:
    """A binary file that reports each read to a Meter (for a streamed upload body).

    `__len__` gives requests the length up front, so it sends Content-Length, not chunks.
    """

    def __init__(self, source: IO[bytes], size: int, meter: Meter) -> None:
        self._source = source
        self._size = size
        self._meter = meter

    def __len__(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        if data:
            self._meter(len(data))
        return data

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(1 << 16):
            yield chunk
