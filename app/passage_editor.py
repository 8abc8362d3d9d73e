"""The form that edits one passage: title, source, topics, text; it knows when it holds unsaved edits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from core.records import Passage


class PassageEditor(QWidget):
    """Edits a passage (or a new one); :attr:`dirty` says whether there is something to save."""

    dirty_changed = Signal(bool)

    def __init__(self, topics: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base_topics = topics
        self.passage_id: str | None = None
        self._dirty = False
        self._loading = False

        self.heading = QLabel()
        self.heading.setObjectName("dimLabel")
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("A short heading, e.g. “Boiling water”")
        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText("Where it comes from (book, page, web page, your notes)")
        self.topic_list = QListWidget()
        self.topic_list.setFlow(QListView.Flow.LeftToRight)
        self.topic_list.setWrapping(True)
        self.topic_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.topic_list.setSpacing(2)
        # room for the 22 topics in four or five wrapped rows at the usual widths, scrolling beyond
        self.topic_list.setMaximumHeight(self.fontMetrics().height() * 7)
        self.topic_list.setAccessibleName("Topics (space ticks a topic)")
        self.text_edit = QPlainTextEdit()
        self.text_edit.setPlaceholderText("The passage itself: what to do, step by step.")
        self.text_edit.setTabChangesFocus(True)

        form = QFormLayout()
        form.addRow("&Title", self.title_edit)
        form.addRow("S&ource", self.source_edit)
        form.addRow("To&pics", self.topic_list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        text_label = QLabel("Te&xt")
        text_label.setBuddy(self.text_edit)
        layout.addWidget(text_label)
        layout.addWidget(self.text_edit, 1)

        self.title_edit.textEdited.connect(self._edited)
        self.source_edit.textEdited.connect(self._edited)
        self.text_edit.textChanged.connect(self._edited)
        self.topic_list.itemChanged.connect(self._edited)
        self.load(None)

    # ------------------------------------------------------------------ state
    @property
    def dirty(self) -> bool:
        return self._dirty

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    def _edited(self, *_args: object) -> None:
        if not self._loading:
            self._set_dirty(True)

    def load(self, passage: Passage | None) -> None:
        """Show ``passage`` (None: an empty form for a new one) with nothing unsaved."""
        self._loading = True
        try:
            self.passage_id = passage.id if passage else None
            self.heading.setText(
                f"Editing {passage.id}  ·  {passage.origin}  ·  updated {passage.updated_at[:16].replace('T', ' ')}"
                if passage
                else "New passage: fill in the title and the text, then Save (Ctrl+S)."
            )
            self.title_edit.setText(passage.title if passage else "")
            self.source_edit.setText(passage.source if passage else "")
            self.source_edit.setCursorPosition(0)
            self.title_edit.setCursorPosition(0)
            self.text_edit.setPlainText(passage.text if passage else "")
            chosen = set(passage.topics) if passage else set()
            self.topic_list.clear()
            for topic in (*self._base_topics, *sorted(chosen - set(self._base_topics))):
                item = QListWidgetItem(topic.replace("-", " "))
                item.setData(Qt.ItemDataRole.UserRole, topic)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if topic in chosen else Qt.CheckState.Unchecked)
                self.topic_list.addItem(item)
        finally:
            self._loading = False
        self._set_dirty(False)

    def values(self) -> dict[str, object]:
        topics = [
            str(self.topic_list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.topic_list.count())
            if self.topic_list.item(i).checkState() == Qt.CheckState.Checked
        ]
        return {
            "title": self.title_edit.text(),
            "text": self.text_edit.toPlainText(),
            "source": self.source_edit.text(),
            "topics": topics,
        }

    def missing(self) -> str:
        """Why the form cannot be saved when both title and text are empty ('' otherwise).

        One missing field is left to :func:`core.store.validate_passage`, which names it;
        this names both at once (and puts the cursor in the title) instead of one at a time.
        """
        if self.title_edit.text().strip() or self.text_edit.toPlainText().strip():
            return ""
        self.title_edit.setFocus()
        return "The passage has no title and no text. Give it a short heading and write the passage before saving."

    def set_topic(self, topic: str, on: bool = True) -> None:
        for i in range(self.topic_list.count()):
            item = self.topic_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == topic:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
