"""Dataclasses that cross the core boundary (to the CLI, the GUI and tests)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Passage:
    """One searchable passage of the corpus."""

    id: str
    title: str
    text: str
    source: str = ""
    section: str = ""
    topics: list[str] = field(default_factory=list)
    origin: str = "user"
    created_at: str = ""
    updated_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchHit:
    """A ranked answer with the scores of every stage that produced it."""

    id: str
    title: str
    text: str
    source: str
    section: str
    topics: list[str]
    score: float
    bm25_score: float | None
    bm25_rank: int | None
    dense_score: float | None = None
    dense_rank: int | None = None
    rerank_score: float | None = None
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# the notices a reranked result carries when its top answer is not confident (core.search decides which)
NOT_CONFIDENT = "No confident answer; closest passages:"
NOTHING_ANSWERS = "Nothing in the library seems to answer this; these are only the closest passages. Try other words."


@dataclass
class SearchResult:
    """What one query returned, and how it was obtained."""

    query: str
    hits: list[SearchHit]
    reranked: bool
    model: str | None
    device: str
    timings_ms: dict[str, float]
    notice: str = ""
    confident: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "results": [
                {
                    "id": h.id,
                    "title": h.title,
                    "text": h.text,
                    "source": h.source,
                    "section": h.section,
                    "topics": h.topics,
                    "score": h.score,
                    "bm25_score": h.bm25_score,
                    "bm25_rank": h.bm25_rank,
                    "dense_score": h.dense_score,
                    "rerank_score": h.rerank_score,
                    "confidence": h.confidence,
                }
                for h in self.hits
            ],
            "reranked": self.reranked,
            "model": self.model,
            "device": self.device,
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            "confident": self.confident,
            "notice": self.notice,
        }


@dataclass
class ImportReport:
    """Outcome of one import: what was read, added, skipped and why."""

    files: int = 0
    added: int = 0
    skipped_duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    added_ids: list[str] = field(default_factory=list)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.cancelled

    def summary(self) -> str:
        parts = [
            f"{count_noun(self.files, 'file')} read",
            f"{count_noun(self.added, 'passage')} added",
            f"{count_noun(self.skipped_duplicates, 'duplicate')} skipped",
            count_noun(len(self.errors), "error"),
        ]
        text = ", ".join(parts)
        if self.cancelled:
            text += " (cancelled: nothing was imported)"
        return text


def count_noun(n: int, noun: str, plural: str = "") -> str:
    """``1 file``, ``2 files``, ``0 duplicates``."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
