"""The report's PNG charts: topic shares, weekly volume per source and per-topic sparklines, as bytes.

Figures are built with `matplotlib.figure.Figure` and an explicit Agg canvas, never pyplot: no global
figure registry to leak into, no backend switch for the whole process, and safe in worker threads
(matplotlib's own advice for servers). PNG bytes are identical run to run for the same input.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from functools import lru_cache

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.model import TopicTrend, WeekReport
from reports.terms import horizon_words

DPI = 100
CHART_SIZE = (8.0, 4.0)  # inches: 800x400 px
SPARK_SIZE = (1.6, 0.4)  # inches: 160x40 px
NARROW_SIZE = (6.0, 4.4)  # inches: the email's 600 px column, legend below
NO_DATA_SIZE = (3.0, 1.0)
MAX_TOPICS = 5
MAX_LABEL = 40
NARROW_LABEL = 90  # a legend below the plot has the figure's width
HORIZON_PREFERENCE = ("momentum", "week")
# Colour-blind-safe (Okabe-Ito); fixed so a topic does not change colour with matplotlib's defaults.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# PNG metadata matplotlib would otherwise stamp with its version; without it bytes depend only on pixels.
PNG_METADATA = {"Software": None}


def topic_share_chart(report: WeekReport, *, narrow: bool = False) -> bytes:
    """Line chart of weekly share (%) of the top rising topics (momentum horizon preferred, else week).

    `narrow` (email, 600 px): a smaller figure with the legend below the plot, so labels are not cut.
    """
    topics = rising_topics(report.topics)
    if not topics:
        return no_data_png()
    weeks = sorted({week for topic in topics for week, _ in topic.series})
    fig, ax = _figure(NARROW_SIZE if narrow else CHART_SIZE)
    for colour, topic in zip(PALETTE, topics, strict=False):
        shares = dict(topic.series)
        points = [(i, shares[w] * 100) for i, w in enumerate(weeks) if w in shares]
        ax.plot(
            [x for x, _ in points],
            [y for _, y in points],
            color=colour,
            marker="o",
            markersize=3,
            linewidth=1.8,
            label=_chart_text(topic.label, NARROW_LABEL if narrow else MAX_LABEL),
        )
    _week_axis(ax, weeks)
    ax.set_ylabel("share of papers (%)", fontsize=9)
    ax.set_ylim(bottom=0)
    ax.set_title(f"Rising topics ({horizon_words(topics[0].horizon)}), share per week", fontsize=11)
    if narrow:
        ax.set_title(f"Share of papers per week, topics rising ({horizon_words(topics[0].horizon)})", fontsize=11)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32), fontsize=9, frameon=False)
    else:
        _legend(ax)
    return _png(fig)


def volume_chart(report: WeekReport) -> bytes:
    """Grouped bars: papers per ISO week for each source in `report.volume`."""
    if not report.volume:
        return no_data_png()
    counts = {(week, source): papers for week, source, papers in report.volume}
    weeks = sorted({week for week, _ in counts})
    sources = sorted({source for _, source in counts})
    width = 0.8 / len(sources)
    fig, ax = _figure(CHART_SIZE)
    for n, (colour, source) in enumerate(zip(_cycle(PALETTE, len(sources)), sources, strict=True)):
        offset = (n - (len(sources) - 1) / 2) * width
        ax.bar(
            [i + offset for i in range(len(weeks))],
            [counts.get((w, source), 0) for w in weeks],
            width=width,
            color=colour,
            label=_chart_text(source),
        )
    _week_axis(ax, weeks)
    ax.set_ylabel("papers", fontsize=9)
    ax.set_title("Papers per week by source", fontsize=11)
    _legend(ax)
    return _png(fig)


def sparkline(series: Sequence[tuple[str, float]]) -> bytes:
    """A 160x40 px line of one topic's (ISO week, share) series, its last point marked."""
    if not series:
        return no_data_png(SPARK_SIZE)
    values = [share for _, share in sorted(series)]
    fig = Figure(figsize=SPARK_SIZE, dpi=DPI)
    ax = fig.add_axes((0.02, 0.1, 0.96, 0.8))
    ax.plot(range(len(values)), values, color=PALETTE[0], linewidth=1.2)
    ax.plot([len(values) - 1], [values[-1]], color=PALETTE[5], marker="o", markersize=2.5)
    ax.set_axis_off()
    # A flat series would otherwise get an arbitrary autoscaled band; centre it instead.
    if max(values) == min(values):
        ax.set_ylim(values[0] - 1, values[0] + 1)
    return _png(fig)


def no_data_png(size: tuple[float, float] = NO_DATA_SIZE) -> bytes:
    """A small grey PNG that says "no data", for charts with nothing to draw."""
    fig = Figure(figsize=size, dpi=DPI)
    fig.text(0.5, 0.5, "no data", ha="center", va="center", color="#777777", fontsize=10 if size[1] >= 0.8 else 7)
    return _png(fig)


def rising_topics(topics: Iterable[TopicTrend], limit: int = MAX_TOPICS) -> list[TopicTrend]:
    """The highest-scoring topics with a series, from the preferred horizon that has any."""
    with_series = [t for t in topics if t.series]
    for horizon in HORIZON_PREFERENCE:
        chosen = [t for t in with_series if t.horizon == horizon]
        if chosen:
            # topic_id breaks ties so equal scores always give the same chart.
            return sorted(chosen, key=lambda t: (-t.score, t.topic_id))[:limit]
    return []


def _figure(size: tuple[float, float]) -> tuple[Figure, Axes]:
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8)
    return fig, ax


def _week_axis(ax: Axes, weeks: list[str]) -> None:
    # Weeks are categories: plotted at 0..n-1 and labelled, every other label when crowded.
    step = 1 if len(weeks) <= 10 else 2
    ticks = list(range(len(weeks)))[::-1][::step][::-1]  # always label the latest week
    ax.set_xticks(ticks, [weeks[i] for i in ticks], rotation=45, ha="right")
    ax.set_xlim(-0.6, len(weeks) - 0.4)


def _legend(ax: Axes) -> None:
    # Outside the axes, so it never hides a line or bar; constrained layout makes room.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buffer, metadata=PNG_METADATA)
    return buffer.getvalue()


def _cycle(colours: Sequence[str], n: int) -> list[str]:
    return [colours[i % len(colours)] for i in range(n)]


def _chart_text(text: str, limit: int = MAX_LABEL) -> str:
    """`text` made safe for a chart: no mathtext, no glyphs the font lacks (they warn), not too long."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    covered = _font_charmap()
    return "".join(c if ord(c) in covered else "?" for c in short).replace("$", r"\$")


@lru_cache(maxsize=1)
def _font_charmap() -> frozenset[int]:
    path = font_manager.findfont(font_manager.FontProperties(), fallback_to_default=True)
    return frozenset(font_manager.get_font(path).get_charmap())
