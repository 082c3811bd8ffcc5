"""The seeded synthetic corpus of Hugging Face daily_papers responses, with planted trends, for demos and benchmarks."""

from __future__ import annotations

import bisect
import gzip
import json
import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from digest_replay.synthetic.arxiv import write_arxiv_days
from digest_replay.synthetic.papers import (
    BACKGROUND_TERMS,
    BACKGROUND_TOPICS,
    BACKGROUND_WEIGHTS,
    GZIP_LEVEL,
    HANDLES,
    RISING_TOPICS,
    Shares,
    daily_stamp,
    paper_entry,
    submitter,
)
from reports.weeks import iso_week

__all__ = ["BACKGROUND_TOPICS", "CorpusSummary", "PlantedTrend", "generate_corpus"]

DEFAULT_END = date(2026, 4, 30)
PEAK_SHARE = 0.25  # a planted trend's share of papers in the last week of its surge
BEFORE_SHARE = 0.005  # a trace before the surge, so "rising" is a ratio, not a division by zero
AFTER_SHARE = 0.04  # surged topics settle instead of vanishing
RESIGHT_RATE = 0.01  # real digests list about 1% of papers a second time, 4-8 days later
RESIGHT_DAYS = (4, 8)
MAX_ARXIV_NUMBER = 79_999  # 80000 and up are arXiv-only papers (flows/synthetic_arxiv.py)


@dataclass(frozen=True)
class PlantedTrend:
    """A topic whose share rises from ~0 to PEAK_SHARE between two ISO weeks ("YYYY-Www", inclusive)."""

    label: str
    terms: tuple[str, ...]
    start_week: str
    end_week: str


@dataclass(frozen=True)
class CorpusSummary:
    """What generate_corpus wrote: digest files (days), distinct ids (papers) and entries (sightings)."""

    root: Path
    days: int
    papers: int
    sightings: int
    first_date: date
    last_date: date
    planted: tuple[PlantedTrend, ...]
    arxiv_papers: int = 0  # distinct ids in the arXiv listings (0 when arxiv=False)
    shared_papers: int = 0  # ids both on HF days and in arXiv listings


def generate_corpus(
    root: Path, *, days: int = 90, papers_per_day: int = 20, seed: int = 7, end: date = DEFAULT_END, arxiv: bool = True
) -> CorpusSummary:
    """Write `days` weekday digests ending at `end` under root/hf-daily-api plus root/PLANTED.json.

    Raises ValueError when days or papers_per_day is below 1 or the corpus would exhaust 5-digit arXiv numbers.
    Existing files in root are overwritten, never deleted.
    """
    if days < 1 or papers_per_day < 1:
        raise ValueError(f"days and papers_per_day must be >= 1, got days={days}, papers_per_day={papers_per_day}")
    if days * round(papers_per_day * 1.4) > MAX_ARXIV_NUMBER * 0.9:
        raise ValueError(f"{days} days x {papers_per_day} papers would run out of unique 5-digit arXiv numbers")
    dates = _digest_dates(days, end)
    planted = _plan_trends(dates)
    digests = _build_digests(random.Random(seed), dates, planted, papers_per_day)
    folder = Path(root) / "hf-daily-api"
    folder.mkdir(parents=True, exist_ok=True)
    for day, entries in digests.items():
        _write_digest(folder / f"{day.isoformat()}.json.gz", entries)
    _write_planted(Path(root) / "PLANTED.json", planted)
    sightings = [entry["paper"]["id"] for entries in digests.values() for entry in entries]
    arxiv_ids: set[str] = set()
    if arxiv:
        arxiv_ids = write_arxiv_days(root, digests, seed)
    return CorpusSummary(
        root=Path(root),
        days=len(dates),
        papers=len(set(sightings)),
        sightings=len(sightings),
        first_date=dates[0],
        last_date=dates[-1],
        planted=planted,
        arxiv_papers=len(arxiv_ids),
        shared_papers=len(arxiv_ids & set(sightings)),
    )


def _digest_dates(days: int, end: date) -> list[date]:
    dates: list[date] = []
    day = end
    while len(dates) < days:
        if day.weekday() < 5:
            dates.append(day)
        day -= timedelta(days=1)
    return dates[::-1]


