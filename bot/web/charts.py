"""Charts drawn on the server as SVG: bars, stacked by series, and horizontal bars with a value
each. No script and no third-party file; every label is escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#17324d", "#c0392b", "#e67e22", "#27ae60", "#8e44ad", "#2980b9", "#7f8c8d",
           "#d35400", "#16a085", "#f1c40f", "#2c3e50", "#e84393")


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def stacked(title: str, labels: list[str], series: dict[str, list[float]],
            width: int = 720, height: int = 220) -> Markup:
    """Vertical bars, one per label, each stacked from ``series`` (name: a value per label),
    with a legend; the label under every few bars."""
    pad_left, pad_bottom, pad_top = 36, 34, 10
    plot_w, plot_h = width - pad_left - 8, height - pad_bottom - pad_top
    totals = [sum(v[i] for v in series.values()) for i in range(len(labels))]
    top = max(totals, default=0) or 1
    step = plot_w / max(len(labels), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {width} {height + 18 * ((len(series) + 3) // 4)}" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<text x="{pad_left - 4}" y="{pad_top + 4}" text-anchor="end" class="axis">'
             f'{_number(top)}</text>',
             f'<text x="{pad_left - 4}" y="{pad_top + plot_h}" text-anchor="end" '
             'class="axis">0</text>',
             f'<line x1="{pad_left}" y1="{pad_top + plot_h}" x2="{width - 8}" '
             f'y2="{pad_top + plot_h}" stroke="#999"/>']
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        x = pad_left + i * step
        y = pad_top + plot_h
        for k, (name, values) in enumerate(series.items()):
            h = plot_h * values[i] / top
            if h > 0:
                y -= h
                parts.append(f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" '
                             f'height="{h:.1f}" fill="{colour(k)}"><title>{escape(label)} · '
                             f'{escape(name)}: {_number(values[i])}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{pad_top + plot_h + 14}" '
                         f'text-anchor="middle" class="axis">{escape(label[-5:])}</text>')
    for k, name in enumerate(series):
        lx, ly = pad_left + (k % 4) * 170, height + 18 * (k // 4) - 4
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="10" height="10" fill="{colour(k)}"/>'
                     f'<text x="{lx + 14}" y="{ly}" class="legend">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal(title: str, rows: list[tuple[str, float, str]], width: int = 720) -> Markup:
    """One bar per row (label, value, what to write after it), longest first as given."""
    bar_h, label_w = 20, 220
    height = max(1, len(rows)) * (bar_h + 4) + 6
    top = max((v for _, v, _ in rows), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}">'
             f'<title>{escape(title)}</title>']
    for i, (label, value, note) in enumerate(rows):
        y = 4 + i * (bar_h + 4)
        w = (width - label_w - 70) * value / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" class="axis">'
                     f'{escape(label)}</text><rect x="{label_w}" y="{y}" width="{w:.1f}" '
                     f'height="{bar_h}" fill="{colour(0)}"/><text x="{label_w + w + 6:.1f}" '
                     f'y="{y + 14}" class="legend">{escape(note)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _number(value: float) -> str:
    return f"{value:g}"
