"""A :class:`SearchEngine` that may be searched on one thread while the corpus is edited on another.

The BM25 index is updated by a store listener on the thread that wrote, while a
search reads it on its own thread. This subclass holds one lock around those two
moments only (first-stage retrieval, index updates), so reranking, the slow part,
never blocks a write and an import never corrupts a running search. The desktop
app uses it; single-threaded callers (CLI, tests) can keep :class:`SearchEngine`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from .search import Candidate, SearchEngine
from .store import Change


class GuardedSearchEngine(SearchEngine):
    """SearchEngine whose index reads and updates are serialized by a lock."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._index_lock = threading.RLock()
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def first_stage(self, query: str, topics: Iterable[str] | None = None) -> tuple[list[Candidate], dict[str, float]]:
        with self._index_lock:
            return super().first_stage(query, topics)

    def _on_change(self, change: Change) -> None:
        with self._index_lock:
            super()._on_change(change)

    def save_index(self) -> None:
        with self._index_lock:
            super().save_index()
