"""The report's PNG charts: the top stories, weekly volume per source and per-story sparklines, as bytes.

Figures are built with `matplotlib.figure.Figure` and an explicit Agg canvas, never pyplot: no global
figure registry to leak into, no backend switch for the whole process, and safe in worker threads
(matplotlib's own advice for servers). PNG bytes are identical run to run for the same input.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.model import WeekReport
from reports.weeks import iso_week, week_start

DPI = 100
CHART_SIZE = (8.0, 4.0)  # inches: 800x400 px
SPARK_SIZE = (1.6, 0.4)  # inches: 160x40 px
NARROW_SIZE = (6.0, 4.4)  # inches: the email's 600 px column, legend below
NO_DATA_SIZE = (3.0, 1.0)
MAX_STORIES = 5
MAX_LABEL = 40
NARROW_LABEL = 90  # a legend below the plot has the figure's width
# Colour-blind-safe (Okabe-Ito); fixed so a topic does not change colour with matplotlib's defaults.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
# PNG metadata matplotlib would otherwise stamp with its version; without it bytes depend only on pixels.
PNG_METADATA = {"Software": None}


def story_chart(report: WeekReport, *, narrow: bool = False) -> bytes:
    """Line chart of papers a week of the top stories over 26 weeks; a week without data is a gap.

    `narrow` (email, 600 px): a smaller figure with the legend below the plot, so labels are not cut.
    """
    stories = [s for s in report.stories if s.series][:MAX_STORIES]
    if not stories:
        return no_data_png()
    weeks = [week for week, _ in stories[0].series]
    fig, ax = _figure(NARROW_SIZE if narrow else CHART_SIZE)
    limit = NARROW_LABEL if narrow else MAX_LABEL
    for colour, story in zip(PALETTE, stories, strict=False):
        papers = dict(story.series)
        values = [float(n) if (n := papers.get(w)) is not None else math.nan for w in weeks]
        ax.plot(
            range(len(weeks)),
            values,
            color=colour,
            marker="o",
            markersize=2.5,
            linewidth=1.6,
            label=_chart_text(_legend_name(story.label, limit), limit),
        )
    _week_axis(ax, weeks)
    ax.set_ylabel("papers a week", fontsize=9)
    ax.set_ylim(bottom=0)
    ax.set_title("The top stories: papers a week mentioning each", fontsize=11)
    if narrow:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32), fontsize=9, frameon=False)
    else:
        _legend(ax)
    return _png(fig)


def volume_chart(report: WeekReport) -> bytes:
    """Grouped bars: papers per ISO week for each source in `report.volume`."""
    if not report.volume:
        return no_data_png()
    counts = {(week, source): papers for week, source, papers in report.volume}
    weeks = _every_week(sorted({week for week, _ in counts}))  # a week without data stays on the axis, empty
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


def sparkline(series: Sequence[tuple[str, float | None]]) -> bytes:
    """A 160x40 px line of an (ISO week, value) series, its last point marked; a None week is a gap."""
    known = [v for _, v in series if v is not None]
    if not known:
        return no_data_png(SPARK_SIZE)
    values = [math.nan if v is None else v for _, v in sorted(series)]
    fig = Figure(figsize=SPARK_SIZE, dpi=DPI)
    ax = fig.add_axes((0.02, 0.1, 0.96, 0.8))
    ax.plot(range(len(values)), values, color=PALETTE[0], linewidth=1.2)
    if not math.isnan(values[-1]):
        ax.plot([len(values) - 1], [values[-1]], color=PALETTE[5], marker="o", markersize=2.5)
    ax.set_axis_off()
    ax.set_xlim(-0.5, len(values) - 0.5)
    # A flat series would otherwise get an arbitrary autoscaled band; centre it instead.
    if max(known) == min(known):
        ax.set_ylim(known[0] - 1, known[0] + 1)
    else:
        ax.set_ylim(bottom=0)
    return _png(fig)


def no_data_png(size: tuple[float, float] = NO_DATA_SIZE) -> bytes:
    """A small grey PNG that says "no data", for charts with nothing to draw."""
    fig = Figure(figsize=size, dpi=DPI)
    fig.text(0.5, 0.5, "no data", ha="center", va="center", color="#777777", fontsize=10 if size[1] >= 0.8 else 7)
    return _png(fig)


def _legend_name(label: str, limit: int) -> str:
    """A story's name for a legend: "OPD (on-policy distillation)" as "OPD" when the whole would be cut."""
    return label.partition(" (")[0] if len(label) > limit else label


def _every_week(weeks: list[str]) -> list[str]:
    """Every ISO week from the first to the last of `weeks` ('2025-W01'), so missing weeks show as gaps."""
    if not weeks:
        return []
    first, last = week_start(weeks[0]), week_start(weeks[-1])
    return [iso_week(first + timedelta(weeks=n)) for n in range((last - first).days // 7 + 1)]


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
