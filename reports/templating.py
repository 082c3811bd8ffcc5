"""The one Jinja2 environment of what papertrend writes for people (the weekly report, the emails) and the
filters both share, so a number reads the same in a report and in a message."""

from __future__ import annotations

import math

import jinja2


def template_environment(*, html: bool, loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """An environment escaping HTML when `html`, failing on an undefined name, keeping each file's line breaks;
    with the shared filters `rise` and `per_week`. Callers add filters of their own."""
    env = jinja2.Environment(
        loader=loader,
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(rise=rise_words, per_week=per_week_words)
    return env


def rise_words(value: float) -> str:
    """A story's growth as a clause: '2.5× its usual share', 'new' without a baseline, 'share unknown'."""
    if math.isnan(value):
        return "share unknown"
    return "new" if math.isinf(value) else f"{value:.1f}× its usual share"


def per_week_words(value: float | None) -> str:
    """Papers a week as a reader takes them in: '2', '0.4', '–' when unknown."""
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
