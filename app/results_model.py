"""The result list's model: search hits, refined in place when a better order arrives.

When the reranked order replaces the first-stage one, rows are moved, removed
and inserted with the proper model signals (never a reset), so the view keeps
its selection and current item on the same passage while the order changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from core.highlight import snippet

if TYPE_CHECKING:
    from core.records import SearchHit, SearchResult

HitRole = Qt.ItemDataRole.UserRole + 1
RankRole = Qt.ItemDataRole.UserRole + 2
IsTopRole = Qt.ItemDataRole.UserRole + 3
ConfidenceRole = Qt.ItemDataRole.UserRole + 4
IdRole = Qt.ItemDataRole.UserRole + 5
ListingRole = Qt.ItemDataRole.UserRole + 6  # "search" (ranked results) or "bookmarks" (no rank, no confidence)

Index = QModelIndex | QPersistentModelIndex


class ResultsModel(QAbstractListModel):
    """Hits of the current query (or the bookmarks), best first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._hits: list[SearchHit] = []
        self.query = ""
        self.terms: frozenset[str] = frozenset()
        self.reranked = False
        self.confident: bool | None = None
        self.listing = "search"
        self._snippets: dict[tuple[str, int], tuple[str, list[tuple[int, int]]]] = {}

    # ------------------------------------------------------------------ Qt API
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{hit.title}\n{hit.source}" if hit.source else hit.title
        if role == Qt.ItemDataRole.AccessibleTextRole:
            conf = f", confidence {round(hit.confidence * 100)} percent" if hit.confidence is not None else ""
            return f"{index.row() + 1}. {hit.title}, from {hit.source or 'unknown source'}{conf}"
        if role == HitRole:
            return hit
        if role == IdRole:
            return hit.id
        if role == RankRole:
            return index.row() + 1 if self.listing == "search" else 0
        if role == ListingRole:
            return self.listing
        if role == IsTopRole:
            return index.row() == 0 and self.reranked and bool(self.confident)
        if role == ConfidenceRole:
            return hit.confidence
        return None

    # ------------------------------------------------------------------ content
    def hits(self) -> list[SearchHit]:
        return list(self._hits)

    def hit(self, row: int) -> SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def row_of(self, passage_id: str) -> int:
        return next((i for i, h in enumerate(self._hits) if h.id == passage_id), -1)

    def snippet_for(self, row: int, max_chars: int) -> tuple[str, list[tuple[int, int]]]:
        """The hit's snippet sized for ``max_chars`` with the query's words as spans (cached)."""
        hit = self._hits[row]
        key = (hit.id, max_chars)
        cached = self._snippets.get(key)
        if cached is None:
            cached = snippet(hit.text, self.terms, max_chars)
            if len(self._snippets) > 2000:
                self._snippets.clear()
            self._snippets[key] = cached
        return cached

    def clear(self) -> None:
        self.beginResetModel()
        self._hits = []
        self.query = ""
        self.terms = frozenset()
        self.reranked = False
        self.confident = None
        self.listing = "search"
        self._snippets.clear()
        self.endResetModel()

    def set_result(self, result: SearchResult, terms: frozenset[str]) -> None:
        """Show ``result``; rows of passages already listed move instead of being rebuilt."""
        if result.query != self.query or terms != self.terms:
            self._snippets.clear()
        self.query, self.terms = result.query, terms
        self.reranked, self.confident = result.reranked, result.confident
        self._set_listing("search")
        self.set_hits(list(result.hits))

    def set_bookmarks(self, hits: list[SearchHit]) -> None:
        """Show bookmarked passages: no question, so no rank, confidence or highlighted words."""
        if self.query or self.terms:
            self._snippets.clear()
        self.query, self.terms = "", frozenset()
        self.reranked, self.confident = False, None
        self._set_listing("bookmarks")
        self.set_hits(list(hits))

    def _set_listing(self, listing: str) -> None:
        if listing != self.listing:
            self.listing = listing
            if self._hits:  # the rows that stay are drawn the other way now
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._hits) - 1, 0))

    def set_hits(self, new_hits: list[SearchHit]) -> None:
        if not self._hits or not new_hits:
            self.beginResetModel()
            self._hits = new_hits
            self.endResetModel()
            return
        old_ids = [h.id for h in self._hits]
        new_pos = {h.id: i for i, h in enumerate(new_hits)}
        surviving = sorted((i for i, pid in enumerate(old_ids) if pid in new_pos), key=lambda i: new_pos[old_ids[i]])
        departing = [i for i, pid in enumerate(old_ids) if pid not in new_pos]
        permutation = surviving + departing  # new row r shows old row permutation[r]
        if permutation != list(range(len(old_ids))):
            self.layoutAboutToBeChanged.emit()
            new_row_of = {old: new for new, old in enumerate(permutation)}
            before = self.persistentIndexList()
            after = [self.index(new_row_of[i.row()], 0) if i.isValid() else QModelIndex() for i in before]
            self._hits = [self._hits[i] for i in permutation]
            self.changePersistentIndexList(before, after)
            self.layoutChanged.emit()
        if departing:
            first = len(surviving)
            self.beginRemoveRows(QModelIndex(), first, len(self._hits) - 1)
            del self._hits[first:]
            self.endRemoveRows()
        present = {h.id for h in self._hits}
        for pos, hit in enumerate(new_hits):  # increasing positions: the prefix is always in place
            if hit.id not in present:
                self.beginInsertRows(QModelIndex(), pos, pos)
                self._hits.insert(pos, hit)
                self.endInsertRows()
        self._hits = new_hits  # same ids, same order: fresh scores and texts
        self.dataChanged.emit(self.index(0, 0), self.index(len(self._hits) - 1, 0))
