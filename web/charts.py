"""Charts as inline SVG drawn from numbers only: bars of a weekly series, a line of upvotes over time.

No script and no external file: the page's Content-Security-Policy allows
neither. The only text (the accessible title) is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 100


def bars(series: Sequence[tuple[str, float | None]], title: str, *, highlight: str | None = None) -> Markup:
    """A bar per week of `series` ((label, value); None: no data, drawn as a gap), `highlight` in the accent
    colour; the first and last labels and the top value under it, as text (an SVG stretched to its
    container's width would stretch its own text too)."""
    if not series:
        return Markup("")
    top = max((v for _, v in series if v is not None), default=0) or 1
    step = WIDTH / len(series)
    parts = []
    for i, (label, value) in enumerate(series):
        if value is None:
            continue
        h = max(1.0, (HEIGHT - 4) * value / top) if value else 0.0
        css = "bar now" if label == highlight else "bar"
        parts.append(
            f'<rect class="{css}" x="{i * step + 1:.1f}" y="{HEIGHT - h:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{h:.1f}"><title>{escape(label)}: {value:g}</title></rect>'
        )
    return _figure(title, "".join(parts), series[0][0], series[-1][0], f"highest: {top:g} a week")


def line(points: Sequence[tuple[str, float]], title: str) -> Markup:
    """A line through `points` ((label, value), oldest first), with the first and last labels and the top value."""
    if len(points) < 2:
        return Markup("")
    top = max(v for _, v in points) or 1
    step = WIDTH / (len(points) - 1)
    path = " ".join(f"{i * step:.1f},{HEIGHT - 2 - (HEIGHT - 6) * v / top:.1f}" for i, (_, v) in enumerate(points))
    return _figure(title, f'<polyline class="line" points="{path}"/>', points[0][0], points[-1][0], f"highest: {top:g}")


def _figure(title: str, shapes: str, first: str, last: str, top: str) -> Markup:
    return Markup(
        f'<figure class="chart"><svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" preserveAspectRatio="none">'
        f"<title>{escape(title)}</title>{shapes}</svg>"
        f'<figcaption class="axis"><span>{escape(first)}</span><span>{escape(top)}</span>'
        f"<span>{escape(last)}</span></figcaption></figure>"
    )
