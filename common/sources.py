"""Source and extractor names: one spelling each, shared by every layer.

A *source* names where a sighting came from (the `source` column of the
warehouse); an *extractor* names the format of a body (`papertrend extract
--source NAME`); a corpus keeps each format's captures in its own folder.
"""

from __future__ import annotations

HF = "hf"  # Hugging Face Daily Papers
ARXIV = "arxiv"  # arXiv's daily /new listings
ARXIV_API = "arxiv-api"  # arXiv's Atom API (history, lookups)
SOURCES = (HF, ARXIV, ARXIV_API)
LABELS = {HF: "Hugging Face", ARXIV: "arXiv", ARXIV_API: "arXiv"}  # for people

HF_API = "hf-api"  # /api/daily_papers JSON
HF_PAGE = "hf-page"  # /papers/date/D HTML
ARXIV_LISTING = "arxiv-listing"  # /list/<category>/new HTML
ARXIV_ATOM = "arxiv-api"  # /api/query Atom XML

HF_API_FOLDER = "hf-daily-api"
HF_PAGES_FOLDER = "hf-pages"
ARXIV_LISTING_FOLDER = "arxiv-listing-jsonl"


def enabled_sources(*, hf: bool, arxiv: bool) -> list[str]:
    """The sources a configuration fetches, in this order: `enabled_sources(hf=..., arxiv=...)`."""
    return [name for name, on in ((HF, hf), (ARXIV, arxiv)) if on]
