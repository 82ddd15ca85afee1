"""Tokens for full-text search, the way Lucene's CJKAnalyzer (Neo4j's `cjk`) makes them.

Chinese runs become overlapping bigrams (a lone character stays a unigram); Latin and digit
runs become lower-cased words. Using the same rule in the embedded adapter as Neo4j's analyzer
means both backends find the same nodes for the same query.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9A-Za-z]+")


def tokens(text: str) -> list[str]:
    """Split `text` into search tokens: CJK bigrams and lower-cased alphanumeric words."""
    return list(chain.from_iterable(map(_word_tokens, text.split())))


def indexed_text(text: str) -> str:
    """The tokens of `text` joined by spaces: what the embedded store's text index holds."""
    return " ".join(chain.from_iterable(map(_word_tokens, text.split())))


@lru_cache(maxsize=65536)
def _word_tokens(word: str) -> tuple[str, ...]:
    """Tokens of one whitespace-free word; catalog text repeats words a lot, so cache them."""
    out: list[str] = []
    for run in _RUN.findall(word):
        if run[0].isascii():
            out.append(run.lower())
        elif len(run) == 1:
            out.append(run)
        else:
            out += [run[i : i + 2] for i in range(len(run) - 1)]  # one string per bigram
    return tuple(out)
