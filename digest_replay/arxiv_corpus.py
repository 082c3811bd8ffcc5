"""The arXiv side of a replay corpus: `arxiv-listing-jsonl/YYYY-MM-DD.jsonl[.gz]` files.

Each file is the content of a crawl of several `/list/<category>/new` pages on
that day, reduced to {id, categories, authors, title, comment, summary}. To
serve it back as arXiv would, we derive what the files do not say:
- the announcement date: a file whose ids are all in an earlier file of the
  past week is a re-crawl of that announcement (weekends, a crawl before 20:00
  ET), so its pages carry the earlier heading date, as arXiv's do;
- the section of an entry in category C: a replacement when the paper was
  announced before (or its id is two or more months older than the day), a new
  submission when C is its primary category, else a cross-list;
- a submission time for the Atom API: 18:00 UTC the day before its announcement
  (for replacements, the first day of the id's month).
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from common.ids import CATEGORY
from common.sources import ARXIV_LISTING_FOLDER

FOLDER = ARXIV_LISTING_FOLDER
SECTION_ORDER = ("new", "cross", "replacement")
_NEW_ID = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")


class ArxivCorpus:
    """Read-only view of a corpus's arXiv listing days."""

    def __init__(self, root: Path) -> None:
        self.folder = Path(root) / FOLDER
        self._rows: dict[date, list[dict[str, Any]]] = {}

    def days(self) -> list[date]:
        """Every crawl day in the corpus, in order."""
        return sorted(self._files)

    @cached_property
    def _files(self) -> dict[date, Path]:
        found = {}
        for path in self.folder.glob("*.jsonl*") if self.folder.is_dir() else []:
            found[date.fromisoformat(path.name[:10])] = path
        return found

    def rows(self, day: date) -> list[dict[str, Any]]:
        """The file's rows, in file order (an id may repeat: one row per category crawled)."""
        if day not in self._files:
            return []
        if day not in self._rows:
            self._rows[day] = self._read(day)
        return self._rows[day]

    def _read(self, day: date) -> list[dict[str, Any]]:
        path = self._files[day]
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
        for row in rows:
            # Some rows carry MSC/ACM class strings among the categories; arXiv lists only its own.
            row["categories"] = [c for c in row["categories"] if CATEGORY.match(c)] or ["cs.LG"]
        return rows

    @cached_property
    def announcements(self) -> dict[date, date]:
        """Crawl day -> the announcement its pages show."""
        result: dict[date, date] = {}
        ids: dict[date, set[str]] = {}
        for day in self.days():
            ids[day] = {row["id"] for row in self.rows(day)}
            earlier = [d for d in ids if day - timedelta(7) <= d < day and ids[day] <= ids[d]]
            result[day] = result[min(earlier)] if earlier else day
        return result

    @cached_property
    def first_announced(self) -> dict[str, date]:
        """Paper id -> the first announcement that lists it."""
        first: dict[str, date] = {}
        for day in self.days():
            for row in self.rows(day):
                first.setdefault(row["id"], self.announcements[day])
        return first

    def section(self, row: dict[str, Any], category: str, announced: date) -> str:
        """new | cross | replacement for this entry in `category`'s listing of `announced`."""
        match = _NEW_ID.match(row["id"])
        months_old = (
            (announced.year % 100 - int(match.group(1))) * 12 + announced.month - int(match.group(2)) if match else 99
        )
        if self.first_announced[row["id"]] < announced or months_old >= 2:
            return "replacement"
        return "new" if row["categories"][0] == category else "cross"

    def listing(self, day: date, category: str) -> tuple[date, list[tuple[dict[str, Any], str]]]:
        """(announcement date, [(row, section)]) for `category`'s /new page as crawled on `day`."""
        announced = self.announcements.get(day, day)
        seen, entries = set(), []
        for row in self.rows(day):
            if category in row["categories"] and row["id"] not in seen:
                seen.add(row["id"])
                entries.append((row, self.section(row, category, announced)))
        entries.sort(key=lambda pair: SECTION_ORDER.index(pair[1]))
        return announced, entries

    def categories(self) -> list[str]:
        """Every category that appears in the corpus, primary or not."""
        return sorted({c for day in self.days() for row in self.rows(day) for c in row["categories"]})

    def submitted_at(self, row: dict[str, Any]) -> datetime:
        """The derived submission time of a paper's first version (see the module docstring)."""
        announced = self.first_announced[row["id"]]
        match = _NEW_ID.match(row["id"])
        if match and self.section(row, row["categories"][0], announced) == "replacement":
            return datetime(2000 + int(match.group(1)), int(match.group(2)), 1, tzinfo=UTC)
        return datetime.combine(announced - timedelta(1), time(18), tzinfo=UTC)

    @cached_property
    def papers(self) -> list[dict[str, Any]]:
        """One row per paper id (its first appearance), for the Atom API."""
        unique: dict[str, dict[str, Any]] = {}
        for day in self.days():
            for row in self.rows(day):
                unique.setdefault(row["id"], row)
        return list(unique.values())
