"""Owns the seeded synthetic corpus of Hugging Face daily_papers responses, with planted trends, for demos and benchmarks."""

import bisect
import gzip
import json
import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

DEFAULT_END = date(2026, 4, 30)
PEAK_SHARE = 0.25          # a planted trend's share of papers in the last week of its surge
BEFORE_SHARE = 0.005       # a trace before the surge, so "rising" is a ratio, not a division by zero
AFTER_SHARE = 0.04         # surged topics settle instead of vanishing
RESIGHT_RATE = 0.01        # real digests list about 1% of papers a second time, 4-8 days later
RESIGHT_DAYS = (4, 8)
MAX_ARXIV_NUMBER = 79_999  # 80000 and up are arXiv-only papers (flows/synthetic_arxiv.py)
GZIP_LEVEL = 1             # higher levels add ~0.2 s per 10k papers to save ~25% of a few MB

BACKGROUND_TOPICS = {
    "diffusion models": ("diffusion models", "denoising diffusion", "score-based generation", "latent diffusion", "classifier-free guidance"),
    "vision-language models": ("vision-language models", "multimodal instruction tuning", "visual question answering", "image captioning", "visual grounding"),
    "retrieval-augmented generation": ("retrieval-augmented generation", "dense retrieval", "knowledge-intensive tasks", "document reranking"),
    "graph neural networks": ("graph neural networks", "message passing", "node classification", "graph transformers"),
    "reinforcement learning from human feedback": ("reinforcement learning from human feedback", "reward modeling", "preference optimization", "policy alignment"),
    "mixture of experts": ("mixture of experts", "sparse expert routing", "expert parallelism", "load balancing loss"),
    "speech recognition": ("speech recognition", "automatic speech transcription", "spoken language understanding", "audio tokenizers"),
    "3d gaussian splatting": ("3d gaussian splatting", "novel view synthesis", "neural radiance fields", "scene reconstruction"),
    "code generation": ("code generation", "program synthesis", "repository-level completion", "unit test generation"),
    "robot manipulation": ("robot manipulation", "vision-language-action models", "imitation learning", "dexterous grasping"),
    "video generation": ("video generation", "text-to-video synthesis", "temporal consistency", "motion control"),
    "model quantization": ("model quantization", "low-bit inference", "post-training quantization", "weight pruning"),
}
BACKGROUND_TERMS = tuple(BACKGROUND_TOPICS.values())
# Unequal but fixed weights, so background shares differ between topics yet never move.
BACKGROUND_WEIGHTS = (1.4, 1.3, 1.2, 1.1, 1.0, 1.0, 0.9, 0.9, 0.8, 0.8, 0.7, 0.6)
RISING_TOPICS = {
    "test-time compute": ("test-time compute", "inference scaling", "test-time scaling", "reasoning budget"),
    "agentic memory": ("agentic memory", "long-term memory for agents", "memory-augmented agents", "episodic memory"),
    "state space models": ("state space models", "selective state spaces", "mamba layers", "linear recurrences"),
}

FIRST_NAMES = ("Ziyu", "Wei", "Yiming", "Xiang", "Ananya", "Rahul", "Priya", "Emily", "James", "Laura", "Mateo",
               "Sofia", "Kenji", "Haruto", "Min-jun", "Ji-woo", "Olga", "Dmitri", "Amara", "Kwame", "Fatima", "Omar",
               "Søren", "Zoë", "José", "Łukasz", "Chloé", "Jürgen", "Ayşe", "François", "Siobhán", "Björn")
LAST_NAMES = ("Ma", "Yang", "Wang", "Chen", "Li", "Zhang", "Liu", "Patel", "Sharma", "Gupta", "Smith", "Johnson",
              "Garcia", "Rossi", "Tanaka", "Sato", "Kim", "Park", "Ivanova", "Petrov", "Okafor", "Mensah", "Haddad",
              "Müller", "Ñúñez", "Østergaard", "Kowalczyk", "Çelik", "Nguyễn", "Dubois", "Brennan", "Lindqvist")
