"""Inline SVG charts drawn in Python (no script, no external file): lines and bars.

Every label is escaped; each data mark carries its value in a `data-value` attribute. A hidden
(suppressed) figure draws no mark: a gap in a line, an empty bar slot marked as suppressed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 48
COLOURS = ("#1f6f8b", "#d1495b", "#edae49", "#66a182", "#00798c", "#8d6a9f")


@dataclass(frozen=True)
class Series:
    """A named line: one value (or None, a gap) per x position."""

    label: str
    values: Sequence[float | None]


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _frame(title: str, body: list[str], legend: list[str]) -> str:
    label = escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
        f"<title>{label}</title>"
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#888"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#888"/>'
        + "".join(body)
        + "".join(legend)
        + "</svg>"
    )


def _y(value: float, lo: float, hi: float) -> float:
    span = (hi - lo) or 1.0
    clipped = min(max(value, lo), hi)
    return HEIGHT - BOTTOM - (clipped - lo) / span * (HEIGHT - TOP - BOTTOM)


def _axis(lo: float, hi: float, as_percent: bool) -> list[str]:
    out = []
    for tick in (lo, (lo + hi) / 2, hi):
        text = f"{tick * 100:.0f}%" if as_percent else f"{tick:.3g}"
        out.append(
            f'<text x="{LEFT - 6}" y="{_fmt(_y(tick, lo, hi) + 4)}" text-anchor="end" '
            f'font-size="11">{escape(text)}</text>'
        )
    return out


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    lo: float = 0.0,
    hi: float = 1.0,
    as_percent: bool = True,
) -> str:
    """A line chart: one polyline per run of shown values, a circle per point."""
    n = max(len(x_labels), 1)
    step = (WIDTH - LEFT - RIGHT) / max(n - 1, 1)
    body = _axis(lo, hi, as_percent)
    for i, label in enumerate(x_labels):
        if n <= 12 or i % max(1, n // 8) == 0:
            body.append(
                f'<text x="{_fmt(LEFT + i * step)}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle" font-size="10">{escape(label)}</text>'
            )
    legend = []
    for k, line in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(line.values):
            if value is None:
                runs.append([])
                continue
            x, y = _fmt(LEFT + i * step), _fmt(_y(value, lo, hi))
            runs[-1].append(f"{x},{y}")
            body.append(
                f'<circle class="point" cx="{x}" cy="{y}" r="2.5" fill="{colour}" '
                f'data-value="{value:.4g}"><title>{escape(x_labels[i])}: '
                f"{escape(line.label)} {value:.4g}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                body.append(
                    f'<polyline class="series" fill="none" stroke="{colour}" '
                    f'stroke-width="2" points="{" ".join(run)}"/>'
                )
        legend.append(
            f'<rect x="{LEFT + 150 * k}" y="{HEIGHT - 18}" width="10" height="10" '
            f'fill="{colour}"/><text x="{LEFT + 150 * k + 14}" y="{HEIGHT - 9}" '
            f'font-size="11">{escape(line.label)}</text>'
        )
    return _frame(title, body, legend)


def bar_chart(
    title: str,
    bars: Sequence[tuple[str, float | None]],
    *,
    lo: float = 0.0,
    hi: float | None = None,
    as_percent: bool = False,
    hidden: str = "suppressed",
) -> str:
    """A bar chart: a rect per shown value, the word `hidden` where a figure is suppressed."""
    top = hi if hi is not None else max([v for _, v in bars if v is not None] + [lo + 1.0])
    n = max(len(bars), 1)
    slot = (WIDTH - LEFT - RIGHT) / n
    body = _axis(lo, top, as_percent)
    for i, (label, value) in enumerate(bars):
        x = LEFT + i * slot + slot * 0.15
        width = slot * 0.7
        centre = _fmt(x + width / 2)
        body.append(
            f'<text x="{centre}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="10">{escape(label[:24])}</text>'
        )
        if value is None:
            body.append(
                f'<text x="{centre}" y="{HEIGHT - BOTTOM - 6}" text-anchor="middle" '
                f'font-size="10" fill="#888">{escape(hidden)}</text>'
            )
            continue
        y = _y(value, lo, top)
        shown = f"{value * 100:.0f}%" if as_percent else f"{value:.1f}"
        body.append(
            f'<rect class="bar" x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(width)}" '
            f'height="{_fmt(HEIGHT - BOTTOM - y)}" fill="{COLOURS[0]}" '
            f'data-value="{value:.4g}"><title>{escape(label)}: {escape(shown)}</title></rect>'
            f'<text x="{centre}" y="{_fmt(y - 4)}" text-anchor="middle" '
            f'font-size="10">{escape(shown)}</text>'
        )
    return _frame(title, body, [])
