"""Help ▸ Keyboard shortcuts: every key of :mod:`app.shortcuts` in a table, sized to show them all."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from . import shortcuts


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(shortcuts.ALL), 2, self)
        table.setHorizontalHeaderLabels(["Keys", "What they do"])
        table.verticalHeader().hide()
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)  # compact: all rows show
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setTabKeyNavigation(False)
        table.setWordWrap(False)
        for row, sc in enumerate(shortcuts.ALL):
            table.setItem(row, 0, QTableWidgetItem(shortcuts.keys_text(sc)))
            table.setItem(row, 1, QTableWidgetItem(sc.label))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        self.table = table
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self._fit(layout.contentsMargins().top() * 2 + layout.spacing() + buttons.sizeHint().height())

    def _fit(self, around_table: int) -> None:
        """As big as the whole table (up to the screen; beyond that the table scrolls)."""
        table = self.table
        frame = table.frameWidth() * 2
        width = sum(table.columnWidth(c) for c in range(table.columnCount())) + frame
        width += table.verticalScrollBar().sizeHint().width() + 24  # room if it must scroll, and some air
        height = table.horizontalHeader().sizeHint().height() + frame
        height += sum(table.rowHeight(r) for r in range(table.rowCount())) + around_table
        screen = (self.parentWidget() or self).screen().availableGeometry()
        self.resize(min(width + 24, screen.width() - 40), min(height + 2, screen.height() - 60))
