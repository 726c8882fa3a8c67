"""Small server-side SVG charts: no script, nothing from the internet, readable without colour.

Each chart is an <svg role="img"> with a <title> and a text description; the page puts a table
with the same numbers beside it for screen readers and for copying. All text is escaped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

INK, GRID, MUTED = "#1a1a1a", "#d0d0d0", "#555555"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    colour: str


def _svg(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"
    )
    return Markup(head + "".join(body) + "</svg>")


def _legend(series: list[Series], x: int, y: int) -> list[str]:
    parts, offset = [], x
    for s in series:
        parts.append(f'<rect x="{offset}" y="{y - 10}" width="12" height="12" fill="{s.colour}"/>')
        parts.append(f'<text x="{offset + 16}" y="{y}" {FONT} fill="{INK}">{escape(s.name)}</text>')
        offset += 24 + 7 * len(s.name)
    return parts


def stacked_bars(title: str, labels: list[str], series: list[Series], width: int = 640, height: int = 240) -> Markup:
    """Bars per label, the series stacked; the total above each bar."""
    left, bottom, top = 36, 40, 30
    plot_h, n = height - bottom - top, max(len(labels), 1)
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    peak = max(totals + [1])
    step = (width - left - 8) / n
    bar = max(step * 0.7, 2)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 4}" y2="{top + plot_h}" stroke="{GRID}"/>',
        f'<text x="4" y="{top + 4}" {FONT} fill="{MUTED}">{peak:g}</text>',
        f'<text x="4" y="{top + plot_h}" {FONT} fill="{MUTED}">0</text>',
    ]
    for i, label in enumerate(labels):
        x, y = left + i * step + (step - bar) / 2, float(top + plot_h)
        for s in series:
            h = s.values[i] / peak * plot_h
            if h > 0:
                y -= h
                body.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{s.colour}">'
                    f"<title>{escape(label)}: {escape(s.name)} {s.values[i]:g}</title></rect>"
                )
        if totals[i]:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" {FONT} text-anchor="middle" '
                f'fill="{INK}">{totals[i]:g}</text>'
            )
        if n <= 16 or i % 2 == 0:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 16}" {FONT} text-anchor="middle" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
    body += _legend(series, left, height - 6)
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{s.name} {s.values[i]:g}" for s in series) for i, label in enumerate(labels)
    )
    return _svg(width, height, title, desc, body)


def rate_line(
    title: str,
    labels: list[str],
    series: list[tuple[str, list[float | None], str]],
    width: int = 640,
    height: int = 200,
) -> Markup:
    """Rates (0..1) per label as lines with dots; a gap where there is no value."""
    left, bottom, top = 40, 40, 16
    plot_h, n = height - bottom - top, max(len(labels), 1)
    step = (width - left - 8) / n
    body = []
    for mark in (0, 0.5, 1):
        y = top + plot_h * (1 - mark)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 4}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="4" y="{y + 4:.1f}" {FONT} fill="{MUTED}">{int(mark * 100)} %</text>')
    for name, values, colour in series:
        points = [(left + i * step + step / 2, top + plot_h * (1 - v)) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), value in zip(points, [v for v in values if v is not None], strict=True):  # both skip the Nones
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(name)} {value:.0%}</title></circle>"
            )
    for i, label in enumerate(labels):
        if n <= 16 or i % 2 == 0:
            body.append(
                f'<text x="{left + i * step + step / 2:.1f}" y="{top + plot_h + 16}" {FONT} '
                f'text-anchor="middle" fill="{MUTED}">{escape(label)}</text>'
            )
    body += _legend([Series(name, [], colour) for name, _, colour in series], left, height - 6)
    desc = "; ".join(
        f"{name}: "
        + ", ".join(f"{label} {'–' if v is None else f'{v:.0%}'}" for label, v in zip(labels, values, strict=False))
        for name, values, _ in series
    )
    return _svg(width, height, title, desc, body)


def hbars(title: str, rows: list[tuple[str, list[float]]], series: list[tuple[str, str]], width: int = 640) -> Markup:
    """Horizontal bars, one row per label, segments per series (e.g. 👍 and 👎 per topic)."""
    label_w, row_h, top = 230, 22, 8
    height = top + row_h * max(len(rows), 1) + 28
    peak = max([sum(values) for _, values in rows] + [1])
    scale = (width - label_w - 40) / peak
    body = []
    for i, (label, values) in enumerate(rows):
        y, x = top + i * row_h, float(label_w)
        body.append(
            f'<text x="{label_w - 6}" y="{y + 14}" {FONT} text-anchor="end" fill="{INK}">{escape(label[:34])}</text>'
        )
        for (name, colour), value in zip(series, values, strict=False):
            if value:
                body.append(
                    f'<rect x="{x:.1f}" y="{y + 3}" width="{value * scale:.1f}" height="{row_h - 8}" '
                    f'fill="{colour}"><title>{escape(label)}: {escape(name)} {value:g}</title></rect>'
                )
                x += value * scale
        body.append(
            f'<text x="{x + 4:.1f}" y="{y + 14}" {FONT} fill="{MUTED}">{" / ".join(f"{v:g}" for v in values)}</text>'
        )
    body += _legend([Series(name, [], colour) for name, colour in series], label_w, height - 6)
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{name} {v:g}" for (name, _), v in zip(series, values, strict=False))
        for label, values in rows
    )
    return _svg(width, height, title, desc, body)
