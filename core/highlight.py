"""Where a query's words occur in a passage, and the passage's most telling snippet.

Matching goes through :func:`core.tokenizer.tokenize`'s own normalisation and
stemming, so "boiling" in a query lights up "boil" and "boiled" in a passage,
exactly the words BM25 matched. Stop words are never highlighted. No Qt here:
the desktop app paints the spans, the CLI could bold them.
"""

from __future__ import annotations

import re

from .tokenizer import STOP_WORDS, normalize, stem, tokenize

_WORD = re.compile(r"\w+", re.UNICODE)

Span = tuple[int, int]


def query_terms(query: str) -> frozenset[str]:
    """The stemmed index terms of ``query`` (what BM25 looks for)."""
    return frozenset(tokenize(query or ""))


def _term_of(word: str) -> str | None:
    parts = re.findall(r"[a-z0-9]+", normalize(word))
    if len(parts) != 1 or parts[0] in STOP_WORDS:
        return None
    return stem(parts[0])


def match_spans(text: str, terms: frozenset[str] | set[str]) -> list[Span]:
    """``(start, end)`` of every word of ``text`` whose stem is one of ``terms``, in order."""
    if not terms or not text:
        return []
    return [(m.start(), m.end()) for m in _WORD.finditer(text) if _term_of(m.group()) in terms]


def snippet(text: str, terms: frozenset[str] | set[str], max_chars: int = 240) -> tuple[str, list[Span]]:
    """A window of about ``max_chars`` around the densest cluster of matches, with its spans.

    The window starts at a word (or sentence) boundary; "…" marks cut ends. Without
    matches the passage's beginning is returned.
    """
    text = re.sub(r"\s+", " ", text or "").strip()
    if len(text) <= max_chars:
        return text, match_spans(text, terms)
    spans = match_spans(text, terms)
    start = 0
    if spans:
        best, best_count = 0, -1
        right = 0
        for left in range(len(spans)):
            while right < len(spans) and spans[right][1] - spans[left][0] <= max_chars * 0.8:
                right += 1
            distinct = len({text[s:e].lower() for s, e in spans[left:right]})
            if distinct > best_count:
                best, best_count = left, distinct
        first = spans[best][0]
        sentence = max(text.rfind(". ", 0, first), text.rfind("? ", 0, first), text.rfind("! ", 0, first))
        start = (
            sentence + 2 if sentence >= 0 and first - sentence < max_chars * 0.35 else max(0, first - max_chars // 6)
        )
        start = min(start, max(0, len(text) - max_chars))
        if start > 0 and not text[start - 1].isspace():
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + max_chars)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + max_chars // 2 else end
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    piece = prefix + text[start:end].strip() + suffix
    return piece, match_spans(piece, terms)
