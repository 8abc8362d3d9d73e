"""Listing passages for a table view: light rows (no text), filtered by words and topic.

A corpus editor must stay quick with 100,000 passages, so rows carry only what a
table shows; the full passage is read with :meth:`CorpusStore.get` when opened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import CorpusStore


@dataclass
class PassageRow:
    """One line of the corpus table."""

    id: str
    title: str
    source: str
    topics: list[str] = field(default_factory=list)
    origin: str = ""
    updated_at: str = ""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def passage_rows(store: CorpusStore, words: str = "", topic: str = "") -> list[PassageRow]:
    """Every passage (in corpus order) whose title, text or source contains all of ``words``,
    limited to ``topic`` when given."""
    clauses: list[str] = []
    params: list[str] = []
    for word in words.split():
        clauses.append("(title LIKE ? ESCAPE '\\' OR text LIKE ? ESCAPE '\\' OR source LIKE ? ESCAPE '\\')")
        params += [_like(word)] * 3
    if topic:
        clauses.append("topics LIKE ? ESCAPE '\\'")
        params.append(_like(json.dumps(topic)))
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    sql = f"SELECT id, title, source, topics, origin, updated_at FROM passages{where} ORDER BY rowid"
    with store._lock:
        rows = store.db.execute(sql, params).fetchall()
    return [
        PassageRow(
            id=r[0],
            title=r[1],
            source=r[2] or "",
            topics=json.loads(r[3] or "[]"),
            origin=r[4] or "",
            updated_at=r[5] or "",
        )
        for r in rows
    ]
