"""Progress of long work on a terminal (evaluation, training, exports); silent when piped."""

from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, TextIO, TypeVar

T = TypeVar("T")


class Progress:
    """``for x in Progress(items, "scoring", total)``: a line on stderr that rewrites itself at
    most ten times a second, and nothing at all when stderr is not a terminal."""

    def __init__(self, items: Iterable[T], label: str, total: int | None = None,
                 stream: TextIO | None = None) -> None:
        self.items = items
        self.label = label
        self.total = total if total is not None else (len(items) if hasattr(items, "__len__")
                                                       else None)  # type: ignore[arg-type]
        self.stream = stream or sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())

    def __iter__(self) -> Iterator[T]:
        shown = 0.0
        start = time.monotonic()
        done = 0
        for item in self.items:
            yield item
            done += 1
            now = time.monotonic()
            if self.live and now - shown >= 0.1:
                shown = now
                self._show(done, now - start)
        if self.live:
            self._show(done, time.monotonic() - start)
            self.stream.write("\n")
            self.stream.flush()

    def _show(self, done: int, seconds: float) -> None:
        if self.total:
            text = f"\r{self.label}: {done:,}/{self.total:,} ({100 * done / self.total:.0f}%)"
        else:
            text = f"\r{self.label}: {done:,}"
        rate = done / seconds if seconds > 0 else 0
        self.stream.write(f"{text}, {rate:,.0f}/s ")
        self.stream.flush()


def note(text: str, stream: TextIO | None = None) -> None:
    """A step of long work, on a terminal only."""
    out = stream or sys.stderr
    if getattr(out, "isatty", lambda: False)():
        out.write(text + "\n")
        out.flush()
