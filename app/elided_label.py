"""A one-line label that gives way: it never makes its window wider, it elides (…) instead.

A plain :class:`QLabel` asks for the width of its whole text as its minimum, so a
long status text (timings, a reason, a path) pushes the window wider than the
screen. :class:`ElidedLabel` asks for a few characters only; with less room than
its text needs it draws the text cut with "…", and its tooltip starts with the
whole text. :meth:`QLabel.text` still returns the whole text.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QLabel, QToolTip, QWidget


class ElidedLabel(QLabel):
    """A single-line label that shrinks to ``min_chars`` characters and elides its text to fit."""

    def __init__(self, text: str = "", parent: QWidget | None = None, *, min_chars: int = 6) -> None:
        super().__init__(text, parent)
        self.min_chars = min_chars
        self.setTextFormat(Qt.TextFormat.PlainText)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        fm = self.fontMetrics()
        margins = self.contentsMargins()
        few = fm.horizontalAdvance("…") + fm.averageCharWidth() * self.min_chars + margins.left() + margins.right()
        return QSize(min(hint.width(), few), hint.height())

    def shown_text(self) -> str:
        """The text as drawn: whole, or cut with "…" to the room the label has."""
        width = self.contentsRect().width() - 2 * self.margin()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, max(0, width))

    def is_elided(self) -> bool:
        return self.shown_text() != self.text()

    def full_tooltip(self) -> str:
        """The tooltip: the label's own, led by the whole text when the label shows it cut."""
        tip = self.toolTip()
        if not self.is_elided() or not self.text() or tip.startswith(self.text()):
            return tip
        return f"{self.text()}\n\n{tip}" if tip else self.text()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            tip = self.full_tooltip()
            if tip:
                QToolTip.showText(event.globalPos(), tip, self)  # type: ignore[attr-defined]
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        QFrame.paintEvent(self, event)  # the frame and style-sheet box, not QLabel's unelided text
        painter = QPainter(self)
        rect = self.contentsRect().adjusted(self.margin(), self.margin(), -self.margin(), -self.margin())
        self.style().drawItemText(
            painter,
            rect,
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            self.shown_text(),
            self.foregroundRole(),
        )