HANDLES = ("paperscout", "arxiv-owl", "gradient-goblin", "tensorfox", "kv-cache", "sparse-sam", "lossy-llama", "daily-reader")
ORGS = ("open-ml-lab", "vision-group", "nlp-collective", "robotics-lab", "efficient-ai", "agents-research")
NAME_HEADS = ("Skill", "Flash", "Omni", "Meta", "Hyper", "Deep", "Open", "Uni", "Mind", "Star", "Nova", "Quant", "Lumi", "Astra")
NAME_TAILS = ("Claw", "Former", "Bench", "Mix", "Gen", "Net", "Agent", "Flow", "Zero", "Coder", "Vision", "Lens", "Pilot", "Forge")
ADJECTIVES = ("Efficient", "Scalable", "Robust", "Unified", "Adaptive", "Lightweight", "Generalist", "Interpretable",
              "Data-Efficient", "Training-Free")
TASKS = ("Long-Context Reasoning", "Open-World Perception", "Scientific Discovery", "Efficient Deployment",
         "Multilingual Understanding", "Embodied Planning", "Medical Imaging", "Mathematical Reasoning",
         "Autonomous Driving", "Document Understanding")
METHODS = ("contrastive pretraining", "curriculum learning", "self-distillation", "synthetic data", "adaptive tokenization",
           "hierarchical planning", "sparse attention", "self-supervised objectives", "low-rank adaptation",
           "uncertainty estimation")
BENCHES = ("MMLU-Pro", "GSM8K", "LongBench", "ImageNet-1K", "SWE-bench", "LibriSpeech", "COCO", "HumanEval", "VBench")
SMALL_WORDS = {"of", "for", "from", "with", "to"}
Shares = list[tuple[tuple[str, ...], float]]  # each planted trend's key phrases and its share on one day

TITLE_TEMPLATES = ("{name}: {adj} {Term} for {task}", "{name}: Towards {adj} {Term}", "{adj} {Term} via {Method}",
                   "{name}: Scaling {Term} with {Method}", "Rethinking {Term} for {task}", "{name}: {Term} Meets {Method}")
# Every abstract template mentions exactly one key phrase, so a paper's phrases are exactly the ones chosen for it.
INTROS = ("Recent progress in {term} has enabled strong results on {task}, yet existing approaches remain costly and brittle.",
          "Despite rapid advances in {term}, current methods struggle to generalize beyond their training distribution.",
          "{Sterm} has become a central ingredient of modern machine learning systems, but its failure modes are poorly understood.")
PRESENTS = ("We present {name}, {a_adj} framework that combines {term} with {method}.",
            "In this work, we introduce {name}, which revisits {term} through the lens of {method}.")
MIDDLES = ("Unlike prior work on {term}, {name} requires no additional human annotation.",
           "We further analyze how {term} interacts with {method} and identify failure modes that matter in practice.",
           "A key insight is that careful data curation matters disproportionately for {term}.",
           "Ablations show that each component of our approach to {term} contributes to the final performance.")
RESULTS = ("On {bench}, {name} outperforms previous {term} methods by {pct}% while using fewer resources.",
           "Extensive experiments on {bench} demonstrate that {name} sets a new state of the art for {term}.")


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


def generate_corpus(root: Path, *, days: int = 90, papers_per_day: int = 20, seed: int = 7,
                    end: date = DEFAULT_END, arxiv: bool = True) -> CorpusSummary:
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
        from flows.synthetic_arxiv import write_arxiv_days   # it builds on this module's vocabulary
        arxiv_ids = write_arxiv_days(root, digests, seed)
    return CorpusSummary(root=Path(root), days=len(dates), papers=len(set(sightings)), sightings=len(sightings),
                         first_date=dates[0], last_date=dates[-1], planted=planted, arxiv_papers=len(arxiv_ids),
                         shared_papers=len(arxiv_ids & set(sightings)))


