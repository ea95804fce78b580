"""Labelled message files, as ``quytac eval`` and ``quytac model train`` read them.

A file is CSV (or TSV) with a text column and a label column. Known layouts are recognised by
their header (ViHSD: ``free_text,label_id``; Davidson 2017: ``tweet,class``); any other file
needs the columns and the labels that mean "violation". ``FILE#a`` and ``FILE#b`` are the two
halves of a file, by a hash of each text: one half can train while the other is measured.
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass, field
from pathlib import Path

# header columns -> (text column, label column, positive labels, label names)
KNOWN_LAYOUTS = {
    ("free_text", "label_id"): ("free_text", "label_id", {"1", "2"},
                                {"0": "clean", "1": "offensive", "2": "hate"}),
    ("tweet", "class"): ("tweet", "class", {"0", "1"},
                         {"0": "hate", "1": "offensive", "2": "neither"}),
}
HALVES = ("a", "b")


class DataError(Exception):
    """A labelled file that cannot be read as asked, with the file and what is wrong."""


@dataclass
class Layout:
    text: str
    label: str
    positive: set[str]
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    text: str
    label: str
    positive: bool


@dataclass
class Labelled:
    path: Path
    half: str  # "" for the whole file
    layout: Layout
    rows: list[Row]

    @property
    def name(self) -> str:
        return f"{self.path}#{self.half}" if self.half else str(self.path)


def half_of(text: str) -> str:
    """Which half of its file a text is in (stable across runs and machines)."""
    return HALVES[zlib.crc32(text.encode("utf-8", "surrogatepass")) % 2]


def split_spec(spec: str) -> tuple[Path, str]:
    """``data.csv#a`` -> (data.csv, "a"); a file without ``#`` is whole."""
    path, sep, half = spec.rpartition("#")
    if sep and half in HALVES:
        return Path(path), half
    return Path(spec), ""


def layout_for(header: list[str], text_col: str | None = None, label_col: str | None = None,
               positive: str | None = None) -> Layout | str:
    """The layout of a file with this header (given columns win), or why there is none."""
    for (t, lab), (text, label, pos, names) in KNOWN_LAYOUTS.items():
        if t in header and lab in header:
            layout = Layout(text, label, set(pos), dict(names))
            break
    else:
        layout = Layout(text_col or "", label_col or "", set(), {})
    if text_col:
        layout.text = text_col
    if label_col:
        layout.label = label_col
    if positive:
        layout.positive = {p.strip() for p in positive.split(",") if p.strip()}
    for option, column in (("--text-col", layout.text), ("--label-col", layout.label)):
        if not column:
            return f"unknown layout: give {option} (columns: {', '.join(header)})"
        if column not in header:
            return f"{option} {column!r} is not a column (columns: {', '.join(header)})"
    if not layout.positive:
        return "give --positive: the labels that mean 'violation'"
    return layout


def read_labelled(spec: str, text_col: str | None = None, label_col: str | None = None,
                  positive: str | None = None) -> Labelled:
    """Read ``spec`` (a path, or a path and ``#a``/``#b``); ``DataError`` says what is wrong."""
    path, half = split_spec(spec)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    first = raw.split("\n", 1)[0]
    dialect = "excel-tab" if path.suffix.lower() == ".tsv" or first.count("\t") else "excel"
    records = list(csv.DictReader(raw.splitlines(), dialect=dialect))
    header = list(records[0].keys()) if records else []
    layout = layout_for(header, text_col, label_col, positive)
    if isinstance(layout, str):
        raise DataError(f"{path}: {layout}")
    rows = []
    for record in records:
        text = record.get(layout.text) or ""
        if half and half_of(text) != half:
            continue
        label = (record.get(layout.label) or "").strip()
        rows.append(Row(text, label, label in layout.positive))
    return Labelled(path, half, layout, rows)
