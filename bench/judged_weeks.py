"""The weeks a blind judge reads for trends II (issue 18), drawn before any tuning, with a committed seed.

The real HF archive's complete weeks run from 2024-W30 to 2026-W17 (92). Rules
are looked at only on the tuning set (every third week from the first, as in
issue 10) and on the weeks the issue itself quotes or asks about (landmarks).
The judged weeks are drawn from the rest with SEED; the reader test takes the
first READER_WEEKS of them. Run it to print the draw; bench/judging/weeks.json
holds the committed result, and a test checks the two agree.

    python bench/judged_weeks.py [--write]
"""

from __future__ import annotations

import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

SEED = 1818  # committed with the draw, before any trends II change
# Round 2: after round 1's verdicts, changes were judged again on weeks nobody had looked at; drawn with
# this seed, committed before those changes, from the weeks neither tuned on, quoted, nor judged in round 1.
ROUND2_SEED = 1819
ROUND3_SEED = 1820  # round 3 likewise, after round 2's reader test, from the weeks still unseen
JUDGED_WEEKS, READER_WEEKS = 14, 6
FIRST, LAST = date.fromisocalendar(2024, 30, 1), date.fromisocalendar(2026, 17, 1)
# Weeks the issue quotes or the acceptance asks about: seen, so never judged.
SEEN = {
    "2024-W39", "2024-W42", "2025-W05", "2025-W06", "2025-W07", "2025-W11", "2025-W17", "2025-W23",
    "2025-W29", "2025-W41", "2026-W07", "2026-W14", "2026-W15", "2026-W16", "2026-W17",
}  # fmt: skip
OUT = Path(__file__).resolve().parent / "judging" / "weeks.json"


def label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def draw() -> dict[str, list[str]]:
    """The tuning set, the judged weeks (sorted) and the reader-test weeks."""
    weeks = [label(FIRST + timedelta(weeks=n)) for n in range((LAST - FIRST).days // 7 + 1)]
    tuning = weeks[0::3]
    pool = [w for w in weeks if w not in tuning and w not in SEEN]
    judged = random.Random(SEED).sample(pool, JUDGED_WEEKS)
    fresh = [w for w in pool if w not in judged]
    round2 = random.Random(ROUND2_SEED).sample(fresh, JUDGED_WEEKS)
    unseen = [w for w in fresh if w not in round2]
    round3 = random.Random(ROUND3_SEED).sample(unseen, JUDGED_WEEKS)
    return {
        "seed": [str(SEED), str(ROUND2_SEED), str(ROUND3_SEED)],
        "tuning": tuning,
        "judged": sorted(judged),
        "reader": judged[:READER_WEEKS],
        "round2": sorted(round2),
        "round3": sorted(round3),
        "reader3": round3[:READER_WEEKS],
    }


if __name__ == "__main__":
    result = draw()
    if "--write" in sys.argv:
        OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