def iso_week(day: date) -> str:
    """Return the ISO week of day as "YYYY-Www"."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _digest_dates(days: int, end: date) -> list[date]:
    dates, day = [], end
    while len(dates) < days:
        if day.weekday() < 5:
            dates.append(day)
        day -= timedelta(days=1)
    return dates[::-1]


def _plan_trends(dates: list[date]) -> tuple[PlantedTrend, ...]:
    # Windows depend on the dates only, so every seed over the same span plants the same weeks.
    weeks = sorted({iso_week(day) for day in dates})
    late = weeks[len(weeks) // 2:]
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


def _build_digests(rng: random.Random, dates: list[date], planted: tuple[PlantedTrend, ...],
                   papers_per_day: int) -> dict[date, list[dict]]:
    shares = _rising_shares(dates, planted)
    submitters = [_submitter(rng, handle) for handle in HANDLES]
    used: set[int] = set()
    pending: dict[date, list[dict]] = {}
    digests = {}
    for day in dates:
        count = max(1, round(papers_per_day * rng.uniform(0.6, 1.4)))
        fresh = [_entry(rng, day, terms, _arxiv_id(rng, day, used), rng.choice(submitters))
                 for terms in _day_topics(rng, count, shares[day])]
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


def _schedule_resightings(rng: random.Random, entries: list[dict], day: date, dates: list[date],
                          pending: dict[date, list[dict]]) -> None:
    for entry in entries:
        if rng.random() >= RESIGHT_RATE:
            continue
        low = bisect.bisect_left(dates, day + timedelta(days=RESIGHT_DAYS[0]))
        high = bisect.bisect_right(dates, day + timedelta(days=RESIGHT_DAYS[1]))
        if low < high:  # near the end of the corpus there may be no later digest to re-appear on
            later = dates[rng.randrange(low, high)]
            pending.setdefault(later, []).append(_resighting(rng, entry, later))


def _resighting(rng: random.Random, entry: dict, day: date) -> dict:
    paper = entry["paper"] | {"upvotes": entry["paper"]["upvotes"] + rng.randint(5, 60),
                              "submittedOnDailyAt": _daily_stamp(rng, day)}
    return entry | {"paper": paper, "numComments": entry["numComments"] + rng.randint(0, 3)}


def _entry(rng: random.Random, day: date, terms: tuple[str, ...], arxiv_id: str, submitter: dict) -> dict:
    published = _published(rng, day)
    paper = _paper(rng, day, published, terms, arxiv_id, submitter)
    # The top-level publishedAt is the arXiv announcement, 20:00 UTC the evening before.
    evening = published - timedelta(days=1)
    return {"paper": paper, "publishedAt": f"{evening.isoformat()}T20:00:00.000Z", "title": paper["title"],
            "summary": paper["summary"],
            "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{arxiv_id}.png",
            "numComments": rng.randint(0, 1 + paper["upvotes"] // 15),
            "submittedBy": {key: submitter[key] for key in ("_id", "fullname", "name", "type")},
            "isAuthorParticipating": rng.random() < 0.3}


def _paper(rng: random.Random, day: date, published: date, terms: tuple[str, ...], arxiv_id: str,
           submitter: dict) -> dict:
    chosen = _some(rng, terms, 1 + int(rng.random() * min(3, len(terms))))
    name = _pick(rng, NAME_HEADS) + _pick(rng, NAME_TAILS)
    # Authors and discussion get consecutive ids, as HF allocates them in one batch.
    base = rng.getrandbits(96)
    authors = [{"_id": _hex(base + i), "name": _person(rng), "hidden": False} for i in range(rng.randint(2, 12))]
    upvotes = min(2000, int((rng.paretovariate(1.2) - 1) * 6))
    paper = {"id": arxiv_id, "authors": authors, "publishedAt": f"{published.isoformat()}T00:00:00.000Z",
             "submittedOnDailyAt": _daily_stamp(rng, day), "title": _title(rng, name, chosen[0]),
             "submittedOnDailyBy": submitter, "summary": _abstract(rng, name, chosen), "upvotes": upvotes,
             "discussionId": _hex(base + len(authors)),
             "ai_keywords": chosen + _some(rng, METHODS, 2 + int(rng.random() * 4))}
    return paper | _links(rng, name)


def _links(rng: random.Random, name: str) -> dict:
    links = {}
    if rng.random() < 0.4:
        links["githubRepo"] = f"https://github.com/{rng.choice(ORGS)}/{name.lower()}"
        links["githubStars"] = min(20_000, int(rng.paretovariate(0.9) * 10))
    if rng.random() < 0.2:
        links["projectPage"] = f"https://{name.lower()}.github.io"
    return links


def _title(rng: random.Random, name: str, term: str) -> str:
    return _pick(rng, TITLE_TEMPLATES).format(name=name, adj=_pick(rng, ADJECTIVES), Term=_title_case(term),
                                              task=_pick(rng, TASKS), Method=_title_case(_pick(rng, METHODS)))


def _abstract(rng: random.Random, name: str, terms: list[str]) -> str:
    middles = _some(rng, MIDDLES, int(rng.random() * 4))
    templates = [_pick(rng, INTROS), _pick(rng, PRESENTS), *middles, _pick(rng, RESULTS)]
    adj = _pick(rng, ADJECTIVES).lower()
    # One draw per slot for the whole abstract keeps it coherent and halves the RNG calls.
    fills = {"name": name, "task": _pick(rng, TASKS).lower(), "method": _pick(rng, METHODS),
             "bench": _pick(rng, BENCHES), "pct": 2 + int(rng.random() * 34),
             "a_adj": ("an " if adj[0] in "aeio" else "a ") + adj}  # "a unified", "an adaptive"
    sentences = []
    for i, template in enumerate(templates):
        term = terms[i % len(terms)]
        sentences.append(template.format(term=term, Sterm=term[:1].upper() + term[1:], **fills))
    return " ".join(sentences)


def _pick(rng: random.Random, options: tuple) -> object:
    # Cheaper than rng.choice and rng.sample, which dominated the run time on large corpora.
    return options[int(rng.random() * len(options))]


def _some(rng: random.Random, options: tuple, count: int) -> list:
    """Return count distinct options: a run of neighbours from a random start, wrapping around."""
    start = int(rng.random() * len(options))
    return [options[(start + i) % len(options)] for i in range(min(count, len(options)))]


def _title_case(phrase: str) -> str:
    return " ".join(word if word in SMALL_WORDS else word.title() for word in phrase.split())


def _person(rng: random.Random) -> str:
    first, last = divmod(int(rng.random() * len(FIRST_NAMES) * len(LAST_NAMES)), len(LAST_NAMES))
    return f"{FIRST_NAMES[first]} {LAST_NAMES[last]}"


def _submitter(rng: random.Random, handle: str) -> dict:
    return {"_id": _hex(rng.getrandbits(96)), "fullname": _person(rng), "user": handle, "type": "user", "name": handle}


def _published(rng: random.Random, day: date) -> date:
    # arXiv announces on weekdays, one or two days before HF lists the paper.
    published = day - timedelta(days=rng.randint(1, 2))
    while published.weekday() >= 5:
        published -= timedelta(days=1)
    return published


def _daily_stamp(rng: random.Random, day: date) -> str:
    # HF submissions cluster in the first 16 hours (UTC) of the digest day.
    millis = int(rng.random() * 16 * 3_600_000)
    seconds, millis = divmod(millis, 1000)
    return f"{day.isoformat()}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{millis:03d}Z"


def _hex(value: int) -> str:
    return f"{value % (1 << 96):024x}"


def _write_digest(path: Path, entries: list[dict]) -> None:
    data = json.dumps(entries, ensure_ascii=False).encode("utf-8")
    path.write_bytes(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))


def _write_planted(path: Path, planted: tuple[PlantedTrend, ...]) -> None:
    rows = [asdict(trend) | {"terms": list(trend.terms)} for trend in planted]
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
