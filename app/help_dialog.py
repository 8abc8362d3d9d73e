"""Help ▸ Keyboard shortcuts: every key of :mod:`app.shortcuts` in a table."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from . import shortcuts


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(shortcuts.ALL), 2, self)
        table.setHorizontalHeaderLabels(["Keys", "What they do"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
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
        self.resize(600, 600)
