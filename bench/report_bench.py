"""Weekly report benchmark: one report of the last complete week over a 5-year, arXiv-sized warehouse.

Builds, in a child process (its memory is not counted), a deterministic warehouse: by default
261 weeks x 5,100 papers = 1,331,100 papers with 3 sightings each (arxiv-api submission day,
arxiv 'new' listing, then HF with upvotes for 4% or an arxiv replacement) and their observations.
Text is calibrated on the real arXiv listings in ../shared/fixtures (real: 1,440 chars, 109 key
phrases a paper, 418k distinct phrases per 5,000 papers; here about 1,220, 117 and 380k): the
digest_replay.synthetic templates plus sentences of Zipf-drawn pseudo-words, for a real vocabulary's long
tail. Two trends are planted in the last four weeks.

The phrase index (what every ingest run maintains, flows.indexing) is then built for the whole
warehouse, in the child too, and its cost per paper printed: the ingest pays it once per paper.

Then runs one report as the `weekly_report` flow does (minus Prefect): the index freshness check,
build_week_report, write_report_files, save_report, timing each stage in place by wrapping the
functions it calls (one run, nothing repeated). Prints the breakdown, peak RSS of the measuring
process, the issue's targets, and the same figures without topic fitting.

    .venv/bin/python bench/report_bench.py [--papers N] [--weeks W] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import report_naive
from common.phrases import is_content_word
from digest_replay.synthetic.papers import (
    BACKGROUND_TERMS,
    BACKGROUND_WEIGHTS,
    NAME_HEADS,
    NAME_TAILS,
    RISING_TOPICS,
    paper_abstract,
    paper_title,
    pick,
    some,
)
from flows.indexing import refresh_phrase_index
from flows.weekly import write_report_files
from reports import render, trends, week_inputs
from reports.rows import report_rows
from warehouse import phrase_index, queries
from warehouse.db import connect, registered
from warehouse.report_store import save_report
from warehouse.transactions import transaction

END = date(2026, 4, 26)  # a Sunday: the last week of the corpus is complete
DEFAULT_WEEKS, DEFAULT_PAPERS = 261, 261 * 5_100
HF_RATE, CHUNK_WEEKS = 0.04, 6
LEXICON, ZIPF_S, FILLER_SENTENCES = 60_000, 0.85, 6
TARGETS = {"total": 10.0, "queries": 1.0, "rss_mb": 1536.0}
# Filler sentences: ten content words in runs of 4, 3 and 3, as key phrases sit between stopwords.
FILLERS = tuple(
    "{{}} {{}} {{}} {{}} {} {{}} {{}} {{}} {} {{}} {{}} {{}}.".format(*pair)
    for pair in (("of", "and"), ("for", "with"), ("in", "to"))
)
# Stopword-only sentences: the length real abstracts have between their phrases.
ASIDES = (
    "This is not the case for all of them, as we show in what follows and in the appendix.",
    "All of this is done without any of the extra cost that such a change would otherwise have.",
    "We also show that this holds even when only a few of them are available at once.",
)


def lexicon(rng: random.Random) -> np.ndarray:
    """LEXICON distinct lower-case pseudo-words, each one a content word (common.phrases.is_content_word)."""
    syllables = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
    endings = ("", "al", "ive", "ing", "ion", "ed", "ic", "ity")
    words: set[str] = set()
    while len(words) < LEXICON:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))) + rng.choice(endings)
        if is_content_word(word):
            words.add(word)
    ordered = sorted(words)
    rng.shuffle(ordered)  # Zipf ranks must not follow the alphabet
    return np.array(ordered, dtype=object)


def topic_of(rng: random.Random, weeks_left: int) -> tuple[str, ...]:
    """A paper's topic terms: planted trends in the last weeks, else a weighted background topic."""
    draw = rng.random()
    if weeks_left < 4 and draw < 0.02 * (4 - weeks_left):  # momentum: ramps over 4 weeks to 8%
        return RISING_TOPICS["test-time compute"]
    if weeks_left == 0 and draw > 0.95:  # a one-week surge to 5%
        return RISING_TOPICS["agentic memory"]
    return rng.choices(BACKGROUND_TERMS, weights=BACKGROUND_WEIGHTS)[0]


