"""Charts as inline SVG drawn from numbers only: bars of a weekly series, a line of upvotes over time.

No script and no external file: the page's Content-Security-Policy allows
neither. The only text (the accessible title) is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 120


def bars(series: Sequence[tuple[str, float | None]], title: str, *, highlight: str | None = None) -> Markup:
    """A bar per week of `series` ((label, value); None: no data, drawn as a gap), `highlight` in the accent
    colour, the first and last labels under the axis; scales to its container's width."""
    if not series:
        return Markup("")
    top = max((v for _, v in series if v is not None), default=0) or 1
    step = WIDTH / len(series)
    parts = []
    for i, (label, value) in enumerate(series):
        if value is None:
            continue
        h = max(1.0, (HEIGHT - 20) * value / top) if value else 0.0
        css = "bar now" if label == highlight else "bar"
        parts.append(
            f'<rect class="{css}" x="{i * step + 1:.1f}" y="{HEIGHT - 16 - h:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{h:.1f}"><title>{escape(label)}: {value:g}</title></rect>'
        )
    first, last = escape(series[0][0]), escape(series[-1][0])
    parts.append(f'<text x="0" y="{HEIGHT - 2}" class="axis">{first}</text>')
    parts.append(f'<text x="{WIDTH}" y="{HEIGHT - 2}" class="axis end">{last}</text>')
    parts.append(f'<text x="0" y="10" class="axis">{top:g}</text>')
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" preserveAspectRatio="none">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def line(points: Sequence[tuple[str, float]], title: str) -> Markup:
    """A line through `points` ((label, value), oldest first), with the first and last labels."""
    if len(points) < 2:
        return Markup("")
    top = max(v for _, v in points) or 1
    step = WIDTH / (len(points) - 1)
    path = " ".join(f"{i * step:.1f},{HEIGHT - 16 - (HEIGHT - 26) * v / top:.1f}" for i, (_, v) in enumerate(points))
    first, last = escape(points[0][0]), escape(points[-1][0])
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" preserveAspectRatio="none">'
        f'<title>{escape(title)}</title><polyline class="line" points="{path}"/>'
        f'<text x="0" y="{HEIGHT - 2}" class="axis">{first}</text>'
        f'<text x="{WIDTH}" y="{HEIGHT - 2}" class="axis end">{last}</text>'
        f'<text x="0" y="10" class="axis">{top:g}</text></svg>'
    )
