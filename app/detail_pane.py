"""The reading pane: the whole passage with the query's words lit, its source, and feedback buttons.

"Helpful" / "Not helpful" emit :attr:`DetailPane.judged`; the window stores the
judgment (query, passage, 1.0 or 0.0) for training and calls :meth:`mark_judged`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedLayout,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core.highlight import match_spans

from . import shortcuts
from .result_delegate import marked_html
from .themes import LIGHT, Theme

if TYPE_CHECKING:
    from core.records import SearchHit


# what the percentage is, and how often it was right (work/reliability.py, shipped model, default pipeline)
MATCH_TIP = (
    "Match: how strongly the reranker rates this passage for your question, not a promise that it is right. "
    "Measured on 264 test questions, the top answer at 95% or more was the right passage about 3 times in 4: "
    "read it, and check the source."
)
HEADER_SHARE = 0.4  # of the reading pane's height, at most, for the title, source and care note
HEADER_MIN_PX = 60

CARE_NOTE = (
    "First aid: if someone is badly hurt or ill, call for help first if you can (112, 911 or your local "
    "emergency number; a text or satellite messenger if there is no signal). This passage is no "
    "substitute for trained care."
)


def passage_html(text: str, terms: frozenset[str], theme: Theme) -> str:
    """The passage as paragraphs of HTML with the query's words highlighted."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    parts = []
    for para in paragraphs:
        body = marked_html(para, match_spans(para, terms), theme).replace("\n", "<br>")
        parts.append(f'<p style="margin: 0 0 0.8em 0; line-height: 135%">{body}</p>')
    return "".join(parts)


def match_line(hit: SearchHit) -> str:
    """Why this passage is listed, in a few words (confidence and the stages that found it)."""
    from .result_delegate import confidence_label

    parts = []
    if hit.confidence is not None:
        parts.append(f"Match {round(hit.confidence * 100)}% ({confidence_label(hit.confidence)})")
    else:
        parts.append("Not reranked")
    found = []
    if hit.bm25_rank:
        found.append(f"#{hit.bm25_rank} by words")
    if hit.dense_rank:
        found.append(f"#{hit.dense_rank} by meaning")
    if found:
        parts.append("found " + " and ".join(found))
    return "   ·   ".join(parts)


def plain_copy(hit: SearchHit) -> str:
    source = f"\n\nSource: {hit.source}" if hit.source else ""
    return f"{hit.title}\n\n{hit.text.strip()}{source}\n"


