"""应用查重: application systems that look like one system registered twice, or two departments
building the same thing.

Chinese has no spaces, so texts are compared as bags of character bigrams (within a phrase:
no bigram spans a 、 or a comma), weighted by TF-IDF over the systems compared and scored by
cosine — a function phrase many systems share (审核审批) counts less than a rare one
(家庭经济状况核对). The 功能描述 says what a system does, so it leads; a similar name can only
raise the score, because two departments rarely name the same thing alike:

    score = max(f, 0.65 · f + 0.35 · n)      f = cos(functions), n = cos(names)

A pair scoring at least `DEFAULT_THRESHOLD` is flagged. Without usable functions text on
both sides the name alone decides, and must reach `NAME_ONLY_THRESHOLD`. Not compared:
decommissioned systems (a successor naturally resembles what it replaced), and functions
text copied verbatim by more than `BOILERPLATE_COPIES` systems (a form's sample sentence says
nothing about duplication). On the demo catalog the default threshold flags exactly the four
planted near-duplicates (scores 0.67–1.0); the next pair (一人一档 / 一企一档, which differ in
whom they serve) scores 0.56.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from catalog.model import Lifecycle, System

DEFAULT_THRESHOLD = 0.6
NAME_ONLY_THRESHOLD = 0.8
FUNCTIONS_WEIGHT = 0.65
NAME_WEIGHT = 0.35
BOILERPLATE_COPIES = 3
_MAX_POSTINGS = 400  # a bigram in more systems than this cannot tell any two apart
_PHRASES = re.compile(r"[^\w]+|_")
_QUALIFIERS = re.compile(r"[（(][^）)]*[）)]")


@dataclass(frozen=True)
class DuplicatePair:
    """Two systems (codes in order) that look alike, how much, and why."""

    first: str
    second: str
    score: float
    functions_score: float
    name_score: float
    reason: str
    reason_en: str


def bigrams(text: str) -> Counter[str]:
    """Character bigrams of each phrase of `text` (a one-character phrase counts as itself)."""
    out: Counter[str] = Counter()
    for phrase in _PHRASES.split(unicodedata.normalize("NFKC", text).lower()):
        if len(phrase) == 1:
            out[phrase] += 1
        out.update(phrase[i : i + 2] for i in range(len(phrase) - 1))
    return out


def _weighted(bags: Sequence[Counter[str]]) -> list[dict[str, float]]:
    """Unit-length TF-IDF vectors of `bags` (smoothed IDF, sub-linear TF)."""
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
    n = len(bags)
    idf = {term: math.log((1 + n) / (1 + count)) + 1 for term, count in df.items()}
    vectors = []
    for bag in bags:
        vec = {t: (1 + math.log(c)) * idf[t] for t, c in bag.items()}
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        vectors.append({t: w / norm for t, w in vec.items()})
    return vectors


def _cosines(vectors: Sequence[dict[str, float]]) -> dict[tuple[int, int], float]:
    """Cosine of every pair sharing a bigram, through an inverted index."""
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for doc, vec in enumerate(vectors):
        for term, weight in vec.items():
            postings[term].append((doc, weight))
    scores: dict[tuple[int, int], float] = defaultdict(float)
    for plist in postings.values():
        if len(plist) > _MAX_POSTINGS:
            continue
        for i, (a, wa) in enumerate(plist):
            for b, wb in plist[i + 1 :]:
                scores[(a, b)] += wa * wb
    return scores


def _name_text(system: System) -> str:
    return _QUALIFIERS.sub("", system.name)


def find_duplicate_systems(
    systems: Sequence[System],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    focus: Collection[str] | None = None,
) -> list[DuplicatePair]:
    """Pairs of near-duplicate systems, most similar first.

    With `focus`, only pairs involving at least one of those codes (the systems being
    registered or imported) are returned; the others still shape the IDF weights.
    """
    live = [s for s in systems if s.lifecycle is not Lifecycle.DECOMMISSIONED]
    copies = Counter(_PHRASES.sub("", s.functions) for s in live if s.functions.strip())
    function_bags = [
        bigrams(s.functions) if copies[_PHRASES.sub("", s.functions)] <= BOILERPLATE_COPIES
        else Counter[str]()
        for s in live
    ]  # fmt: skip
    functions = _cosines(_weighted(function_bags))
    names = _cosines(_weighted([bigrams(_name_text(s)) for s in live]))
    wanted = set(focus) if focus is not None else None
    out: list[DuplicatePair] = []
    for a, b in functions.keys() | names.keys():
        first, second = live[a], live[b]
        if wanted is not None and first.code not in wanted and second.code not in wanted:
            continue
        f, n = min(functions.get((a, b), 0.0), 1.0), min(names.get((a, b), 0.0), 1.0)
        has_functions = bool(function_bags[a]) and bool(function_bags[b])
        if has_functions:
            score = max(f, FUNCTIONS_WEIGHT * f + NAME_WEIGHT * n)
            if score < threshold:
                continue
        else:
            score = n
            if score < max(threshold, NAME_ONLY_THRESHOLD):
                continue
        x, y = sorted((first.code, second.code))
        out.append(
            DuplicatePair(
                first=x,
                second=y,
                score=round(score, 4),
                functions_score=round(f, 4),
                name_score=round(n, 4),
                reason=(
                    f"功能描述相似度 {f:.2f}，名称相似度 {n:.2f}"
                    if has_functions
                    else f"名称相似度 {n:.2f}（功能描述为空或为通用套话，未比较）"
                ),
                reason_en=(
                    f"functions similarity {f:.2f}, name similarity {n:.2f}"
                    if has_functions
                    else f"name similarity {n:.2f} (functions empty or boilerplate, not compared)"
                ),
            )
        )
    out.sort(key=lambda p: (-p.score, p.first, p.second))
    return out
