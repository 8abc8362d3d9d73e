"""The corpus table's model: light rows (no passage text) held in memory, sorted in Python.

100,000 rows are one list of small dataclasses; the view asks only for the cells
it paints, and sorting is one ``list.sort`` (never a proxy model calling ``data``
millions of times).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

if TYPE_CHECKING:
    from core.browse import PassageRow

IdRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Title", "Source", "Topics", "Updated")


def _sort_key(column: int) -> Any:
    if column == 0:
        return lambda r: r.title.lower()
    if column == 1:
        return lambda r: r.source.lower()
    if column == 2:
        return lambda r: ", ".join(r.topics)
    return lambda r: r.updated_at


class PassageTableModel(QAbstractTableModel):
    """Rows of the corpus editor."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[PassageRow] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            column = index.column()
            if column == 0:
                return row.title
            if column == 1:
                return row.source
            if column == 2:
                return ", ".join(row.topics)
            if column == 3:
                return row.updated_at[:10] if role == Qt.ItemDataRole.DisplayRole else row.updated_at.replace("T", " ")
        if role == IdRole:
            return row.id
        return None

    # ------------------------------------------------------------------ content
    def set_rows(self, rows: list[PassageRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        if self._sort is not None:
            column, order = self._sort
            self._rows.sort(key=_sort_key(column), reverse=order == Qt.SortOrder.DescendingOrder)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        ids = [self._rows[i.row()].id if i.isValid() else None for i in before]
        self._rows.sort(key=_sort_key(column), reverse=order == Qt.SortOrder.DescendingOrder)
        position = {r.id: n for n, r in enumerate(self._rows)} if before else {}
        after = [
            self.index(position[pid], i.column()) if pid is not None and pid in position else QModelIndex()
            for i, pid in zip(before, ids, strict=True)
        ]
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def id_at(self, row: int) -> str | None:
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def row_of(self, passage_id: str) -> int:
        return next((n for n, r in enumerate(self._rows) if r.id == passage_id), -1)
