"""The tokenizer shared by indexing and querying: lowercase, stop words, light stemming.

Deliberately small and predictable: the same function runs over passages at
import time and over queries at search time, so whatever it does to a word it
does on both sides.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")

STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren as at be because been before being
    below between both but by can cannot could couldn did didn do does doesn doing don down during each
    few for from further had hadn has hasn have haven having he her here hers herself him himself his
    how i if in into is isn it its itself just let me more most my myself no nor not now of off on once
    only or other ought our ours ourselves out over own same shall she should shouldn so some such than
    that the their theirs them themselves then there these they this those through to too under until
    up very was wasn we were weren what when where which while who whom why will with won would wouldn
    you your yours yourself yourselves s t ll re ve d m o y get got im ok okay please thing things
    """.split()
)

_NO_S_STRIP = ("ss", "us", "is", "ous")
_DOUBLE_KEEP = frozenset("lsz")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Strip the commonest English inflections (plural, -ing, -ed); leave short words alone."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("es") and word[-3:-2] in ("x", "z") or word.endswith(("ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(_NO_S_STRIP):
        return word[:-1]
    for suffix, min_len in (("ing", 6), ("ed", 5)):
        if word.endswith(suffix) and len(word) >= min_len:
            base = word[: -len(suffix)]
            if len(base) >= 3 and base[-1] == base[-2] and base[-1] not in _DOUBLE_KEEP:
                base = base[:-1]
            return base
    return word


def normalize(text: str) -> str:
    """Lowercase and fold accents so 'Café' and 'cafe' are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    """Turn text into index terms: words of letters/digits, no stop words, lightly stemmed."""
    return [stem(w) for w in _WORD.findall(normalize(text)) if w not in STOP_WORDS]
