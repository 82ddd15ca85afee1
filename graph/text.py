"""Tokens for full-text search, the way Lucene's CJKAnalyzer (Neo4j's `cjk`) makes them.

Chinese runs become overlapping bigrams (a lone character stays a unigram); Latin and digit
runs become lower-cased words. Using the same rule in the embedded adapter as Neo4j's analyzer
means both backends find the same nodes for the same query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9A-Za-z]+")


def tokens(text: str) -> list[str]:
    """Split `text` into search tokens: CJK bigrams and lower-cased alphanumeric words."""
    return list(chain.from_iterable(map(_word_tokens, text.split())))


def indexed_text(text: str) -> str:
    """The tokens of `text` joined by spaces: what the embedded store's text index holds."""
    return " ".join(chain.from_iterable(map(_word_tokens, text.split())))


class IndexedTexts:
    """`indexed_text` for the many texts of one bulk write. A bulk write repeats its runs
    (department names, categories, field names, set phrases: a generated 100k ledger has 2.5M
    runs, 114k of them distinct), so each distinct run is tokenized once per instance and the
    texts are joined from those strings in C. Whitespace never joins two runs, so a whole text
    is split into runs at once."""

    def __init__(self) -> None:
        self._runs = _RunTexts()

    def __call__(self, texts: Iterable[str]) -> list[str]:
        """The indexed text of each of `texts`, in order."""
        lookup = self._runs.__getitem__
        return [" ".join(map(lookup, _RUN.findall(text))) for text in texts]


class _RunTexts(dict[str, str]):
    """The tokens of each run met so far, joined by spaces; made on the first lookup."""

    def __missing__(self, run: str) -> str:
        text = self[run] = " ".join(_run_tokens(run))
        return text


@lru_cache(maxsize=65536)
def _word_tokens(word: str) -> tuple[str, ...]:
    """Tokens of one whitespace-free word; catalog text repeats words a lot, so cache them."""
    return tuple(chain.from_iterable(map(_run_tokens, _RUN.findall(word))))


def _run_tokens(run: str) -> list[str]:
    """Tokens of one run of CJK characters or of ASCII letters and digits."""
    if run[0].isascii():
        return [run.lower()]
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]  # one string per bigram
