"""Character n-grams behind Chinese substring search; pure functions.

Search must find 1- and 2-character words inside longer ones (联合 inside 联合国),
which word-segmented full-text indexes miss. So the index holds every character
and every pair of adjacent characters of each run of letters/digits in an
article's normalised text. A query word becomes the grams it must contain: its
single character, or all of its character pairs. For words of one run of up to two
characters the index answer is exact; longer words are confirmed by a substring
check on the normalised text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["MAX_QUERY_CHARS", "SearchPlan", "index_grams", "normalize", "plan_query"]

MAX_QUERY_CHARS = 100
_RUN = re.compile(r"[^\W_]+")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width) and lower case: the form both sides are compared in."""
    return unicodedata.normalize("NFKC", text).lower()


def index_grams(normalized: str) -> set[str]:
    """Every character and adjacent character pair of each run of letters/digits."""
    grams: set[str] = set()
    for run in _RUN.findall(normalized):
        grams.update(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """What the database is asked: grams that must all be indexed, and substrings to confirm."""

    terms: tuple[str, ...]
    grams: tuple[str, ...]
    confirm: tuple[str, ...]


def plan_query(words: list[str] | tuple[str, ...]) -> SearchPlan | None:
    """Turn a reader's words into a plan; None when nothing searchable is left.

    Words are plain text: punctuation and operators (``*``, ``%``, quotes, AND) carry
    no syntax; a word without letters or digits is dropped.
    """
    terms: list[str] = []
    grams: list[str] = []
    confirm: list[str] = []
    for word in words:
        term = normalize(word).strip()
        runs = _RUN.findall(term)
        if not runs or term in terms:
            continue
        terms.append(term)
        for run in runs:
            needed = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
            grams.extend(g for g in needed if g not in grams)
        if len(runs) > 1 or len(runs[0]) > 2 or runs[0] != term:
            confirm.append(term)
    if not terms:
        return None
    return SearchPlan(tuple(terms), tuple(grams), tuple(confirm))