def _plan_trends(dates: list[date]) -> tuple[PlantedTrend, ...]:
    # Windows depend on the dates only, so every seed over the same span plants the same weeks.
    weeks = sorted({iso_week(day) for day in dates})
    late = weeks[len(weeks) // 2 :]
    # Each trend gets its own slot of the late weeks; short corpora get overlapping 2-week windows instead.
    width = max(1, len(late) // len(RISING_TOPICS))
    planted = []
    for i, (label, terms) in enumerate(RISING_TOPICS.items()):
        length = min(2 + i, 4, max(2, width), len(late))
        start = max(0, min(i * width + max(0, (width - length) // 2), len(late) - length))
        planted.append(PlantedTrend(label, terms, late[start], late[start + length - 1]))
    return tuple(planted)


def _rising_shares(dates: list[date], planted: tuple[PlantedTrend, ...]) -> dict[date, Shares]:
    weeks = sorted({iso_week(day) for day in dates})
    index = {week: i for i, week in enumerate(weeks)}
    shares = {}
    for day in dates:
        now = index[iso_week(day)]
        shares[day] = [(t.terms, _share(now, index[t.start_week], index[t.end_week])) for t in planted]
    return shares


def _share(now: int, start: int, end: int) -> float:
    if now < start:
        return BEFORE_SHARE
    if now > end:
        return AFTER_SHARE
    return PEAK_SHARE * (now - start + 1) / (end - start + 1)


def _build_digests(
    rng: random.Random, dates: list[date], planted: tuple[PlantedTrend, ...], papers_per_day: int
) -> dict[date, list[dict]]:
    shares = _rising_shares(dates, planted)
    submitters = [submitter(rng, handle) for handle in HANDLES]
    used: set[int] = set()
    pending: dict[date, list[dict]] = {}
    digests = {}
    for day in dates:
        count = max(1, round(papers_per_day * rng.uniform(0.6, 1.4)))
        fresh = [
            paper_entry(rng, day, terms, _arxiv_id(rng, day, used), rng.choice(submitters))
            for terms in _day_topics(rng, count, shares[day])
        ]
        _schedule_resightings(rng, fresh, day, dates, pending)
        # Stable sort: ties keep generation order, which keeps the bytes deterministic.
        digests[day] = sorted(fresh + pending.pop(day, []), key=lambda e: e["paper"]["upvotes"], reverse=True)
    return digests


def _day_topics(rng: random.Random, count: int, rising: Shares) -> list[tuple[str, ...]]:
    # Rising papers are counted out per day rather than drawn one by one, so a planted
    # curve keeps its shape even on small corpora; only the fractional paper is random.
    topics = []
    for terms, share in rising:
        expected = share * count
        topics += [terms] * (int(expected) + (rng.random() < expected % 1))
    topics += rng.choices(BACKGROUND_TERMS, weights=BACKGROUND_WEIGHTS, k=max(0, count - len(topics)))
    rng.shuffle(topics)
    return topics[:count]


def _arxiv_id(rng: random.Random, day: date, used: set[int]) -> str:
    number = rng.randint(1, MAX_ARXIV_NUMBER)
    while number in used:
        number = rng.randint(1, MAX_ARXIV_NUMBER)
    used.add(number)
    return f"{day:%y%m}.{number:05d}"


def _schedule_resightings(
    rng: random.Random, entries: list[dict], day: date, dates: list[date], pending: dict[date, list[dict]]
) -> None:
    for entry in entries:
        if rng.random() >= RESIGHT_RATE:
            continue
        low = bisect.bisect_left(dates, day + timedelta(days=RESIGHT_DAYS[0]))
        high = bisect.bisect_right(dates, day + timedelta(days=RESIGHT_DAYS[1]))
        if low < high:  # near the end of the corpus there may be no later digest to re-appear on
            later = dates[rng.randrange(low, high)]
            pending.setdefault(later, []).append(_resighting(rng, entry, later))


def _resighting(rng: random.Random, entry: dict, day: date) -> dict:
    paper = entry["paper"] | {
        "upvotes": entry["paper"]["upvotes"] + rng.randint(5, 60),
        "submittedOnDailyAt": daily_stamp(rng, day),
    }
    return entry | {"paper": paper, "numComments": entry["numComments"] + rng.randint(0, 3)}


def _write_digest(path: Path, entries: list[dict]) -> None:
    data = json.dumps(entries, ensure_ascii=False).encode("utf-8")
    path.write_bytes(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))


def _write_planted(path: Path, planted: tuple[PlantedTrend, ...]) -> None:
    rows = [asdict(trend) | {"terms": list(trend.terms)} for trend in planted]
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