class DetailPane(QWidget):
    """Shows one passage; knows nothing of the database."""

    judged = Signal(str, str, float)  # query, passage id, label
    bookmark_toggled = Signal(str, bool)  # passage id, on
    back_to_search = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = LIGHT
        self.hit: SearchHit | None = None
        self.query = ""
        self.terms: frozenset[str] = frozenset()
        self._judged: dict[tuple[str, str], float] = {}

        self.placeholder = QLabel(
            "Select a result to read it here.\n\nDown arrow from the search box moves to the results; Enter opens one."
        )
        self.placeholder.setObjectName("dimLabel")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)

        self.title_label = QLabel()
        self.title_label.setObjectName("detailTitle")
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta_label = QLabel()
        self.meta_label.setObjectName("detailMeta")
        self.meta_label.setWordWrap(True)
        self.meta_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta_label.setToolTip(MATCH_TIP)
        self.body = QTextBrowser()
        self.body.setObjectName("detailBody")
        self.body.setOpenLinks(False)
        self.body.setAccessibleName("Passage text")

        keys = shortcuts.keys_text
        # Alt+C is the Corpus menu's: Copy's mnemonic is the O (see shortcuts.COPY_PASSAGE)
        self.copy_button = QPushButton("C&opy")
        self.copy_button.setToolTip(f"Copy the passage and its source ({keys(shortcuts.COPY_PASSAGE)})")
        self.bookmark_button = QPushButton("☆ &Bookmark")
        self.bookmark_button.setCheckable(True)
        self.bookmark_button.setToolTip(f"Keep this passage in your bookmarks ({keys(shortcuts.TOGGLE_BOOKMARK)})")
        self.helpful_button = QPushButton("✓ He&lpful")
        self.helpful_button.setToolTip(
            f"This passage answers the question ({keys(shortcuts.HELPFUL)}); saved to train the reranker"
        )
        self.not_helpful_button = QPushButton("✗ &Not helpful")
        self.not_helpful_button.setToolTip(
            f"This passage does not answer the question ({keys(shortcuts.NOT_HELPFUL)}); saved to train the reranker"
        )
        self.care_note = QLabel(CARE_NOTE)
        self.care_note.setObjectName("banner")
        self.care_note.setProperty("kind", "info")
        self.care_note.setWordWrap(True)
        self.care_note.setVisible(False)
        self.feedback_note = QLabel()
        self.feedback_note.setObjectName("feedbackNote")
        # on a line of its own above the buttons (they stay put when it shows), wrapping: never widens the window
        self.feedback_note.setWordWrap(True)
        self.feedback_note.setVisible(False)
        self.feedback_note.setToolTip("Your marks train your own reranker: Corpus ▸ Train the reranker on your marks")
        self.feedback_note.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

        buttons = QHBoxLayout()
        for button in (self.copy_button, self.bookmark_button, self.helpful_button, self.not_helpful_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        # title, source and care note scroll on their own, in at most HEADER_SHARE of the pane: in a small
        # window they would otherwise leave the passage itself two or three lines
        self.header = QWidget()
        header_layout = QVBoxLayout(self.header)
        header_layout.setContentsMargins(0, 0, 0, 0)
        header_layout.addWidget(self.title_label)
        header_layout.addWidget(self.meta_label)
        header_layout.addWidget(self.care_note)
        self.header_scroll = QScrollArea()
        self.header_scroll.setWidget(self.header)
        self.header_scroll.setWidgetResizable(True)
        self.header_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.header_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.header_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.header_scroll.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header_scroll)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.feedback_note)
        layout.addLayout(buttons)

        self.stack = QStackedLayout(self)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(page)

        self.copy_button.clicked.connect(self.copy)
        self.bookmark_button.toggled.connect(self._bookmark_clicked)
        self.helpful_button.clicked.connect(lambda: self._judge(1.0))
        self.not_helpful_button.clicked.connect(lambda: self._judge(0.0))
        # no focus proxy to the body: Qt puts a proxied widget in the Tab chain a second time, and forward
        # Tab then loops between the pane's controls and the top row, never back to the search box
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.timeout.connect(self._restore_note)

    # ------------------------------------------------------------------ layout
    def _fit_header(self) -> None:
        """The header as tall as its text, but never more than HEADER_SHARE of the pane (then it scrolls)."""
        width = self.header_scroll.viewport().width() or self.width()
        layout = self.header.layout()
        need = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else self.header.sizeHint().height()
        cap = max(HEADER_MIN_PX, int(self.height() * HEADER_SHARE))
        self.header_scroll.setFixedHeight(max(1, min(need, cap)))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_header()

    # ------------------------------------------------------------------ content
    def show_hit(self, hit: SearchHit, query: str, terms: frozenset[str], bookmarked: bool) -> None:
        same = self.hit is not None and self.hit.id == hit.id and self.query == query
        self.hit, self.query, self.terms = hit, query, terms
        self.title_label.setText(hit.title)
        meta = [f"Source: {hit.source or 'unknown'}"]
        if hit.section and hit.section != hit.title:
            meta.append(f"Section: {hit.section}")
        if hit.topics:
            meta.append("Topics: " + ", ".join(t.replace("-", " ") for t in hit.topics))
        lines = ["   ·   ".join(meta)]
        if query:  # a search result: why it is listed; a bookmark (no question) has no such line
            lines.append(match_line(hit))
        self.meta_label.setText("\n".join(lines))
        self.care_note.setVisible("first-aid" in (hit.topics or []))
        self._fit_header()
        scroll = self.body.verticalScrollBar().value() if same else 0
        self._render()
        self.body.verticalScrollBar().setValue(scroll)
        self.bookmark_button.blockSignals(True)
        self.bookmark_button.setChecked(bookmarked)
        self._bookmark_label()
        self.bookmark_button.blockSignals(False)
        self._restore_note()
        self.stack.setCurrentIndex(1)

    def clear(self) -> None:
        self.hit = None
        self.stack.setCurrentIndex(0)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        if self.hit is not None:
            self._render()

    def _render(self) -> None:
        if self.hit is not None:
            self.body.setHtml(passage_html(self.hit.text, self.terms, self.theme))

    # ------------------------------------------------------------------ actions
    def copy(self) -> None:
        if self.hit is None:
            return
        QGuiApplication.clipboard().setText(plain_copy(self.hit))
        self._flash("Copied to the clipboard.")

    def set_bookmarked(self, on: bool) -> None:
        self.bookmark_button.blockSignals(True)
        self.bookmark_button.setChecked(on)
        self._bookmark_label()
        self.bookmark_button.blockSignals(False)

    def toggle_bookmark(self) -> None:
        if self.hit is not None:
            self.bookmark_button.toggle()

    def _bookmark_clicked(self, on: bool) -> None:
        self._bookmark_label()
        if self.hit is not None:
            self.bookmark_toggled.emit(self.hit.id, on)

    def _bookmark_label(self) -> None:
        self.bookmark_button.setText("★ &Bookmarked" if self.bookmark_button.isChecked() else "☆ &Bookmark")

    def _judge(self, label: float) -> None:
        if self.hit is None:
            return
        if not self.query:
            self._flash("Feedback needs a question: search first, then mark the answer.")
            return
        self.helpful_button.setEnabled(False)
        self.not_helpful_button.setEnabled(False)
        self.judged.emit(self.query, self.hit.id, label)

    def judgment(self, query: str, passage_id: str) -> float | None:
        """The mark saved in this window for ``passage_id`` as an answer to ``query``, if any."""
        return self._judged.get((query, passage_id))

    def mark_judged(self, query: str, passage_id: str, label: float) -> None:
        """The judgment was stored: say so (and keep saying it for this question and passage)."""
        self._judged[(query, passage_id)] = label
        if self.hit is not None and self.hit.id == passage_id and self.query == query:
            self._restore_note()

    def judgment_failed(self) -> None:
        self._restore_note()

    def _restore_note(self) -> None:
        """Say what is saved; the other button stays enabled, so that a slip can be changed."""
        label = self._judged.get((self.query, self.hit.id)) if self.hit is not None else None
        if label is None:
            self._set_note("")
            helpful = not_helpful = self.hit is not None
        else:
            helpful = label < 0.5
            not_helpful = not helpful
            self._set_note("Saved: helpful. Thank you." if label >= 0.5 else "Saved: not helpful. Thank you.")
        self.helpful_button.setEnabled(helpful)
        self.not_helpful_button.setEnabled(not_helpful)

    def _set_note(self, text: str) -> None:
        self.feedback_note.setText(text)
        self.feedback_note.setVisible(bool(text))

    def _flash(self, text: str) -> None:
        self._set_note(text)
        self._note_timer.start(2500)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.back_to_search.emit()
            return
        super().keyPressEvent(event)