def texts(rng: random.Random, words: np.ndarray, n: int, weeks_left: np.ndarray) -> tuple[list[str], list[str]]:
    """Titles and abstracts of n papers (digest_replay.synthetic templates plus Zipf filler sentences)."""
    weights = 1.0 / np.arange(1, len(words) + 1) ** ZIPF_S
    cdf = np.cumsum(weights) / weights.sum()
    picks = words[np.searchsorted(cdf, np.random.default_rng(rng.getrandbits(32)).random((n, FILLER_SENTENCES * 10)))]
    titles, abstracts = [], []
    for i in range(n):
        terms = topic_of(rng, int(weeks_left[i]))
        chosen = some(rng, terms, 1 + int(rng.random() * min(3, len(terms))))
        name = pick(rng, NAME_HEADS) + pick(rng, NAME_TAILS)
        row = picks[i].tolist()
        filler = " ".join(pick(rng, FILLERS).format(*row[k : k + 10]).capitalize() for k in range(0, len(row), 10))
        titles.append(paper_title(rng, name, chosen[0]))
        abstracts.append(f"{paper_abstract(rng, name, chosen)} {filler} {pick(rng, ASIDES)}")
    return titles, abstracts


def week_frames(
    rng: random.Random, words: np.ndarray, mondays: list[date], per_week: int, months: dict[str, int]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """papers, sightings and observations of the papers first listed in `mondays`' weeks."""
    gen = np.random.default_rng(rng.getrandbits(32))
    n = per_week * len(mondays)
    listed = np.sort(np.repeat(np.array(mondays, dtype="datetime64[D]"), per_week) + gen.integers(0, 5, n))
    ids = []
    for day in listed.tolist():  # arXiv numbers run per month of announcement
        key = f"{day:%y%m}"
        months[key] = months.get(key, 0) + 1
        ids.append(f"{key}.{months[key]:05d}")
    titles, abstracts = texts(rng, words, n, (np.datetime64(END) - listed).astype(int) // 7)
    later = listed + np.minimum(gen.integers(1, 61, n), (np.datetime64(END) - listed).astype(int))
    hf = gen.random(n) < HF_RATE
    papers = pl.DataFrame(
        {
            "arxiv_id": ids,
            "version": np.ones(n, np.int32),
            "title": titles,
            "abstract": abstracts,
            "first_digest_date": listed,
            "last_digest_date": np.where(hf, listed, later),
            "observed_at": listed.astype("datetime64[us]"),
            "github_repo": [f"lab/{i}" for i in ids],
            "primary_category": np.array(["cs.LG", "cs.CL", "cs.CV", "cs.AI", "cs.RO"])[gen.integers(0, 5, n)],
        }
    ).with_columns(github_repo=pl.when(pl.Series(gen.random(n) < 0.15)).then("github_repo"))
    third = pl.DataFrame(
        {
            "arxiv_id": ids,
            "digest_date": np.where(hf, listed, later),
            "hf": hf,
            "upvotes": np.minimum(2000, (gen.pareto(1.2, n) * 6)).astype(np.int32),
        }
    )
    submitted = listed - np.where((listed.astype(int) - 4) % 7 == 0, 3, 1)  # the weekday before (day 4: a Monday)
    sightings = sighting_frame(ids, submitted, listed, third)
    kept = ["arxiv_id", "source", "digest_date", "observed_at", "rank", "upvotes", "comments", "raw_sha256"]
    refresh = sightings.filter(pl.col("source") == "hf").with_columns(  # re-observed 2 days later: upvote gains
        observed_at=pl.col("observed_at") + pl.duration(days=2), upvotes=pl.col("upvotes") * 2 + 3
    )
    return papers, sightings, pl.concat([sightings.select(kept), refresh.select(kept)])


def sighting_frame(ids: list[str], submitted: np.ndarray, listed: np.ndarray, third: pl.DataFrame) -> pl.DataFrame:
    """Three sightings a paper: API submission day, arXiv 'new' listing, then HF (with upvotes) or a replacement."""
    hf = pl.col("hf")
    frame = pl.concat(
        [
            pl.DataFrame({"arxiv_id": ids, "digest_date": submitted}).with_columns(source=pl.lit("arxiv-api")),
            pl.DataFrame({"arxiv_id": ids, "digest_date": listed}).with_columns(
                source=pl.lit("arxiv"), section=pl.lit("new")
            ),
            third.select(
                "arxiv_id",
                "digest_date",
                source=pl.when(hf).then(pl.lit("hf")).otherwise(pl.lit("arxiv")),
                section=pl.when(hf).then(None).otherwise(pl.lit("replacement")),
                upvotes=pl.when(hf).then("upvotes"),
            ),
        ],
        how="diagonal",
    )
    return frame.with_columns(
        rank=pl.int_range(1, pl.len() + 1).over("source", "digest_date").cast(pl.Int32),
        comments=pl.lit(0, pl.Int32),
        observed_at=pl.col("digest_date").cast(pl.Datetime("us")) + pl.duration(hours=20),
        raw_sha256=pl.lit("bench"),
        listings=pl.when(pl.col("source") == "arxiv").then(pl.concat_list(pl.lit("cs.LG"))),
    ).with_columns(first_observed_at=pl.col("observed_at"))


def build(path: Path, papers: int, weeks: int, seed: int) -> None:
    """Write the synthetic warehouse at `path`, CHUNK_WEEKS weeks per transaction."""
    rng, months = random.Random(seed), {}
    words, per_week = lexicon(rng), papers // weeks
    first = END - timedelta(days=6, weeks=weeks - 1)
    mondays = [first + timedelta(weeks=k) for k in range(weeks)]
    with connect(path) as con:
        for start in range(0, weeks, CHUNK_WEEKS):
            frames = week_frames(rng, words, mondays[start : start + CHUNK_WEEKS], per_week, months)
            with transaction(con), registered(con, **dict(zip(("new_p", "new_s", "new_o"), frames, strict=True))):
                for table, name in (("papers", "new_p"), ("sightings", "new_s"), ("observations", "new_o")):
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
            if start % (10 * CHUNK_WEEKS) == 0:
                print(f"  building: week {start + 1} of {weeks}", flush=True)
        con.execute("CHECKPOINT")


def index(path: Path) -> None:
    """Build the phrase index as the ingest flows keep it (every paper, all cores), and print its cost."""
    with connect(path) as con:
        began = time.perf_counter()
        indexed = refresh_phrase_index(con)
        seconds = time.perf_counter() - began
        con.execute("CHECKPOINT")
        terms, entries, cells = con.execute("""SELECT (SELECT count(*) FROM terms), (SELECT count(*) FROM paper_terms),
                                                      (SELECT count(*) FROM term_weeks)""").fetchall()[0]
    if indexed:
        print(
            f"phrase index: {indexed:,} papers in {seconds:.0f} s ({seconds / indexed * 1e3:.2f} ms a paper, "
            f"{seconds / indexed * 5_100:.1f} s per arXiv-sized week; not part of the target)"
        )
    print(f"phrase index holds {terms:,} phrases, {entries:,} papers, {cells:,} (week, phrase) counts")


class Stopwatch:
    """Seconds and result rows per stage, from functions wrapped in place while the report runs."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rows: dict[str, int] = {}

    def add(self, stage: str, seconds: float, rows: int | None = None) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        if rows is not None:
            self.rows[stage] = rows

    @contextmanager
    def rest(self, stage: str):
        """Time the block under `stage`, minus what wrapped functions inside it counted already."""
        inner, began = sum(self.seconds.values()), time.perf_counter()
        yield
        self.add(stage, time.perf_counter() - began - (sum(self.seconds.values()) - inner))

    @contextmanager
    def wrapping(self, owner: object, name: str, stage):
        """Time every call of owner.name under `stage` (a name, or a function of the call's arguments)."""
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            began = time.perf_counter()
            result = original(*args, **kwargs)
            rows = len(result) if isinstance(result, pl.DataFrame) else None
            self.add(stage(*args) if callable(stage) else stage, time.perf_counter() - began, rows)
            return result

        with mock.patch.object(owner, name, timed):
            yield


QUERIES = (
    (queries, "papers_first_listed"),
    (queries, "weekly_source_volume"),
    (queries, "upvote_gainers"),
    (phrase_index, "indexed_versions"),
    (phrase_index, "index_changes"),
    (phrase_index, "remove_entries"),
    (phrase_index, "window_term_ids"),
    (phrase_index, "window_vocabulary"),
    (phrase_index, "term_window_counts"),
    (phrase_index, "indexed_papers_by_week"),
    (phrase_index, "acronym_aliases"),
    (phrase_index, "acronym_definitions"),
    (phrase_index, "keyword_paper_phrases"),
    (queries, "digest_weeks"),
)


def measure(path: Path, out_dir: Path, seed: int, baseline: bool) -> None:
    """Time one weekly report of the last complete week, stage by stage, and print the figures."""
    clock = Stopwatch()
    with ExitStack() as patches:
        for owner, name in QUERIES:
            patches.enter_context(clock.wrapping(owner, name, f"query {name}"))
        for owner, name, stage in (
            (trends, "fit_topics", "topics: fit_topics (TF-IDF + NMF)"),
            (trends, "score_terms", "terms: score_terms, every horizon"),
            (trends, "merge_variants", "terms: evidence and variants (merge_variants)"),
            (trends, "tell_stories", "stories: group, series, examples (tell_stories)"),
            (week_inputs, "build_lexicon", "terms: lexicon (keyphraseness, long forms)"),
            (render, "chart_pngs", "charts (PNG)"),
        ):
            patches.enter_context(clock.wrapping(owner, name, stage))
        with connect(path) as con:  # not timed: finding the week and counting rows
            end = con.execute("SELECT max(digest_date) FROM sightings WHERE source <> 'arxiv-api'").fetchall()[0][0]
            counts = con.execute("SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM sightings)").fetchall()[0]
        monday = end - timedelta(days=end.weekday() + (0 if end.weekday() == 6 else 7))
        began = time.perf_counter()
        with clock.rest("open warehouse (connect)"):
            opened = connect(path)
            con = opened.__enter__()
        with clock.rest("phrase index check (rest of refresh_phrase_index)"):
            refreshed = refresh_phrase_index(
                con, since=monday - timedelta(weeks=week_inputs.TERM_HISTORY_WEEKS), until=monday + timedelta(days=6)
            )
        with clock.rest("trends assembly (rest of build_week_report)"):
            report, model = trends.build_week_report(con, monday, seed=seed)
        with clock.rest("render Markdown + HTML, write files"):
            paths = write_report_files(report, out_dir / report.week)
        with clock.rest("store rows (report_rows + save_report)"):
            save_report(
                con, report_rows(report, model, markdown_path=str(paths["markdown"]), html_path=str(paths["html"]))
            )
            opened.__exit__(None, None, None)
        total = time.perf_counter() - began
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print_figures(clock, total, rss_mb, counts, report, model)
    if refreshed:
        print(f"note: the index check found {refreshed:,} stale papers and indexed them inside the timing")
    fit = clock.seconds["topics: fit_topics (TF-IDF + NMF)"]
    print(f"the same run without topic fitting (total - fit_topics): {total - fit:7.2f} s")
    if baseline:
        compare_with_naive(path, monday, seed, clock, report)


def compare_with_naive(path: Path, monday: date, seed: int, clock: Stopwatch, report) -> None:
    """Time the naive report's terms and topics (bench/report_naive.py) and check its terms equal ours."""
    print("\nnaive baseline (phrases re-extracted from the texts by every report, as before the index):")
    with connect(path, read_only=True) as con:
        naive, stages = report_naive.rising_terms(con, monday)
        naive_topics = report_naive.fit_topics_from_texts(con, monday, seed)
    for stage, seconds in stages.items():
        print(f"  terms: {stage:<40}{seconds:9.2f}")
    ours_terms = sum(
        clock.seconds.get(s, 0.0)
        for s in (
            "query term_window_counts",
            "query indexed_papers_by_week",
            "query acronym_aliases",
            "query acronym_definitions",
            "query keyword_paper_phrases",
            "terms: lexicon (keyphraseness, long forms)",
            "terms: score_terms, every horizon",
            "terms: evidence and variants (merge_variants)",
        )
    )
    ours_topics = sum(
        clock.seconds.get(s, 0.0)
        for s in ("query window_term_ids", "query window_vocabulary", "topics: fit_topics (TF-IDF + NMF)")
    )
    naive_terms = sum(stages.values())
    print(
        f"  {'rising and new terms, both horizons':<46}{naive_terms:9.2f}   ours {ours_terms:6.2f}   "
        f"ratio {naive_terms / ours_terms:5.0f}x"
    )
    print(
        f"  {'topics (phrases, TF-IDF, full NMF)':<46}{naive_topics:9.2f}   ours {ours_topics:6.2f}   "
        f"ratio {naive_topics / ours_topics:5.0f}x"
    )
    # The terms as ranked before stories pick the shown ones (recomputed outside the timing).
    with connect(path, read_only=True) as con:
        inputs = week_inputs.read_week_inputs(con, monday)
    rising, new_terms = trends.rank_terms(
        trends.merge_variants(inputs.term_counts, inputs.lexicon),
        inputs.term_windows.totals,
        inputs.term_windows.minimum,
        inputs.lexicon,
    )
    same = all(
        [(t.term, t.count, t.baseline_count, t.score) for t in kind if t.horizon == horizon]
        == [t for t in naive[horizon] if (t[2] == 0) == new][: trends.TOP_TERMS]
        for horizon in naive
        for kind, new in ((rising, False), (new_terms, True))
    )
    print(f"  rising and new terms identical to the naive path's: {'yes' if same else 'NO'}")


def print_figures(clock: Stopwatch, total: float, rss_mb: float, counts: tuple[int, int], report, model) -> None:
    """The breakdown by stage, subtotals and the issue's targets."""
    print(
        f"warehouse: {counts[0]:,} papers, {counts[1]:,} sightings; report {report.week} "
        f"({report.papers:,} papers that week)"
    )
    print(
        f"topics: {len(model.topics)} fitted over the {trends.WINDOW_WEEKS}-week window of "
        f"{model.assignments.height:,} papers; term counts over {week_inputs.TERM_HISTORY_WEEKS} weeks of history\n"
    )
    print(f"{'stage':<46}{'seconds':>9}{'share':>8}")
    for stage, seconds in sorted(clock.seconds.items(), key=lambda item: -item[1]):
        print(f"  {stage:<44}{seconds:9.2f}{seconds / total:8.0%}")
    queries = sum(s for stage, s in clock.seconds.items() if stage.startswith("query"))
    for name, value, target, unit in (
        ("queries subtotal", queries, TARGETS["queries"], "s"),
        ("end to end (wall)", total, TARGETS["total"], "s"),
        ("peak RSS", rss_mb, TARGETS["rss_mb"], "MB"),
    ):
        verdict = "met" if value <= target else f"MISSED x{value / target:.1f}"
        print(f"{name:<46}{value:9.2f} {unit:<3} target <= {target:g} {unit}: {verdict}")
    print(
        f"report: {len(report.stories)} stories, {len(report.rising_terms)} rising and "
        f"{len(report.new_terms)} new terms shown; stories: {[s.label for s in report.stories[:5]]}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=DEFAULT_PAPERS)
    parser.add_argument("--weeks", type=int, default=DEFAULT_WEEKS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the warehouse here once and reuse it on later runs")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive report (about 4 minutes)")
    parser.add_argument("--build-into", type=Path, help=argparse.SUPPRESS)  # the child process that builds
    parser.add_argument("--index-into", type=Path, help=argparse.SUPPRESS)  # the child process that indexes
    args = parser.parse_args()
    if args.build_into:
        return build(args.build_into, args.papers, args.weeks, args.seed)
    if args.index_into:
        return index(args.index_into)
    with tempfile.TemporaryDirectory(prefix="report-bench-") as temp:
        root = args.keep or Path(temp)
        path = root / "warehouse.duckdb"
        if path.exists():
            print(f"reusing {path} (--papers/--weeks ignored)")
        else:
            if args.papers // args.weeks < 5_000 or args.papers < 1_000_000:
                print("note: below the issue's minimum of 1,000,000 papers and 5,000 papers a week")
            began = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--build-into",
                    str(path),
                    "--papers",
                    str(args.papers),
                    "--weeks",
                    str(args.weeks),
                    "--seed",
                    str(args.seed),
                ],
                check=True,
            )
            print(f"build: {time.perf_counter() - began:.0f} s (not part of the target)")
        subprocess.run([sys.executable, __file__, "--index-into", str(path)], check=True)
        measure(path, root / "reports", args.seed, not args.no_baseline)


if __name__ == "__main__":
    main()
