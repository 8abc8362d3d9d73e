"""The result list view: keyboard behaviour (Enter opens, Up/Esc go back to the search box)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget


class ResultsView(QListView):
    """A list of result cards; the delegate sizes them, this view reflows them."""

    open_requested = Signal(QModelIndex)
    back_to_search = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("results")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        self.setMouseTracking(True)
        self.setAccessibleName("Results")
        self.doubleClicked.connect(self.open_requested)

    def relayout(self) -> None:
        """Re-measure every card (after a font, theme or width change)."""
        self.scheduleDelayedItemsLayout()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        current = self.currentIndex()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and current.isValid():
            self.open_requested.emit(current)
            return
        if key == Qt.Key.Key_Escape:
            self.back_to_search.emit()
            return
        if key == Qt.Key.Key_Up and (not current.isValid() or current.row() == 0):
            self.back_to_search.emit()
            return
        super().keyPressEvent(event)
