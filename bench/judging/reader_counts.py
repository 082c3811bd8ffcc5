"""The reader test of issue 18: check what a reader took from a report's screenshots against the papers.

A separate judge saw only the screenshots of a week's report and wrote, per week, the themes they
think are trending, each with search strings (bench/judging/README.md). Here each theme is counted
in the titles and abstracts of the week's papers and of the 8 weeks before: a theme is *confirmed
rising* when at least MIN_PAPERS of the week's papers mention it and its share of the week's papers
is at least RISE times its share of the 8 weeks before; *present* when it is mentioned that often
but did not rise; *absent* otherwise.

    python bench/judging/reader_counts.py WAREHOUSE READING.json [READING.json ...]
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

MIN_PAPERS, RISE, BASELINE_WEEKS = 3, 1.5, 8


def week_texts(con, monday: date) -> list[str]:
    rows = con.execute(
        "SELECT lower(title || ' ' || coalesce(abstract, '')) FROM papers WHERE first_digest_date BETWEEN ? AND ?",
        [monday, monday + timedelta(days=6)],
    ).fetchall()
    return [" ".join(text.replace("-", " ").split()) for (text,) in rows]


def verdict(searches: list[str], now: list[str], before: list[str]) -> tuple[str, int, float]:
    wanted = [" ".join(s.lower().replace("-", " ").split()) for s in searches if s.strip()]
    hits_now = sum(any(s in text for s in wanted) for text in now)
    hits_before = sum(any(s in text for s in wanted) for text in before)
    share_now = hits_now / max(len(now), 1)
    share_before = (hits_before + 0.5) / max(len(before), 1)
    ratio = share_now / share_before
    if hits_now < MIN_PAPERS:
        return "absent", hits_now, ratio
    return ("rising" if ratio >= RISE else "present"), hits_now, ratio


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from reports.weeks import week_start
    from warehouse.db import connect

    warehouse, readings = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    with connect(warehouse, read_only=True) as con:
        for reading in readings:
            data = json.loads(reading.read_text())
            tally = {"rising": 0, "present": 0, "absent": 0}
            understood = 0
            print(f"\n{reading}")
            for week, entry in sorted(data.items()):
                monday = week_start(week)
                now = week_texts(con, monday)
                before = [t for n in range(1, BASELINE_WEEKS + 1) for t in week_texts(con, monday - timedelta(weeks=n))]
                understood += bool(entry.get("understood_in_two_minutes"))
                for theme in entry.get("themes", []):
                    kind, hits, ratio = verdict(theme.get("search", []), now, before)
                    tally[kind] += 1
                    print(f"  {week} {kind:<8} {hits:3} papers x{ratio:5.1f}  {theme.get('theme')}")
            total = max(sum(tally.values()), 1)
            print(
                f"  themes {total}: confirmed rising {tally['rising'] / total:.0%}, present but not rising "
                f"{tally['present'] / total:.0%}, absent {tally['absent'] / total:.0%}; "
                f"understood in two minutes: {understood} of {len(data)} weeks"
            )


if __name__ == "__main__":
    main()
