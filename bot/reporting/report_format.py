"""How report figures are written: shares as percentages, counts whole, the rest one decimal."""

from __future__ import annotations

from bot.reporting.cells import Shown

SHARE_UNITS = ("share", "share of capacity")


def display(shown: Shown | None, *, suppressed: str, no_data: str) -> str:
    """A figure as text for people (HTML): '42%', '12', '51.3', or a mark."""
    if shown is None:
        return ""
    if shown.suppressed:
        return suppressed
    value = shown.value
    if value is None:
        return no_data
    unit = shown.cell.unit
    if unit in SHARE_UNITS:
        return f"{value * 100:.0f}%"
    if unit == "sessions":
        return f"{value:.0f}"
    return f"{value:.1f}"


def number(shown: Shown | None) -> str:
    """A figure for CSV: a plain number (shares as fractions), blank when hidden or missing."""
    if shown is None or shown.value is None:
        return ""
    value = shown.value
    if shown.cell.unit == "sessions":
        return f"{value:.0f}"
    return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
