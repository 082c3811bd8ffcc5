"""The vocabulary and entry builders of synthetic papers, shared by the HF and arXiv sides of a corpus."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeVar

T = TypeVar("T")

GZIP_LEVEL = 1  # higher levels add ~0.2 s per 10k papers to save ~25% of a few MB

BACKGROUND_TOPICS = {
    "diffusion models": (
        "diffusion models",
        "denoising diffusion",
        "score-based generation",
        "latent diffusion",
        "classifier-free guidance",
    ),
    "vision-language models": (
        "vision-language models",
        "multimodal instruction tuning",
        "visual question answering",
        "image captioning",
        "visual grounding",
    ),
    "retrieval-augmented generation": (
        "retrieval-augmented generation",
        "dense retrieval",
        "knowledge-intensive tasks",
        "document reranking",
    ),
    "graph neural networks": ("graph neural networks", "message passing", "node classification", "graph transformers"),
    "reinforcement learning from human feedback": (
        "reinforcement learning from human feedback",
        "reward modeling",
        "preference optimization",
        "policy alignment",
    ),
    "mixture of experts": ("mixture of experts", "sparse expert routing", "expert parallelism", "load balancing loss"),
    "speech recognition": (
        "speech recognition",
        "automatic speech transcription",
        "spoken language understanding",
        "audio tokenizers",
    ),
    "3d gaussian splatting": (
        "3d gaussian splatting",
        "novel view synthesis",
        "neural radiance fields",
        "scene reconstruction",
    ),
    "code generation": ("code generation", "program synthesis", "repository-level completion", "unit test generation"),
    "robot manipulation": (
        "robot manipulation",
        "vision-language-action models",
        "imitation learning",
        "dexterous grasping",
    ),
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

FIRST_NAMES = (
    "Ziyu",
    "Wei",
    "Yiming",
    "Xiang",
    "Ananya",
    "Rahul",
    "Priya",
    "Emily",
    "James",
    "Laura",
    "Mateo",
    "Sofia",
    "Kenji",
    "Haruto",
    "Min-jun",
    "Ji-woo",
    "Olga",
    "Dmitri",
    "Amara",
    "Kwame",
    "Fatima",
    "Omar",
    "Søren",
    "Zoë",
    "José",
    "Łukasz",
    "Chloé",
    "Jürgen",
    "Ayşe",
    "François",
    "Siobhán",
    "Björn",
)
LAST_NAMES = (
    "Ma",
    "Yang",
    "Wang",
    "Chen",
    "Li",
    "Zhang",
    "Liu",
    "Patel",
    "Sharma",
    "Gupta",
    "Smith",
    "Johnson",
    "Garcia",
    "Rossi",
    "Tanaka",
    "Sato",
    "Kim",
    "Park",
    "Ivanova",
    "Petrov",
    "Okafor",
    "Mensah",
    "Haddad",
    "Müller",
    "Ñúñez",
    "Østergaard",
    "Kowalczyk",
    "Çelik",
    "Nguyễn",
    "Dubois",
    "Brennan",
    "Lindqvist",
)
HANDLES = (
    "paperscout",
    "arxiv-owl",
    "gradient-goblin",
    "tensorfox",
    "kv-cache",
    "sparse-sam",
    "lossy-llama",
    "daily-reader",
)
ORGS = ("open-ml-lab", "vision-group", "nlp-collective", "robotics-lab", "efficient-ai", "agents-research")
NAME_HEADS = (
    "Skill",
    "Flash",
    "Omni",
    "Meta",
    "Hyper",
    "Deep",
    "Open",
    "Uni",
    "Mind",
    "Star",
    "Nova",
    "Quant",
    "Lumi",
    "Astra",
)
NAME_TAILS = (
    "Claw",
    "Former",
    "Bench",
    "Mix",
    "Gen",
    "Net",
    "Agent",
    "Flow",
    "Zero",
    "Coder",
    "Vision",
    "Lens",
    "Pilot",
    "Forge",
)
ADJECTIVES = (
    "Efficient",
    "Scalable",
    "Robust",
    "Unified",
    "Adaptive",
    "Lightweight",
    "Generalist",
    "Interpretable",
    "Data-Efficient",
    "Training-Free",
)
TASKS = (
    "Long-Context Reasoning",
    "Open-World Perception",
    "Scientific Discovery",
    "Efficient Deployment",
    "Multilingual Understanding",
    "Embodied Planning",
    "Medical Imaging",
    "Mathematical Reasoning",
    "Autonomous Driving",
    "Document Understanding",
)
METHODS = (
    "contrastive pretraining",
    "curriculum learning",
    "self-distillation",
    "synthetic data",
    "adaptive tokenization",
    "hierarchical planning",
    "sparse attention",
    "self-supervised objectives",
    "low-rank adaptation",
    "uncertainty estimation",
)
BENCHES = ("MMLU-Pro", "GSM8K", "LongBench", "ImageNet-1K", "SWE-bench", "LibriSpeech", "COCO", "HumanEval", "VBench")
SMALL_WORDS = {"of", "for", "from", "with", "to"}
Shares = list[tuple[tuple[str, ...], float]]  # each planted trend's key phrases and its share on one day

TITLE_TEMPLATES = (
    "{name}: {adj} {Term} for {task}",
    "{name}: Towards {adj} {Term}",
    "{adj} {Term} via {Method}",
    "{name}: Scaling {Term} with {Method}",
    "Rethinking {Term} for {task}",
    "{name}: {Term} Meets {Method}",
)
# Every abstract template mentions exactly one key phrase, so a paper's phrases are exactly the ones chosen for it.
INTROS = (
    "Recent progress in {term} has enabled strong results on {task}, yet existing approaches remain costly and brittle.",
    "Despite rapid advances in {term}, current methods struggle to generalize beyond their training distribution.",
    "{Sterm} has become a central ingredient of modern machine learning systems, but its failure modes are poorly understood.",
)
PRESENTS = (
    "We present {name}, {a_adj} framework that combines {term} with {method}.",
    "In this work, we introduce {name}, which revisits {term} through the lens of {method}.",
)
MIDDLES = (
    "Unlike prior work on {term}, {name} requires no additional human annotation.",
    "We further analyze how {term} interacts with {method} and identify failure modes that matter in practice.",
    "A key insight is that careful data curation matters disproportionately for {term}.",
    "Ablations show that each component of our approach to {term} contributes to the final performance.",
)
RESULTS = (
    "On {bench}, {name} outperforms previous {term} methods by {pct}% while using fewer resources.",
    "Extensive experiments on {bench} demonstrate that {name} sets a new state of the art for {term}.",
)


def paper_entry(rng: random.Random, day: date, terms: tuple[str, ...], arxiv_id: str, submitter: dict) -> dict:
    published = _published(rng, day)
    paper = _paper(rng, day, published, terms, arxiv_id, submitter)
    # The top-level publishedAt is the arXiv announcement, 20:00 UTC the evening before.
    evening = published - timedelta(days=1)
    return {
        "paper": paper,
        "publishedAt": f"{evening.isoformat()}T20:00:00.000Z",
        "title": paper["title"],
        "summary": paper["summary"],
        "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{arxiv_id}.png",
        "numComments": rng.randint(0, 1 + paper["upvotes"] // 15),
        "submittedBy": {key: submitter[key] for key in ("_id", "fullname", "name", "type")},
        "isAuthorParticipating": rng.random() < 0.3,
    }


def _paper(
    rng: random.Random, day: date, published: date, terms: tuple[str, ...], arxiv_id: str, submitter: dict
) -> dict:
    chosen = some(rng, terms, 1 + int(rng.random() * min(3, len(terms))))
    name = pick(rng, NAME_HEADS) + pick(rng, NAME_TAILS)
    # Authors and discussion get consecutive ids, as HF allocates them in one batch.
    base = rng.getrandbits(96)
    authors = [{"_id": _hex(base + i), "name": _person(rng), "hidden": False} for i in range(rng.randint(2, 12))]
    upvotes = min(2000, int((rng.paretovariate(1.2) - 1) * 6))
    paper = {
        "id": arxiv_id,
        "authors": authors,
        "publishedAt": f"{published.isoformat()}T00:00:00.000Z",
        "submittedOnDailyAt": daily_stamp(rng, day),
        "title": paper_title(rng, name, chosen[0]),
        "submittedOnDailyBy": submitter,
        "summary": paper_abstract(rng, name, chosen),
        "upvotes": upvotes,
        "discussionId": _hex(base + len(authors)),
        "ai_keywords": chosen + some(rng, METHODS, 2 + int(rng.random() * 4)),
    }
    return paper | _links(rng, name)


def _links(rng: random.Random, name: str) -> dict:
    links: dict[str, str | int] = {}
    if rng.random() < 0.4:
        links["githubRepo"] = f"https://github.com/{rng.choice(ORGS)}/{name.lower()}"
        links["githubStars"] = min(20_000, int(rng.paretovariate(0.9) * 10))
    if rng.random() < 0.2:
        links["projectPage"] = f"https://{name.lower()}.github.io"
    return links


def paper_title(rng: random.Random, name: str, term: str) -> str:
    return pick(rng, TITLE_TEMPLATES).format(
        name=name,
        adj=pick(rng, ADJECTIVES),
        Term=_title_case(term),
        task=pick(rng, TASKS),
        Method=_title_case(pick(rng, METHODS)),
    )


def paper_abstract(rng: random.Random, name: str, terms: list[str]) -> str:
    middles = some(rng, MIDDLES, int(rng.random() * 4))
    templates = [pick(rng, INTROS), pick(rng, PRESENTS), *middles, pick(rng, RESULTS)]
    adj = pick(rng, ADJECTIVES).lower()
    # One draw per slot for the whole abstract keeps it coherent and halves the RNG calls.
    fills = {
        "name": name,
        "task": pick(rng, TASKS).lower(),
        "method": pick(rng, METHODS),
        "bench": pick(rng, BENCHES),
        "pct": 2 + int(rng.random() * 34),
        "a_adj": ("an " if adj[0] in "aeio" else "a ") + adj,
    }  # "a unified", "an adaptive"
    sentences = []
    for i, template in enumerate(templates):
        term = terms[i % len(terms)]
        sentences.append(template.format(term=term, Sterm=term[:1].upper() + term[1:], **fills))
    return " ".join(sentences)


def pick(rng: random.Random, options: Sequence[T]) -> T:
    # Cheaper than rng.choice and rng.sample, which dominated the run time on large corpora.
    return options[int(rng.random() * len(options))]


def some(rng: random.Random, options: Sequence[T], count: int) -> list[T]:
    """Return count distinct options: a run of neighbours from a random start, wrapping around."""
    start = int(rng.random() * len(options))
    return [options[(start + i) % len(options)] for i in range(min(count, len(options)))]


def _title_case(phrase: str) -> str:
    return " ".join(word if word in SMALL_WORDS else word.title() for word in phrase.split())


def _person(rng: random.Random) -> str:
    first, last = divmod(int(rng.random() * len(FIRST_NAMES) * len(LAST_NAMES)), len(LAST_NAMES))
    return f"{FIRST_NAMES[first]} {LAST_NAMES[last]}"


def submitter(rng: random.Random, handle: str) -> dict:
    return {"_id": _hex(rng.getrandbits(96)), "fullname": _person(rng), "user": handle, "type": "user", "name": handle}


def _published(rng: random.Random, day: date) -> date:
    # arXiv announces on weekdays, one or two days before HF lists the paper.
    published = day - timedelta(days=rng.randint(1, 2))
    while published.weekday() >= 5:
        published -= timedelta(days=1)
    return published


def daily_stamp(rng: random.Random, day: date) -> str:
    # HF submissions cluster in the first 16 hours (UTC) of the digest day.
    millis = int(rng.random() * 16 * 3_600_000)
    seconds, millis = divmod(millis, 1000)
    return f"{day.isoformat()}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{millis:03d}Z"


def _hex(value: int) -> str:
    return f"{value % (1 << 96):024x}"
