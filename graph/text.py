"""Tokens for full-text search, the way Lucene's CJKAnalyzer (Neo4j's `cjk`) makes them.

Chinese runs become overlapping bigrams (a lone character stays a unigram); Latin and digit
runs become lower-cased words. Using the same rule in the embedded adapter as Neo4j's analyzer
means both backends find the same nodes for the same query.
"""

from __future__ import annotations

import re

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9A-Za-z]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def tokens(text: str) -> list[str]:
    """Split `text` into search tokens: CJK bigrams and lower-cased alphanumeric words."""
    out: list[str] = []
    for run in _RUN.findall(text):
        if _CJK.match(run):
            if len(run) == 1:
                out.append(run)
            else:
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run.lower())
    return out
