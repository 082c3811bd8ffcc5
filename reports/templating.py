"""The one Jinja2 environment of what papertrend writes for people (the weekly report, the emails) and the
filters both share, so a number reads the same in a report and in a message."""

from __future__ import annotations

import math

import jinja2

from reports.terms import horizon_words


def template_environment(*, html: bool, loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """An environment escaping HTML when `html`, failing on an undefined name, keeping each file's line breaks;
    with the shared filters `growth` and `horizon`. Callers add filters of their own."""
    env = jinja2.Environment(
        loader=loader,
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(growth=growth_words, share_change=share_change_words, horizon=horizon_words)
    return env


def share_change_words(value: float) -> str:
    """The growth as a clause for prose (the emails): '2.4× their share of the weeks before', 'none in the
    weeks before' when there was no baseline share, 'no share to compare with' when unknown."""
    if math.isnan(value):
        return "no share to compare with"
    return "none in the weeks before" if math.isinf(value) else f"{value:.1f}× their share of the weeks before"


def growth_words(value: float) -> str:
    """A share's growth against its baseline: '2.4×'; 'new' when there was no baseline share, '–' when unknown."""
    # trends.py caps growth for topics absent from the baseline, but inf/nan must still print sensibly.
    if math.isnan(value):
        return "–"
    return "new" if math.isinf(value) else f"{value:.1f}×"
